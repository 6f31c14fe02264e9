"""One function per command. Each opens a unit of work, resolves who acts, checks they may, runs the domain and
commits (workflow.services.act). Nothing is written unless everything succeeds.

The reading use cases live in workflow.reading, people's in workflow.people and the common ground (Services, act,
the reason-only steps) in workflow.services; they are re-exported here, so `usecases.show_case`,
`usecases.add_user` and `usecases.Services` keep working for the shell.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from states import case as domain
from states.beijing import BEIJING, beijing_day
from states.case import Case, Event
from states.commands import COMMANDS
from states.errors import InvalidInput, InvalidTransition
from states.status import MATERIAL_KINDS, CaseStatus, Outcome
from workflow.actors import SYSTEM, Actor
from workflow.errors import NotPermitted
from workflow.people import ROLES, add_expert, add_user, check_new_user, list_experts
from workflow.permissions import Someone
from workflow.ports import UnitOfWork
from workflow.reading import (
    chain_heads,
    checkpoint_findings,
    checkpoint_gaps,
    event_dict,
    export_events,
    for_viewer,
    history,
    list_cases,
    material,
    may_read_checkpoints,
    may_read_event,
    may_see_fee,
    present,
    replay_at,
    show_case,
    system_chain_heads,
    verify_audit,
    with_retention,
)
from workflow.services import (
    AfterCommit,
    Doing,
    Services,
    _user,
    act,
    act_as_system,
    lead_for,
    lead_on_day,
    load,
    notify,
    reason_step,
    run_reason_command,
    visible_snapshot,
)

__all__ = [
    "ROLES", "add_expert", "add_user", "check_new_user", "list_experts",
    "BEIJING", "SYSTEM", "AfterCommit", "Services", "_user", "act", "beijing_day", "event_dict", "export_events",
    "for_viewer", "history", "lead_for", "lead_on_day", "list_cases", "load", "material", "may_read_event", "may_see_fee",
    "present", "replay_at", "show_case", "verify_audit", "visible_snapshot", "with_retention", "chain_heads",
    "checkpoint_findings", "checkpoint_gaps", "may_read_checkpoints",
    "system_chain_heads",
]

# The event a command writes, to tell "someone else just did this" (a conflict) from a plain wrong state.
EVENT_OF: dict[str, str] = {c.name: c.event for c in COMMANDS.values()}


# --- cases: creation ----------------------------------------------------------------------------------------


def parse_draft(svc: Services, data: Any) -> dict[str, Any]:
    return domain.parse_case_file(data, svc.policy.members)


def may_open_case(user: Someone) -> bool:
    """Only an institution's liaison opens a case."""
    return user.role == "liaison" and bool(user.institution) and not getattr(user, "is_system", False)


def new_case(svc: Services, actor: str | None, data: Any, linked_from: str | None = None) -> Case:
    draft = parse_draft(svc, data)
    with svc.uow() as uow:
        user = _user(uow, actor)
        if not may_open_case(user) or user.institution is None:
            raise NotPermitted(f"{user.name} ({user.role}) may not open a case: only an institution's liaison may",
                               key="open_case_liaison_only", name=user.name, role=user.role)
        now = svc.clock.now()
        number = uow.cases.next_number(svc.policy.case_prefix, now.astimezone(BEIJING).year)
        case, event = domain.open_case(number, user.institution, draft, user.name, now, linked_from)
        uow.cases.add(case, [event])
        uow.commit()
    notify(svc, case.number, [event])
    return case


def edit_case(svc: Services, actor: str | None, number: str, data: Any) -> Case:
    draft = parse_draft(svc, data)
    return act(svc, actor, number, "edit", lambda u, c, usr, now: [domain.edit(c, draft, usr.name, now)])[0]


# --- the commands whose only input is a reason (one step each: use case, dry run and derived shell) ------------


@reason_step("submit")
def _submit(d: Doing, case: Case) -> list[Event]:
    return [domain.submit(case, lead_for(d.svc, d.now), d.actor.name, d.now)]


