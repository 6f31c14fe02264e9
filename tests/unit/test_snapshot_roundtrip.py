"""A command loads its case from the stored snapshot (issue 17), so `Case.from_dict` must read back every field
`Case.to_dict` writes: a field added to the case and to the snapshot but forgotten in `from_dict` would be lost by
the next command, silently. Here every container field holds something, and the round trip must give the case back."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import datetime
from typing import Any

from states.aggregate import Case
from states.status import CaseStatus


def _filled() -> Case:
    case = Case(number="YRD-2026-0001", status=CaseStatus.decided, applicant="SH", lead="JS",
                created_at=datetime.fromisoformat("2026-09-01T09:00:00+08:00"), version=7,
                last_event_at=datetime.fromisoformat("2026-10-14T15:00:00+08:00"))
    for f in fields(Case):
        value = getattr(case, f.name)
        if isinstance(value, dict) and not value:
            setattr(case, f.name, {"E0001": {"said": "某值", "order": 1}})
        elif isinstance(value, list) and not value and f.name != "deadlines":
            setattr(case, f.name, [{"at": "2026-10-14T14:00:00+08:00", "who": "x1"}])
    return case


def test_every_field_the_snapshot_writes_is_read_back() -> None:
    case = _filled()
    stored: dict[str, Any] = json.loads(json.dumps(case.to_dict()))
    back = Case.from_dict(stored, case.last_event_at)
    lost = [f.name for f in fields(Case) if getattr(back, f.name) != getattr(case, f.name)]
    assert lost == []
    assert back.to_dict() == case.to_dict()
