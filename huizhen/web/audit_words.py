"""The auditor's pages in words (issue 14): an event's payload or a changed field of a case, keys as Chinese labels
(labels.key), codes as their words, instants in Beijing time — never the raw JSON."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from huizhen import labels
from huizhen.clock import parse_instant
from states.beijing import BEIJING
from states.errors import InvalidInput

_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
# Keys whose values are codes with their own words: the tables to try, in order.
_CODED: dict[str, tuple[str, ...]] = {
    "status": ("status", "deadline_status"), "outcome": ("outcome",), "decision": ("outcome",),
    "kind": ("material", "deadline"), "role": ("role",), "type": ("event",), "defect": ("defect",),
    "universality": ("defect",), "answer": ("defect",), "rule": ("deadline",), "what": ("read",),
    "channel": ("read_channel",), "sources": ("source",),
}


def _coded(key: str, value: str) -> str:
    for kind in _CODED[key]:
        found = labels.table(kind).get(value)
        if found is not None:
            return found
    return value


def key_label(path: str) -> str:
    """product.model → 产品及生产信息 · 规格/型号; a list index → 第 n 项."""
    words = []
    for part in path.split("."):
        if part.isdigit():
            words.append(f"第 {int(part) + 1} 项")
        else:
            words.append(labels.label("key", part))
    return " · ".join(words) or "案件"


def readable(value: Any, key: str | None = None) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        if _INSTANT.match(value):
            try:
                return datetime.fromisoformat(value).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
            except ValueError:
                return value
        if key in _CODED:
            return _coded(key, value)
        return value
    if isinstance(value, Mapping):
        return "；".join(f"{labels.label('key', str(k))}：{readable(v, str(k))}" for k, v in value.items())
    if isinstance(value, list | tuple):
        sep = "｜" if any(isinstance(v, Mapping) for v in value) else "、"
        return sep.join(readable(v, key) for v in value)
    return str(value)


def payload_rows(payload: Mapping[str, Any]) -> list[tuple[str, str]]:
    """An event's recorded content, one (label, value) a key."""
    return [(labels.label("key", str(k)), readable(v, str(k))) for k, v in payload.items()]


WORDS = {"key_label": key_label, "readable": readable, "payload_rows": payload_rows}


def local_instant(raw: str, field: str) -> datetime | None:
    """A date-time picker's value (<input type="datetime-local">: Beijing time, no offset), or an ISO 8601 instant
    with its offset; None when empty."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{field}: {raw[:40]!r} is not a date and time", key="instant_invalid", field=field,
                           value=raw[:40]) from None
    return value.replace(tzinfo=BEIJING) if value.tzinfo is None else parse_instant(raw, field)