@reason_step("dispatch")
def _dispatch(d: Doing, case: Case) -> list[Event]:
    return [domain.dispatch(case, d.actor.name, d.now, d.svc.planner())]


@reason_step("refer")
def _refer(d: Doing, case: Case) -> list[Event]:
    return [domain.refer(case, d.reason, d.actor.name, d.now, d.svc.planner())]


@reason_step("cancel_meeting")
def _cancel_meeting(d: Doing, case: Case) -> list[Event]:
    return [domain.cancel_meeting(case, d.reason, d.actor.name, d.now)]


@reason_step("convene")
def _convene(d: Doing, case: Case) -> list[Event]:
    return [domain.convene(case, d.actor.name, d.now)]


@reason_step("decide")
def _decide(d: Doing, case: Case) -> list[Event]:
    return [domain.decide(case, d.actor.name, d.now, d.svc.planner())]


@reason_step("issue_minutes")
def _issue_minutes(d: Doing, case: Case) -> list[Event]:
    if case.status not in (CaseStatus.decided, CaseStatus.continued_attention):
        raise InvalidTransition(f"{case.number}: minutes are issued once the panel has decided (now {case.status})",
                                key="minutes_before_decision", number=case.number, status=str(case.status))
    return [domain.issue_minutes(case, minutes_content(d.svc, d.uow, case), d.actor.name, d.now)]


@reason_step("archive")
def _archive(d: Doing, case: Case) -> list[Event]:
    return [domain.archive(case, d.actor.name, d.now)]


@reason_step("conclude")
def _conclude(d: Doing, case: Case) -> list[Event]:
    return [domain.conclude(case, d.reason, d.actor.name, d.now)]


@reason_step("withdraw")
def _withdraw(d: Doing, case: Case) -> list[Event]:
    return [domain.withdraw(case, d.reason, d.actor.name, d.now)]


@reason_step("reopen")
def _reopen(d: Doing, case: Case) -> list[Event]:
    """Continued attention ends in a new linked case (drafted, same product data); this one is archived."""
    new_number = d.new_number(case.number)
    draft = {"product": case.product, "sources": case.sources, "source_other": case.source_other,
             "basis": case.basis}
    event = domain.reopen(case, d.reason, new_number, d.actor.name, d.now)
    d.created.append(domain.open_case(new_number, case.applicant, draft, d.actor.name, d.now, case.number))
    return [event]


def run_simple(svc: Services, actor: str | None, number: str, name: str, reason: str = "") -> Case:
    """Any reason-only command of the catalogue by name (the shell's derived CLI commands, pages and routes)."""
    return run_reason_command(svc, actor, number, name, reason)[0]


def submit(svc: Services, actor: str | None, number: str) -> Case:
    return run_simple(svc, actor, number, "submit")


def dispatch(svc: Services, actor: str | None, number: str) -> Case:
    return run_simple(svc, actor, number, "dispatch")


def refer(svc: Services, actor: str | None, number: str, reason: str = "") -> Case:
    return run_simple(svc, actor, number, "refer", reason)


def cancel_meeting(svc: Services, actor: str | None, number: str, reason: str = "") -> Case:
    return run_simple(svc, actor, number, "cancel_meeting", reason)


def convene(svc: Services, actor: str | None, number: str) -> Case:
    return run_simple(svc, actor, number, "convene")


def decide(svc: Services, actor: str | None, number: str) -> Case:
    return run_simple(svc, actor, number, "decide")


def issue_minutes(svc: Services, actor: str | None, number: str) -> Case:
    return run_simple(svc, actor, number, "issue_minutes")


def archive(svc: Services, actor: str | None, number: str) -> Case:
    return run_simple(svc, actor, number, "archive")


def conclude(svc: Services, actor: str | None, number: str, reason: str) -> Case:
    return run_simple(svc, actor, number, "conclude", reason)


def withdraw(svc: Services, actor: str | None, number: str, reason: str) -> Case:
    return run_simple(svc, actor, number, "withdraw", reason)


