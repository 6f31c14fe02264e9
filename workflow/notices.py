"""Who is told of what happened to a case (issue 12): the person who must act, not only the liaisons.

Pure: from the case as the events left it, the events just recorded and the users, the notices to send — each
with a stable key, so the inbox holds it exactly once (the ledger claims key + channel) however often it is
offered. The words are composed in the shell (huizhen.notify, from huizhen.labels); here only who and which.

  PanelFormed          the experts on the panel (newly: an expert already told is not told again — same key)
  MaterialsDispatched  the panel experts, with T1's due date
  CaseReferred         the lead's liaisons (T2 starts)
  OpinionRecorded      the lead's liaisons, when the last panel expert has signed the form
  ExpertChased         the chased expert (催办), once a chase
  ExpertResponded      the applicant's liaisons, when a panel expert declines or declares a conflict of interest
Meetings (scheduled, moved, cancelled) reach the panel and the attending staff as invitations (huizhen.outbox);
T1's due-day and overdue reminders reach the late experts through the sweep (scheduler.sweep).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from states.case import Event
from workflow.ports import User

PANEL, DISPATCHED, REFERRED, FORMS_SIGNED, CHASED = "panel", "dispatched", "referred", "forms_signed", "chased"
DECLINED, CONFLICT = "declined", "conflict"  # --- i12-panel ---


@dataclass(frozen=True)
class Notice:
    kind: str  # panel | dispatched | referred | forms_signed | chased | declined | conflict
    case_number: str
    recipient: User
    key: str  # what it is and for whom; the channel is appended by whoever sends it
    params: dict[str, Any] = field(default_factory=dict)


def _experts(users: Sequence[User], ids: Sequence[str]) -> list[User]:
    return [u for e in ids for u in users if u.role == "expert" and u.expert_id == e]


def _liaisons(users: Sequence[User], institution: str | None) -> list[User]:
    return [u for u in users if u.role == "liaison" and institution and u.institution == institution]


def _t1_due(case: dict[str, Any]) -> str | None:
    armed = [d for d in case.get("deadlines", []) if d.get("kind") == "expert_analysis" and d.get("status") == "armed"]
    return str(armed[-1]["due_at"]) if armed else None


# The only events `notices` looks at: a command whose events are none of these tells nobody (nothing to read).
NOTICE_EVENTS = frozenset({"PanelFormed", "MaterialsDispatched", "CaseReferred", "OpinionRecorded", "ExpertChased",
                           "ExpertResponded"})


def notices(case: dict[str, Any], events: Sequence[Event], users: Sequence[User]) -> list[Notice]:
    """The notices these events ask for, in order (CASE: the snapshot after them)."""
    number = case["number"]
    product = (case.get("product") or {}).get("name", "")
    base = {"number": number, "product": product}
    out: list[Notice] = []
    for ev in events:
        if ev.type == "PanelFormed":
            for u in _experts(users, ev.payload.get("experts", [])):
                out.append(Notice(PANEL, number, u, f"{number}|{PANEL}|{u.expert_id}|{u.name}", dict(base)))
        elif ev.type == "MaterialsDispatched":
            due = _t1_due(case)
            for u in _experts(users, case.get("panel", [])):
                out.append(Notice(DISPATCHED, number, u, f"{number}|{DISPATCHED}|{u.name}", base | {"due_at": due}))
        elif ev.type == "CaseReferred":
            for u in _liaisons(users, case.get("lead")):
                out.append(Notice(REFERRED, number, u, f"{number}|{REFERRED}|{u.name}", dict(base)))
        elif ev.type == "OpinionRecorded":
            panel = case.get("panel", [])
            absent = set(case.get("absences") or {})
            signed = set(case.get("opinions") or {})
            if panel and all(e in signed or e in absent for e in panel):
                for u in _liaisons(users, case.get("lead")):
                    out.append(Notice(FORMS_SIGNED, number, u, f"{number}|{FORMS_SIGNED}|{u.name}", dict(base)))
        elif ev.type == "ExpertChased":
            expert = ev.payload.get("expert", "")
            stamp = ev.occurred_at.isoformat()
            for u in _experts(users, [expert]):
                out.append(Notice(CHASED, number, u, f"{number}|{CHASED}|{u.name}|{stamp}",
                                  base | {"note": ev.payload.get("note", ""), "due_at": _t1_due(case)}))
        elif ev.type == "ExpertResponded":
            p = ev.payload
            kind = DECLINED if p.get("answer") == "decline" else CONFLICT if p.get("relation") == "related" else ""
            if kind:
                stamp = ev.occurred_at.isoformat()
                extra = {"expert": p.get("expert", ""), "relation": p.get("relation_text", ""),
                         "note": p.get("note", "")}
                for u in _liaisons(users, case.get("applicant")):
                    out.append(Notice(kind, number, u, f"{number}|{kind}|{p.get('expert')}|{u.name}|{stamp}",
                                      base | extra))
    return out
