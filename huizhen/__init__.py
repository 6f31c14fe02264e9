"""huizhen (会诊): the shell — config, bootstrap, the command line, and later the web app and notifiers."""

__version__ = "0.1.0"