def reopen(svc: Services, actor: str | None, number: str, reason: str) -> tuple[Case, Case]:
    """Continued attention ends in a new linked case (drafted, same product data); this one is archived."""
    old, opened = run_reason_command(svc, actor, number, "reopen", reason)
    return old, opened[0]


# --- cases: commands with inputs -----------------------------------------------------------------------------


def concur(svc: Services, actor: str | None, number: str, note: str) -> Case:
    """Art. 4(3): the acting liaison's institution concurs with the joint decision of a draft."""
    return act(svc, actor, number, "concur",
               lambda u, c, usr, now: [domain.concur(c, usr.institution or "", note, usr.name, now)])[0]


def verify(svc: Services, actor: str | None, number: str, note: str) -> Case:
    return act(svc, actor, number, "verify", lambda u, c, usr, now: [domain.verify(c, note, usr.name, now)])[0]


def form_panel(svc: Services, actor: str | None, number: str, experts: Sequence[str], reason: str = "") -> Case:
    ids = [e.strip() for e in experts if e.strip()]

    def run(uow: UnitOfWork, case: Case, user: Actor, now: datetime) -> list[Event]:
        for eid in ids:
            found = uow.experts.get(eid)
            if found is None:
                raise InvalidInput(f"expert {eid} does not exist", key="expert_unknown", field="experts", expert=eid)
            if not found.active:
                raise InvalidInput(f"expert {eid} is no longer active", key="expert_inactive", field="experts",
                                   expert=eid)
        return [domain.form_panel(case, ids, reason, user.name, now)]

    return act(svc, actor, number, "form_panel", run)[0]


