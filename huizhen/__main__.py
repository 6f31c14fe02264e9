from huizhen.cli.main import main

main()
