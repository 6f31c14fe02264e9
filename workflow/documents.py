"""The data behind the papers: the 会诊表 of one expert (or blank) and the 会议纪要, assembled from the case.

Renderers (DOCX, PDF) in the shell only lay these dicts out; nothing on a paper is typed twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from states.beijing import BEIJING
from states.case import Case
from states.errors import GuardFailed, InvalidInput
from workflow.actors import SYSTEM, Actor, resolve
from workflow.errors import NotPermitted
from workflow.ports import UnitOfWork
from workflow.usecases import Services, load, minutes_content, visible_snapshot


def _local(iso: str | None, fmt: str = "%Y-%m-%d") -> str:
    return datetime.fromisoformat(iso).astimezone(BEIJING).strftime(fmt) if iso else ""


def _case(uow: UnitOfWork, who: Actor, number: str) -> Case:
    """The case for someone who may see it (the system sees every case it mails papers of)."""
    visible_snapshot(uow, who, number)
    return load(uow, number, lock=False)


def _experts(uow: UnitOfWork, ids: list[str]) -> list[dict[str, Any]]:
    out = []
    for order, eid in enumerate(ids, start=1):
        ex = uow.experts.get(eid)
        out.append({"order": order, "id": eid, "name": ex.name if ex else eid, "field": ex.field if ex else "",
                    "employer": ex.employer if ex else "", "title": ex.title if ex else ""})
    return out


def form_context(svc: Services, actor: str | None, number: str, expert: str | None = None) -> dict[str, Any]:
    """One expert's signed form, or (expert None) the blank form with the product section filled."""
    with svc.uow(readonly=True) as uow:
        user = resolve(uow, actor)
        case = _case(uow, user, number)
        experts = _experts(uow, case.panel)
        ctx: dict[str, Any] = {
            "institution": svc.policy.members.get(case.applicant, case.applicant),
            "date": "",
            "case_number": case.number,
            "sources": list(case.sources),
            "source_other": case.source_other,
            "product": dict(case.product),
            "experts": experts,
            "expert": None,
            "opinion": None,
            "conclusions": None,
            "signed_at": None,
            "province_names": dict(svc.policy.provinces),
        }
        if expert is None:
            return ctx
        if user.role == "expert" and expert != user.expert_id:  # an expert's form is theirs and the organisers'
            raise NotPermitted(f"{user.name} may read only their own signed form (expert {user.expert_id}), not "
                               f"expert {expert}'s", key="form_not_own", number=number, own=user.expert_id,
                               expert=expert)
        if expert not in case.panel:
            raise InvalidInput(f"{expert} is not on the panel of {number}",
                               key="expert_not_on_panel", field="expert", number=number, expert=expert)
        signed = case.opinions.get(expert)
        if signed is None:
            raise GuardFailed(f"{number}: expert {expert} has not signed a form yet (a blank form names no expert)",
                              key="form_not_signed", field="expert", number=number, expert=expert)
        who = next(e for e in experts if e["id"] == expert)
        signed_at = datetime.fromisoformat(signed["at"]).astimezone(BEIJING).isoformat()
        ctx.update(expert={"id": expert, "name": who["name"]}, opinion=signed["answers"],
                   conclusions=signed["conclusions"], signed_at=signed_at, date=_local(signed["at"]))
        return ctx


def minutes_context(svc: Services, actor: str | None | Actor, number: str) -> dict[str, Any]:
    """The minutes as issued (or, before issuing, a draft built the same way, marked as such), for the person
    named ACTOR. The system's own rendering (the minutes it mails) passes the `SYSTEM` Actor object, or calls
    `system_minutes_context`; no name stands for the system."""
    with svc.uow(readonly=True) as uow:
        who = actor if isinstance(actor, Actor) else resolve(uow, actor)
        return _minutes(svc, uow, _case(uow, who, number))


def system_minutes_context(svc: Services, number: str) -> dict[str, Any]:
    """The minutes as the system renders them to mail them (the outbox)."""
    return minutes_context(svc, SYSTEM, number)


def _minutes(svc: Services, uow: UnitOfWork, case: Case) -> dict[str, Any]:
    number = case.number
    if case.minutes is not None:
        m, draft = case.minutes, False
    elif case.tally is not None:
        m, draft = minutes_content(svc, uow, case), True
    else:
        raise GuardFailed(f"{number}: there are no minutes before the panel has decided (now {case.status})",
                          key="minutes_not_yet", number=number, status=str(case.status))
    names = svc.policy.members
    attendees: dict[str, list[str]] = {}
    for a in m.get("attendees", []):
        attendees.setdefault(a["institution"], []).append(a["name"])
    experts = []
    for e in m["experts"]:
        experts.append({"order": e["order"], "name": e["name"], "employer": e["employer"], "title": e["title"],
                        "statement": e.get("statement", ""), "conclusions": e.get("conclusions"),
                        "absent_reason": e.get("absent_reason") if "conclusions" not in e else None})
    votes = m.get("votes") or {}
    return {
        "draft": draft,
        "title": m["title"],
        "document_number": m["document_number"],
        "issuer": names.get(m["host"], m["host"]),
        "case_number": case.number,
        "product": dict(case.product),
        "applicant_name": names.get(case.applicant, case.applicant),
        "meeting": {
            "at": _local(m.get("meeting_at"), "%Y-%m-%dT%H:%M:%S+08:00") or None,
            "platform": m.get("platform") or "线上会议",
            "link": m.get("link"),
            "host": names.get(m["host"], m["host"]),
            "attendees": [{"institution": names.get(code, code), "names": people}
                          for code, people in attendees.items()],
        },
        "experts": experts,
        "absent": [{"name": e["name"], "reason": e["absent_reason"]} for e in experts if e["absent_reason"]],
        "votes": {k: votes.get(k) for k in ("forms", "defect", "investigate", "attention")},
        "decision": m["decision"],
        "conclusions": (votes.get("conclusions") or case.conclusions or {}),
        "follow_up": m["follow_up"],
        "cc": [names.get(code, code) for code in m["cc"]],
        "issued_at": _local(m.get("issued_at"), "%Y-%m-%dT%H:%M:%S+08:00") or None,
    }