def safe_filename(name: str) -> str:
    """Keep only the last path component; refuse names that are empty, hidden tricks or control characters."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    if not base or base in (".", "..") or any(ord(ch) < 32 for ch in base) or len(base) > 200:
        raise InvalidInput(f"{name!r} is not a usable file name", key="file_name_invalid", field="file", name=name)
    return base


def attach(svc: Services, actor: str | None, number: str, filename: str, data: bytes, kind: str = "other") -> Case:
    def run(uow: UnitOfWork, case: Case, user: Actor, now: datetime) -> list[Event]:
        # Inside the transaction, after act() has checked permission and state: those refusals come first.
        if kind not in MATERIAL_KINDS:
            raise InvalidInput(f"the kind must be one of {', '.join(MATERIAL_KINDS)}, not {kind!r}",
                               key="material_kind_unknown", field="kind", kind=kind, allowed=list(MATERIAL_KINDS))
        name = safe_filename(filename)
        if not data:
            raise InvalidInput(f"{name} is empty", key="file_empty", field="file", name=name)
        if len(data) > svc.max_material_bytes:
            raise InvalidInput(f"{name} is {len(data)} bytes; the limit is {svc.max_material_bytes}",
                               key="file_too_large", field="file", name=name, size=len(data),
                               limit=svc.max_material_bytes)
        digest = hashlib.sha256(data).hexdigest()
        uow.blobs.put(digest, data)
        return [domain.attach(case, digest, name, kind, len(data), user.name, now)]

    return act(svc, actor, number, "attach", run)[0]


def record_analysis(svc: Services, actor: str | None, number: str, expert: str, text: str) -> Case:
    return act(svc, actor, number, "record_analysis",
               lambda u, c, usr, now: [domain.record_analysis(c, expert, text, usr.name, now)], expert=expert)[0]


def schedule_meeting(svc: Services, actor: str | None, number: str, at: datetime, platform: str,
                     link: str | None = None, attendees: Sequence[str] = (), order: Sequence[str] = ()) -> Case:
    """Art. 8(4): the lead schedules the online meeting; an .ics invitation follows after commit."""
    if link is not None and not re.match(r"^https?://\S+$", link):
        raise InvalidInput(f"{link!r} is not an http(s) URL", key="link_invalid", field="link", link=link)

    def run(uow: UnitOfWork, case: Case, user: Actor, now: datetime) -> list[Event]:
        people: list[dict[str, Any]] = []
        for name in dict.fromkeys(attendees):
            found = uow.users.get(name)
            if found is None:
                raise InvalidInput(f"user {name!r} does not exist", key="attendee_unknown", field="attendees",
                                   name=name)
            if found.role != "liaison" or not found.institution:
                raise InvalidInput(f"{name} is not an institution's staff (liaison)", key="attendee_not_liaison",
                                   field="attendees", name=name)
            people.append({"user": found.name, "name": found.display_name or found.name,
                           "institution": found.institution})
        speaking = list(order) or list(case.panel)
        return [domain.schedule_meeting(case, at, platform, link, people, speaking, user.name, now)]

    return act(svc, actor, number, "schedule", run)[0]


def record_delivery(svc: Services, number: str, what: str, recipient: str, channel: str, key: str) -> None:
    """An invitation or the minutes reached someone: appended to the history by the system, after the send."""

    def run(uow: UnitOfWork, case: Case, system: Actor, now: datetime) -> list[Event]:
        if any(d["key"] == key for d in case.deliveries):
            return []  # already recorded (a retried send): the history says it once
        return [domain.record_delivery(case, what, recipient, channel, key, system.name, now)]

    act_as_system(svc, number, "record_delivery", run)


def record_opinion(svc: Services, actor: str | None, number: str, expert: str, data: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def run(uow: UnitOfWork, case: Case, user: Actor, now: datetime) -> list[Event]:
        event, conclusions = domain.record_opinion(case, expert, data, user.name, now)
        out.update(conclusions.to_dict())
        return [event]

    act(svc, actor, number, "record_opinion", run, expert=expert)
    return out


def chase(svc: Services, actor: str | None, number: str, expert: str, note: str = "") -> Case:
    """催办 a late expert (issue 12): recorded in the history; the expert is told (workflow.notices)."""
    return act(svc, actor, number, "chase",
               lambda u, c, usr, now: [domain.chase(c, expert, note, usr.name, now)])[0]


def record_absence(svc: Services, actor: str | None, number: str, expert: str, reason: str) -> Case:
    return act(svc, actor, number, "record_absence",
               lambda u, c, usr, now: [domain.record_absence(c, expert, reason, usr.name, now)])[0]


def record_attendance(svc: Services, actor: str | None, number: str, institution: str, staff: Sequence[str] = (),
                      absent: bool = False) -> Case:
    """Art. 8(4): the lead records an institution's 1–2 staff at the meeting by name, or that it sent no one."""
    members = list(svc.policy.members)
    return act(svc, actor, number, "record_attendance",
               lambda u, c, usr, now: [domain.record_attendance(c, institution, staff, absent, members, usr.name,
                                                                now)])[0]


def record_statement(svc: Services, actor: str | None, number: str, expert: str, text: str,
                     order: int | None = None) -> Case:
    """Art. 8(5): the lead records what an expert said at the meeting, in speaking order."""
    return act(svc, actor, number, "record_statement",
               lambda u, c, usr, now: [domain.record_statement(c, expert, text, order, usr.name, now)])[0]


def draft_minutes(svc: Services, actor: str | None, number: str, summary: str | None = None,
                  decision_text: str | None = None, follow_up: str | None = None) -> Case:
    """Art. 8(7): the lead's wording of the minutes before issuing them."""
    changes = {"summary": summary, "decision_text": decision_text, "follow_up": follow_up}
    return act(svc, actor, number, "draft_minutes",
               lambda u, c, usr, now: [domain.draft_minutes(c, changes, usr.name, now)])[0]


def correct_minutes(svc: Services, actor: str | None, number: str, reason: str, summary: str | None = None,
                    decision_text: str | None = None, follow_up: str | None = None) -> Case:
    """Issued minutes never change: a correction is the next numbered issue, naming the one it corrects."""
    changes = {"summary": summary, "decision_text": decision_text, "follow_up": follow_up}
    return act(svc, actor, number, "correct_minutes",
               lambda u, c, usr, now: [domain.correct_minutes(c, changes, reason, usr.name, now)])[0]


