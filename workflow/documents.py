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


def minutes_context(svc: Services, actor: str | None | Actor, number: str, issue: int | None = None) -> dict[str, Any]:
    """The minutes in force (the last numbered issue; ISSUE picks an earlier one), or, before issuing, the draft
    built the same way with the lead's edits, marked as such, for the person named ACTOR. The system's own
    rendering (the minutes it mails) passes the `SYSTEM` Actor object, or calls `system_minutes_context`; no name
    stands for the system."""
    with svc.uow(readonly=True) as uow:
        who = actor if isinstance(actor, Actor) else resolve(uow, actor)
        return _minutes(svc, uow, _case(uow, who, number), issue)


def system_minutes_context(svc: Services, number: str) -> dict[str, Any]:
    """The minutes as the system renders them to mail them (the outbox)."""
    return minutes_context(svc, SYSTEM, number)


def _issue(case: Case, issue: int | None) -> dict[str, Any] | None:
    """Issue number ISSUE of the minutes (None: the one in force)."""
    if case.minutes is None or issue is None:
        return case.current_minutes()
    issues = [case.minutes, *case.minutes_corrections]
    if not 1 <= issue <= len(issues):
        raise InvalidInput(f"{case.number}: the minutes have issues 1 to {len(issues)}", key="minutes_issue_unknown",
                           field="issue", number=case.number, issue=issue, count=len(issues))
    return issues[issue - 1]


def _minutes(svc: Services, uow: UnitOfWork, case: Case, issue: int | None = None) -> dict[str, Any]:
    number = case.number
    issued = _issue(case, issue)
    if issued is not None:
        m, draft = issued, False
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
    custodians = m.get("custodians") or {"forms": case.applicant, "minutes": m["host"]}
    return {
        "draft": draft,
        "title": m["title"],
        "document_number": m["document_number"],
        # 第N号: the first issue is 1; a correction names the issue it corrects, with the reason (Art. 8(7)).
        "issue_no": int(m.get("issue_no") or 1),
        "corrects": m.get("corrects"),
        "correction_reason": m.get("reason") if m.get("corrects") else None,
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
            "absent_institutions": [names.get(code, code) for code in m.get("absent_institutions", [])],
            "unrecorded_institutions": [names.get(code, code) for code in m.get("unrecorded_institutions", [])],
        },
        "experts": experts,
        "absent": [{"name": e["name"], "reason": e["absent_reason"]} for e in experts if e["absent_reason"]],
        "votes": {k: votes.get(k) for k in ("forms", "defect", "investigate", "attention")},
        "decision": m["decision"],
        "summary": m.get("summary", ""),
        "decision_text": m.get("decision_text", ""),
        "conclusions": (votes.get("conclusions") or case.conclusions or {}),
        "follow_up": m["follow_up"],
        "cc": [names.get(code, code) for code in m["cc"]],
        # Art. 9: who keeps what.
        "custodians": {"forms": names.get(custodians["forms"], custodians["forms"]),
                       "minutes": names.get(custodians["minutes"], custodians["minutes"])},
        "issued_at": _local(m.get("issued_at"), "%Y-%m-%dT%H:%M:%S+08:00") or None,
    }
