"""What every sub-app of the CLI shares: the root app and the groups several modules add commands to, the
consoles, the bootstrapped App, who is acting, and the small formatters."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml
from rich.console import Console

from huizhen.labels import DEADLINE_LABELS, STATUS_LABELS
from huizhen.logs import setup_logging
from states.beijing import BEIJING
from states.errors import InvalidInput

if TYPE_CHECKING:  # the bootstrap (SQLAlchemy, alembic, APScheduler) is imported by the commands that need it
    from huizhen.bootstrap import App

# Piped output is read by people in files and by grep: don't cut table cells at 80 columns there.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=None if sys.stderr.isatty() else 200)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
CaseArg = Annotated[str, typer.Argument(metavar="CASE")]
Reason = Annotated[str, typer.Option("--reason", help="Why (recorded in the history).")]

_app: App | None = None


def get_app(*, need_schema: bool = True) -> App:
    global _app
    if _app is None:
        from huizhen.bootstrap import bootstrap

        _app = bootstrap()
        if _app.settings.log_file is not None:
            setup_logging(_app.settings.resolve(_app.settings.log_file), level="WARNING")
    if need_schema:
        _app.require_schema()
        _app.refresh_calendar()
    return _app


def actor() -> str | None:
    """Who is acting: the name in HUIZHEN_USER, resolved (and checked) by the use case."""
    return os.environ.get("HUIZHEN_USER") or None


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def local(iso: str | None) -> str:
    if not iso:
        return "—"
    return datetime.fromisoformat(iso).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def read_yaml(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{what}: {path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{what}: cannot read {path}: {exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{what}: {path} is not valid YAML: {str(exc).splitlines()[0]}") from None


def done(case: Any, what: str) -> None:
    label = STATUS_LABELS.get(str(case.status), "")
    out.print(f"{case.number}: {what} — now {case.status} ({label}), version {case.version}")


def print_open_deadlines(case: dict[str, Any]) -> None:
    for d in case.get("deadlines", []):
        if d["status"] == "armed":
            flag = "（预估）" if d["provisional"] else ""
            out.print(f"  deadline {DEADLINE_LABELS.get(d['kind'], d['kind'])}: due {local(d['due_at'])} "
                      f"Beijing time{flag} — {d['explanation']}")
