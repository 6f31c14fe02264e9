"""Each kind of refusal declares its exit code and HTTP status once (ARCHITECTURE decision 11), and the web's
words for a refusal: the Chinese sentence of its key, the field by its Chinese label, never a flag.

The CLI's words (flags, hints that name commands) are in huizhen/cli/render.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from huizhen import labels
from states.errors import DomainError


@dataclass(frozen=True)
class Kind:
    exit_code: int
    http_status: int


KINDS: dict[str, Kind] = {
    "invalid_input": Kind(2, 400),
    "calendar_data": Kind(2, 400),
    "paper_error": Kind(2, 400),
    "not_permitted": Kind(3, 403),
    "not_found": Kind(4, 404),
    "invalid_transition": Kind(5, 409),
    "guard_failed": Kind(5, 409),
    "conflict": Kind(6, 409),
    "storage_unavailable": Kind(7, 503),
    "not_initialised": Kind(7, 503),
    "config_error": Kind(8, 503),
}
UNKNOWN_KIND = Kind(2, 400)


def kind_of(exc: DomainError) -> Kind:
    return KINDS.get(exc.code, UNKNOWN_KIND)


def exit_code(exc: DomainError) -> int:
    return kind_of(exc).exit_code


def http_status(exc: DomainError) -> int:
    return kind_of(exc).http_status


# An error raised before its room spoke neutrally starts with the input's CLI name ("--note: ...", "NAME: ...",
# "EXPERT_ID: ..."): the web never shows that name, but it reads which field it is from it.
_CLI_PREFIX = re.compile(r"^(--[a-z][a-z-]*(?:/--[a-z][a-z-]*)*|[A-Z][A-Z_]+(?:\.\.\.)?):\s*")
_CLI_FIELDS = {"EXPERT_ID": "experts", "EXPERT_ID...": "experts", "NAME": "name", "FILE": "file",
               "PASSWORD": "password", "--attendee": "attendees"}


def _legacy(exc: DomainError) -> tuple[str | None, str]:
    """(field, message) of an error: its own field, or the one its message's CLI prefix names."""
    found = _CLI_PREFIX.match(exc.message)
    if exc.field or found is None:
        return exc.field, exc.message
    name = found.group(1).split("/")[0]
    field = _CLI_FIELDS.get(name) or name.removeprefix("--").replace("-", "_").lower()
    return field, exc.message[found.end():]


def sentence(exc: DomainError) -> str:
    """What went wrong, in the reader's language: the key's sentence, or (a key without a sentence yet) the
    neutral message."""
    if labels.has_sentence(exc.key):
        try:
            return labels.t(exc.key, **labels.worded(exc.params))
        except (KeyError, IndexError, ValueError):
            pass  # a parameter the sentence needs is missing: the message still says it
    return _legacy(exc)[1]


def field_of(exc: DomainError) -> str | None:
    return _legacy(exc)[0]


def web_message(exc: DomainError) -> str:
    """The line a page shows: 标题（字段）：句子."""
    title = labels.label("error_title", exc.code, labels.label("error_title", "domain_error"))
    field = field_of(exc)
    where = f"（{labels.label('field', field)}）" if field else ""
    return f"{title}{where}：{sentence(exc)}"


def json_error(exc: DomainError) -> dict[str, Any]:
    """The API's error object: status, code, message (the Chinese line), key, field, params."""
    return {"status": http_status(exc), "code": exc.code, "message": web_message(exc), "key": exc.key,
            "field": field_of(exc), "params": labels.values(exc.params)}
