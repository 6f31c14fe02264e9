"""The auditor's comparison (issue 14): the case as it stood at one instant against another, field by field.
Built on the replay (workflow.reading.replay_at), so it sees exactly what the replay shows, with its permission."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from states.errors import InvalidInput
from workflow.reading import replay_at
from workflow.services import Services

# Computed or bookkeeping fields that change with every event or only with the reading instant: not a change of
# the case a person compares.
_IGNORED = frozenset({"version", "last_hash", "updated_at"})


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _flatten(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping) and (value or not path):
        for key in sorted(value, key=str):
            if not path and key in _IGNORED:
                continue
            _flatten(value[key], f"{path}.{key}" if path else str(key), out)
    else:
        out[path] = value


def case_diff(svc: Services, actor: str | None, number: str, start: datetime, end: datetime) -> dict[str, Any]:
    """The fields of case NUMBER that differ between the instants START and END (paths like `product.model`;
    lists compared whole), each with its value before and after. A case that did not exist yet at START is
    compared with nothing."""
    if end <= start:
        raise InvalidInput("the second instant must be after the first", key="range_reversed", field="to")
    after = replay_at(svc, actor, number, end)
    try:
        before: dict[str, Any] | None = replay_at(svc, actor, number, start)
    except Exception as exc:  # only "did not exist yet" is expected here; anything else is raised again
        if getattr(exc, "key", None) != "case_not_yet":
            raise
        before = None
    flat_before: dict[str, Any] = {}
    flat_after: dict[str, Any] = {}
    _flatten(before or {}, "", flat_before)
    _flatten(after, "", flat_after)
    # Nothing and an empty value are the same to a reader ("—" either way): not a change.
    changes = [{"field": f, "before": flat_before.get(f), "after": flat_after.get(f)}
               for f in sorted(set(flat_before) | set(flat_after))
               if flat_before.get(f) != flat_after.get(f)
               and not (_empty(flat_before.get(f)) and _empty(flat_after.get(f)))]
    return {"case": number, "from": start.isoformat(), "to": end.isoformat(), "existed_before": before is not None,
            "status_before": before["status"] if before else None, "status_after": after["status"],
            "changes": changes}