def track(svc: Services, actor: str | None, number: str, note: str) -> Case:
    plan = svc.planner()
    return act(svc, actor, number, "track", lambda u, c, usr, now: [domain.track(c, note, usr.name, now, plan)])[0]


def minutes_content(svc: Services, uow: UnitOfWork, case: Case) -> dict[str, Any]:
    """The minutes record, from the case data (never re-typed): participants, the experts' statements at the
    meeting in speaking order (Art. 8(5)), votes, decision, cc list, and the lead's edits of the draft (Art. 8(7))."""
    lead = case.lead or ""
    members = svc.policy.members
    experts = []
    meeting = case.meeting if case.meeting and not case.meeting.get("cancelled") else None
    said = {s["expert"]: s["text"] for s in case.statements}
    # The speaking order: the statements as recorded at the meeting, then the planned order for the rest.
    planned = meeting["speaking_order"] if meeting else case.panel
    speaking = list(dict.fromkeys([s["expert"] for s in case.statements] + list(planned) + list(case.panel)))
    for order, eid in enumerate(speaking, start=1):
        ex = uow.experts.get(eid)
        entry: dict[str, Any] = {"order": order, "expert": eid, "name": ex.name if ex else eid,
                                 "employer": ex.employer if ex else "", "title": ex.title if ex else "",
                                 "statement": said.get(eid, "")}
        if eid in case.opinions:
            entry["conclusions"] = case.opinions[eid]["conclusions"]
        else:
            entry["absent_reason"] = case.absences.get(eid, "")
        experts.append(entry)
    serial = int(case.number.rsplit("-", 1)[-1])
    year = case.number.split("-")[1]
    follow_up = {
        Outcome.investigate: f"由{members.get(case.applicant, case.applicant)}按程序报请开展缺陷调查。",
        Outcome.no_investigation: "不建议开展缺陷调查，本次会诊结束。",
        Outcome.continued_attention: f"由{members.get(case.applicant, case.applicant)}继续进行信息跟踪（持续关注）。",
    }
    outcome = case.outcome or Outcome.no_investigation
    draft = case.minutes_draft
    heard = sum(1 for e in experts if e["statement"])
    summary = (f"会议由{members.get(lead, lead)}主持。专家组{len(case.panel)}名专家中{heard}名按发言顺序依次发表意见，"
               f"经讨论，{len(case.opinions)}名专家填写并签署了会诊表，按少数服从多数原则形成会诊意见。")
    return {
        "title": svc.policy.minutes_title,
        "document_number": f"长三角会诊纪要〔{year}〕{serial}号",
        "issue_no": 1,
        "host": lead,
        "host_name": members.get(lead, lead),
        "applicant": case.applicant,
        # Art. 9: the applicant keeps the forms, the lead keeps the minutes.
        "custodians": {"forms": case.applicant, "minutes": lead},
        "meeting_at": (meeting or {}).get("at") or (case.convened_at.isoformat() if case.convened_at else None),
        "platform": (meeting or {}).get("platform"),
        "link": (meeting or {}).get("link"),
        "attendees": _attendees(case, meeting),
        "absent_institutions": [code for code in members if (case.attendance.get(code) or {}).get("absent")],
        "unrecorded_institutions": ([code for code in members if code not in case.attendance]
                                    if case.attendance else []),
        "experts": experts,
        "present": [e for e in case.panel if e in case.opinions],
        "absent": dict(case.absences),
        "votes": case.tally,
        "decision": str(outcome),
        "summary": draft.get("summary") or summary,
        "decision_text": draft.get("decision_text") or "",
        "follow_up": draft.get("follow_up") or follow_up[outcome],
        "cc": [code for code in members if code != lead],
    }


def _attendees(case: Case, meeting: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Who attended for each institution, by name: the attendance recorded at the meeting (Art. 8(4)); for a case
    without it (the earlier order), the staff the invitation named."""
    if case.attendance:
        return [{"institution": code, "name": name}
                for code, rec in case.attendance.items() if not rec.get("absent") for name in rec["staff"]]
    return list((meeting or {}).get("attendees", []))
