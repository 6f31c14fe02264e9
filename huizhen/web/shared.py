"""What the pages and the API both use (so api.py never imports pages.py): the simple commands of the catalogue,
a material's download, and the meeting's instant from a form or a body."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from starlette.responses import Response

from huizhen.clock import parse_instant
from huizhen.web.inputs import mime_of
from states import commands as catalogue
from states.beijing import BEIJING
from states.commands import Command
from states.errors import InvalidInput


def simple_actions() -> dict[str, Command]:
    """The simple commands (the case and perhaps a reason) by name, from the catalogue as it is now: each is a
    button of the case page (POST /cases/N/act/NAME) and an API route (POST /api/v1/cases/N/SLUG)."""
    return {cmd.name: cmd for cmd in catalogue.simple_commands()}


def case_url(number: str, ok: str | None = None) -> str:
    """The case page, with what was just done (`?ok=ACTION`) for its confirmation line."""
    url = f"/cases/{quote(number, safe='')}"
    return f"{url}?ok={ok}" if ok else url


def material_response(item: dict[str, Any], data: bytes) -> Response:
    name = str(item["filename"])
    ascii_name = "".join(ch if ch.isascii() and ch.isalnum() or ch in "._-" else "_" for ch in name) or "file"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
    return Response(data, media_type=mime_of(name), headers={"Content-Disposition": disposition,
                                                             "X-Content-SHA256": str(item["sha256"])})


def meeting_instant(raw: str) -> datetime:
    """A datetime-local value (Beijing time) or an ISO instant with offset."""
    raw = raw.strip()
    if not raw:
        raise InvalidInput("the meeting's date and time are missing", key="meeting_time_missing", field="at")
    try:
        naive = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{raw!r} is not a date and time (e.g. 2026-10-14T14:00)", key="meeting_time_invalid",
                           field="at", value=raw) from None
    if naive.tzinfo is None:
        return naive.replace(tzinfo=BEIJING)
    return parse_instant(raw, "at")
