"""A quick command line (issue 17): the registry is lazy, its index says what the modules declare, and the quick
commands start without SQLAlchemy, alembic or APScheduler."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer

from huizhen.cli.main import INDEX, build_app, main

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sqlalchemy", "alembic", "apscheduler")


def test_the_index_is_what_the_modules_declare() -> None:
    import click

    eager = typer.main.get_command(build_app())
    ctx = click.Context(eager)  # type: ignore[arg-type]
    declared = {n: eager.get_command(ctx, n).help for n in eager.list_commands(ctx)}  # type: ignore[attr-defined]
    assert {n: h for n, (h, _) in INDEX.items()} == declared


def test_a_group_has_the_same_commands_lazily(capsys: pytest.CaptureFixture[str]) -> None:
    import click

    eager = typer.main.get_command(build_app())
    ctx = click.Context(eager)  # type: ignore[arg-type]
    case = eager.get_command(ctx, "case")  # type: ignore[attr-defined]
    main(["case", "--help"])  # help printed; returns (standalone_mode off)
    shown = capsys.readouterr().out
    assert all(name in shown for name in case.list_commands(ctx))


@pytest.mark.parametrize("argv", [["calendar", "due", "2026-09-29", "3"], ["rotation", "lead", "2026-01-05"],
                                  ["form", "check", str(ROOT / "examples" / "opinion-defect.yaml")], ["--help"]])
def test_quick_commands_import_no_database_package(argv: list[str], tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text((ROOT / "config.yaml").read_text(encoding="utf-8").replace(
        "database_url: var/huizhen.db", f"database_url: {tmp_path}/none.db").replace(
        "years_dir: official-years", f"years_dir: {ROOT / 'official-years'}"), encoding="utf-8")
    probe = ("import sys\nfrom huizhen.cli.main import main\n"
             "try:\n    main(sys.argv[1:])\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
             f"print('HEAVY', sorted(m for m in {HEAVY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, cwd=tmp_path,
                          env={"HUIZHEN_CONFIG": str(config), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stdout, done.stdout
