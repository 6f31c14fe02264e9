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

from huizhen.labels import DEADLINE_LABELS, STATUS_LABELS, t
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
    """A YAML input file, refused in one line naming the place when it holds invalid UTF-8, a NUL or a lone
    surrogate (issue 15): nothing is written from such a file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"{what}: {path} not found") from None
    except OSError as exc:
        raise InvalidInput(f"{what}: cannot read {path}: {exc}") from None
    return parse_yaml(raw, path.name, what)


def parse_yaml(raw: bytes, name: str, what: str) -> Any:
    """YAML from bytes, with every text in it clean (see read_yaml)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InvalidInput(t("yaml_not_utf8", file=name, line=line), key="yaml_not_utf8", field=what) from None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise InvalidInput(t("yaml_nul", file=name, line=line), key="yaml_nul", field=what)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{what}: {name} is not valid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise InvalidInput(f"{what}: {name} nests too deeply") from None
    place = bad_text_at(data)
    if place is not None:
        raise InvalidInput(t("yaml_bad_text", file=name, field=place or "（顶层）"), key="yaml_bad_text",
                           field=what)
    return data


def bad_text_at(data: Any, path: str = "") -> str | None:
    """The dotted place of the first text (key or value) holding a NUL or a lone surrogate; None when clean."""
    if isinstance(data, str):
        return path if ("\x00" in data or any(0xD800 <= ord(c) <= 0xDFFF for c in data)) else None
    if isinstance(data, dict):
        for key, value in data.items():
            place = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and bad_text_at(key) is not None:
                return path or place.encode("utf-8", "backslashreplace").decode("utf-8")
            found = bad_text_at(value, place)
            if found is not None:
                return found
    if isinstance(data, list):
        for i, value in enumerate(data):
            found = bad_text_at(value, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def done(case: Any, what: str) -> None:
    label = STATUS_LABELS.get(str(case.status), "")
    out.print(f"{case.number}: {what} — now {case.status} ({label}), version {case.version}")


def print_open_deadlines(case: dict[str, Any]) -> None:
    for d in case.get("deadlines", []):
        if d["status"] == "armed":
            flag = "（预估）" if d["provisional"] else ""
            out.print(f"  deadline {DEADLINE_LABELS.get(d['kind'], d['kind'])}: due {local(d['due_at'])} "
                      f"Beijing time{flag} — {d['explanation']}")
