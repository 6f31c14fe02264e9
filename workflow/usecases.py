"""One function per command. Each opens a unit of work, checks who may act, runs the domain and commits.

Nothing is written unless everything succeeds: a refusal leaves the database as it was.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from states import case as domain
from states.case import Case, Deadline, Event
from states.errors import Conflict, InvalidInput, InvalidTransition
from states.machine import TERMINAL_STATES
from states.rotation import lead_on
from states.status import MATERIAL_KINDS, CaseStatus, Outcome
from states.yearly import retention_until
from workflow.errors import NotFound, NotPermitted
from workflow.permissions import require_act, require_role, require_view
from workflow.ports import (
    Clock,
    Expert,
    Policy,
    StoredEvent,
    UnitOfWork,
    UnitOfWorkFactory,
    User,
    WorkingCalendarPort,
)

SHANGHAI_OFFSET_NOTE = "Asia/Shanghai"
BEIJING = ZoneInfo(SHANGHAI_OFFSET_NOTE)  # the regulation's days and years are Beijing's


def beijing_day(instant: datetime) -> date:
    """The calendar day an instant falls on in Beijing: the day the regulation counts."""
    return instant.astimezone(BEIJING).date()
ROLES = ("liaison", "expert", "auditor", "admin")
MAX_MATERIAL_BYTES = 50 * 1024 * 1024
NAME_RE = re.compile(r"^[\w.\-@\u4e00-\u9fff]{1,64}$")

# The event a command writes, to tell "someone else just did this" (a conflict) from a plain wrong state.
EVENT_OF: dict[str, str] = {
    "submit": "CaseSubmitted", "dispatch": "MaterialsDispatched", "refer": "CaseReferred", "convene": "CaseConvened",
    "decide": "CaseDecided", "archive": "CaseArchived", "withdraw": "CaseWithdrawn", "conclude": "CaseConcluded",
    "reopen": "CaseReopened", "issue_minutes": "MinutesIssued",
}

AfterCommit = Callable[[str, Sequence[Event], "Services"], None]


@dataclass
class Services:
    """What every use case needs, assembled once by the shell's bootstrap()."""

    uow: UnitOfWorkFactory
    clock: Clock
    calendar: WorkingCalendarPort
    policy: Policy
    after_commit: list[AfterCommit] = field(default_factory=list)
    max_material_bytes: int = MAX_MATERIAL_BYTES

    def planner(self) -> domain.DeadlinePlanner:
        def plan(kind: str, start_at: datetime, deadline_id: str) -> Deadline:
            n = self.policy.timers[kind]
            due = self.calendar.due_from(start_at, n)
            return Deadline(
                id=deadline_id, kind=kind, start_at=start_at.astimezone(UTC), working_days=n,
                due_at=due.due_at.astimezone(UTC),
                due_date=due.due.isoformat(), calendar_version=due.calendar_version,
                provisional=due.provisional, explanation=due.explain(),
            )

        return plan


def _user(uow: UnitOfWork, name: str | None) -> User:
    if not name:
        raise NotPermitted("HUIZHEN_USER is not set: say who is acting")
    user = uow.users.get(name)
    if user is None:
        raise NotPermitted(f"user {name!r} does not exist (an admin adds users with: huizhen users add)")
    return user


def visible_snapshot(uow: UnitOfWork, user: User, number: str) -> dict[str, Any]:
    """The case's snapshot for someone who may see it: not found, or not permitted, otherwise."""
    snap = uow.cases.snapshot(number)
    if snap is None:
        raise NotFound(f"case {number} does not exist")
    require_view(user, snap)
    return snap


def _load(uow: UnitOfWork, number: str) -> Case:
    case = uow.cases.load(number, lock=True)
    if case is None:
        raise NotFound(f"case {number} does not exist")
    return case


def _notify(svc: Services, number: str, events: Sequence[Event]) -> None:
    for handler in svc.after_commit:
        handler(number, events, svc)


def _conflict_or(exc: InvalidTransition, uow: UnitOfWork, case: Case, action: str) -> Exception:
    wanted = EVENT_OF.get(action)
    history = uow.cases.events(case.number)
    if wanted and history and history[-1].event.type == wanted:
        last = history[-1]
        return Conflict(
            f"conflict: {case.number} was already {action.replace('_', ' ')} by {last.event.actor} at "
            f"{last.event.occurred_at.isoformat()} (now {case.status}); nothing written"
        )
    return exc


def act(
    svc: Services,
    actor: str | None,
    number: str,
    action: str,
    fn: Callable[[UnitOfWork, Case, User, datetime], list[Event]],
    *,
    expert: str | None = None,
    expected_version: int | None = None,
) -> tuple[Case, list[Event]]:
    """Run one command on one case inside one transaction."""
    with svc.uow() as uow:
        user = _user(uow, actor)
        case = _load(uow, number)
        require_act(user, action, case.to_dict(), expert)
        version = case.version
        if expected_version is not None and expected_version != version:
            raise Conflict(f"conflict: {number} is at version {version}, not {expected_version}; reload and retry")
        now = svc.clock.now()
        try:
            domain.ensure_allowed(case, action)
            events = fn(uow, case, user, now)
        except InvalidTransition as exc:
            raise _conflict_or(exc, uow, case, action) from None
        uow.cases.save(case, events, version)
        uow.commit()
    _notify(svc, number, events)
    return case, events


# --- people -----------------------------------------------------------------------------------------------


def add_user(svc: Services, actor: str | None, name: str, role: str, institution: str | None = None,
             expert_id: str | None = None, email: str | None = None, password_hash: str | None = None,
             *, bootstrap: bool = False) -> User:
    if not NAME_RE.match(name or ""):
        raise InvalidInput("NAME: 1–64 letters, digits, Chinese characters, '.', '-', '_' or '@'")
    if role not in ROLES:
        raise InvalidInput(f"--role: must be one of {', '.join(ROLES)}, not {role!r}")
    institution = institution.upper() if institution else None
    if role == "liaison":
        if not institution:
            raise InvalidInput("--institution: a liaison belongs to an institution")
        if institution not in svc.policy.members:
            raise InvalidInput(f"--institution: {institution} is not a member ({', '.join(svc.policy.members)})")
    elif institution and institution not in svc.policy.members:
        raise InvalidInput(f"--institution: {institution} is not a member ({', '.join(svc.policy.members)})")
    if role == "expert" and not expert_id:
        raise InvalidInput("--expert: an expert user is linked to an expert id (huizhen experts add)")
    if role != "expert" and expert_id:
        raise InvalidInput("--expert: only an expert user is linked to an expert id")
    if email is not None and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        raise InvalidInput(f"--email: {email!r} is not an email address")
    with svc.uow() as uow:
        if not bootstrap:
            require_role(_user(uow, actor), "admin")
        if uow.users.get(name) is not None:
            raise InvalidInput(f"NAME: user {name!r} already exists")
        if expert_id and uow.experts.get(expert_id) is None:
            raise InvalidInput(f"--expert: expert {expert_id} does not exist")
        user = User(name=name, role=role, institution=institution, expert_id=expert_id, email=email)
        uow.users.add(user, password_hash)
        uow.commit()
    return user


def add_expert(svc: Services, actor: str | None, name: str, field_: str, employer: str, title: str,
               province: str) -> Expert:
    values = {"--name": name, "--field": field_, "--employer": employer, "--title": title}
    for opt, value in values.items():
        if not value or not value.strip():
            raise InvalidInput(f"{opt}: must not be empty")
        if len(value) > 200:
            raise InvalidInput(f"{opt}: at most 200 characters")
    province = (province or "").upper()
    if province not in svc.policy.members:
        raise InvalidInput(f"--province: {province or '(empty)'} is not a member ({', '.join(svc.policy.members)})")
    with svc.uow() as uow:
        user = _user(uow, actor)
        require_role(user, "admin", "liaison")
        if user.role == "liaison" and user.institution != province:
            raise NotPermitted(f"{user.name} may add experts of {user.institution}'s pool only, not {province}")
        expert = Expert(id=uow.experts.next_id(), name=name.strip(), field=field_.strip(),
                        employer=employer.strip(), title=title.strip(), province=province)
        uow.experts.add(expert)
        uow.commit()
    return expert


def list_experts(svc: Services, actor: str | None) -> list[Expert]:
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        # Expert records are personal information: for the people working cases and auditors, not everyone.
        require_role(user, "admin", "liaison", "auditor")
        return uow.experts.all()


def lead_on_day(svc: Services, day: date) -> str:
    """The lead institution on a Beijing calendar day (Art. 3's rotation)."""
    return lead_on(day, svc.policy.rotation_order, svc.policy.first_term_start, svc.policy.term_months)


def lead_for(svc: Services, when: datetime) -> str:
    return lead_on_day(svc, beijing_day(when))


# --- cases: creation ----------------------------------------------------------------------------------------


def parse_draft(svc: Services, data: Any) -> dict[str, Any]:
    return domain.parse_case_file(data, svc.policy.members)


def new_case(svc: Services, actor: str | None, data: Any, linked_from: str | None = None) -> Case:
    draft = parse_draft(svc, data)
    with svc.uow() as uow:
        user = _user(uow, actor)
        if user.role != "liaison" or not user.institution:
            raise NotPermitted(f"{user.name} ({user.role}) may not open a case: only an institution's liaison may")
        now = svc.clock.now()
        local_year = now.astimezone(BEIJING).year
        number = uow.cases.next_number(svc.policy.case_prefix, local_year)
        case, event = domain.open_case(number, user.institution, draft, user.name, now, linked_from)
        uow.cases.add(case, [event])
        uow.commit()
    _notify(svc, case.number, [event])
    return case


def edit_case(svc: Services, actor: str | None, number: str, data: Any) -> Case:
    draft = parse_draft(svc, data)
    return act(svc, actor, number, "edit", lambda u, c, usr, now: [domain.edit(c, draft, usr.name, now)])[0]


# --- cases: transitions and data -----------------------------------------------------------------------------


def submit(svc: Services, actor: str | None, number: str) -> Case:
    def run(uow: UnitOfWork, case: Case, user: User, now: datetime) -> list[Event]:
        return [domain.submit(case, lead_for(svc, now), user.name, now)]

    return act(svc, actor, number, "submit", run)[0]


def verify(svc: Services, actor: str | None, number: str, note: str) -> Case:
    return act(svc, actor, number, "verify", lambda u, c, usr, now: [domain.verify(c, note, usr.name, now)])[0]


def form_panel(svc: Services, actor: str | None, number: str, experts: Sequence[str], reason: str = "") -> Case:
    ids = [e.strip() for e in experts if e.strip()]

    def run(uow: UnitOfWork, case: Case, user: User, now: datetime) -> list[Event]:
        for eid in ids:
            found = uow.experts.get(eid)
            if found is None:
                raise InvalidInput(f"EXPERT_ID: expert {eid} does not exist")
            if not found.active:
                raise InvalidInput(f"EXPERT_ID: expert {eid} is no longer active")
        return [domain.form_panel(case, ids, reason, user.name, now)]

    return act(svc, actor, number, "form_panel", run)[0]


def safe_filename(name: str) -> str:
    """Keep only the last path component; refuse names that are empty, hidden tricks or control characters."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    if not base or base in (".", "..") or any(ord(ch) < 32 for ch in base) or len(base) > 200:
        raise InvalidInput(f"FILE: {name!r} is not a usable file name")
    return base


def attach(svc: Services, actor: str | None, number: str, filename: str, data: bytes, kind: str = "other") -> Case:
    def run(uow: UnitOfWork, case: Case, user: User, now: datetime) -> list[Event]:
        # Inside the transaction, after act() has checked permission and state: those refusals come first.
        if kind not in MATERIAL_KINDS:
            raise InvalidInput(f"--kind: must be one of {', '.join(MATERIAL_KINDS)}, not {kind!r}")
        name = safe_filename(filename)
        if not data:
            raise InvalidInput(f"FILE: {name} is empty")
        if len(data) > svc.max_material_bytes:
            raise InvalidInput(f"FILE: {name} is {len(data)} bytes; the limit is {svc.max_material_bytes}")
        digest = hashlib.sha256(data).hexdigest()
        uow.blobs.put(digest, data)
        return [domain.attach(case, digest, name, kind, len(data), user.name, now)]

    return act(svc, actor, number, "attach", run)[0]


def dispatch(svc: Services, actor: str | None, number: str) -> Case:
    plan = svc.planner()
    return act(svc, actor, number, "dispatch", lambda u, c, usr, now: [domain.dispatch(c, usr.name, now, plan)])[0]


def record_analysis(svc: Services, actor: str | None, number: str, expert: str, text: str) -> Case:
    return act(svc, actor, number, "record_analysis",
               lambda u, c, usr, now: [domain.record_analysis(c, expert, text, usr.name, now)], expert=expert)[0]


def refer(svc: Services, actor: str | None, number: str, reason: str = "") -> Case:
    plan = svc.planner()
    return act(svc, actor, number, "refer", lambda u, c, usr, now: [domain.refer(c, reason, usr.name, now, plan)])[0]


def schedule_meeting(svc: Services, actor: str | None, number: str, at: datetime, platform: str,
                     link: str | None = None, attendees: Sequence[str] = (), order: Sequence[str] = ()) -> Case:
    """Art. 8(4): the lead schedules the online meeting; an .ics invitation follows after commit."""
    if link is not None and not re.match(r"^https?://\S+$", link):
        raise InvalidInput(f"--link: {link!r} is not an http(s) URL")

    def run(uow: UnitOfWork, case: Case, user: User, now: datetime) -> list[Event]:
        people: list[dict[str, Any]] = []
        for name in dict.fromkeys(attendees):
            found = uow.users.get(name)
            if found is None:
                raise InvalidInput(f"--attendee: user {name!r} does not exist")
            if found.role != "liaison" or not found.institution:
                raise InvalidInput(f"--attendee: {name} is not an institution's staff (liaison)")
            people.append({"user": found.name, "name": found.display_name or found.name,
                           "institution": found.institution})
        speaking = list(order) or list(case.panel)
        return [domain.schedule_meeting(case, at, platform, link, people, speaking, user.name, now)]

    return act(svc, actor, number, "schedule", run)[0]


def cancel_meeting(svc: Services, actor: str | None, number: str, reason: str = "") -> Case:
    return act(svc, actor, number, "cancel_meeting",
               lambda u, c, usr, now: [domain.cancel_meeting(c, reason, usr.name, now)])[0]


SYSTEM = "system"


def record_delivery(svc: Services, number: str, what: str, recipient: str, channel: str, key: str) -> None:
    """An invitation or the minutes reached someone: appended to the history by the system, after the send."""
    with svc.uow() as uow:
        case = _load(uow, number)
        if any(d["key"] == key for d in case.deliveries):
            return  # already recorded (a retried send): the history says it once
        version = case.version
        event = domain.record_delivery(case, what, recipient, channel, key, SYSTEM, svc.clock.now())
        uow.cases.save(case, [event], version)
        uow.commit()


def convene(svc: Services, actor: str | None, number: str) -> Case:
    return act(svc, actor, number, "convene", lambda u, c, usr, now: [domain.convene(c, usr.name, now)])[0]


def record_opinion(svc: Services, actor: str | None, number: str, expert: str, data: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def run(uow: UnitOfWork, case: Case, user: User, now: datetime) -> list[Event]:
        event, conclusions = domain.record_opinion(case, expert, data, user.name, now)
        out.update(conclusions.to_dict())
        return [event]

    act(svc, actor, number, "record_opinion", run, expert=expert)
    return out


def record_absence(svc: Services, actor: str | None, number: str, expert: str, reason: str) -> Case:
    return act(svc, actor, number, "record_absence",
               lambda u, c, usr, now: [domain.record_absence(c, expert, reason, usr.name, now)])[0]


def decide(svc: Services, actor: str | None, number: str) -> Case:
    plan = svc.planner()
    return act(svc, actor, number, "decide", lambda u, c, usr, now: [domain.decide(c, usr.name, now, plan)])[0]


def minutes_content(svc: Services, uow: UnitOfWork, case: Case) -> dict[str, Any]:
    """The minutes record, from the case data (never re-typed): participants, votes, decision, cc list."""
    lead = case.lead or ""
    members = svc.policy.members
    experts = []
    meeting = case.meeting if case.meeting and not case.meeting.get("cancelled") else None
    speaking = meeting["speaking_order"] if meeting else case.panel
    for order, eid in enumerate(speaking, start=1):
        ex = uow.experts.get(eid)
        entry: dict[str, Any] = {"order": order, "expert": eid, "name": ex.name if ex else eid,
                                 "employer": ex.employer if ex else "", "title": ex.title if ex else "",
                                 "statement": case.analyses.get(eid, {}).get("text", "")}
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
    return {
        "title": svc.policy.minutes_title,
        "document_number": f"长三角会诊纪要〔{year}〕{serial}号",
        "host": lead,
        "host_name": members.get(lead, lead),
        "applicant": case.applicant,
        "meeting_at": (meeting or {}).get("at") or (case.convened_at.isoformat() if case.convened_at else None),
        "platform": (meeting or {}).get("platform"),
        "link": (meeting or {}).get("link"),
        "attendees": (meeting or {}).get("attendees", []),
        "experts": experts,
        "present": [e for e in case.panel if e in case.opinions],
        "absent": dict(case.absences),
        "votes": case.tally,
        "decision": str(outcome),
        "follow_up": follow_up[outcome],
        "cc": [code for code in members if code != lead],
    }


def issue_minutes(svc: Services, actor: str | None, number: str) -> Case:
    def run(uow: UnitOfWork, case: Case, user: User, now: datetime) -> list[Event]:
        if case.status not in (CaseStatus.decided, CaseStatus.continued_attention):
            raise InvalidTransition(f"{case.number}: minutes are issued once the panel has decided (now {case.status})")
        return [domain.issue_minutes(case, minutes_content(svc, uow, case), user.name, now)]

    return act(svc, actor, number, "issue_minutes", run)[0]


def track(svc: Services, actor: str | None, number: str, note: str) -> Case:
    plan = svc.planner()
    return act(svc, actor, number, "track", lambda u, c, usr, now: [domain.track(c, note, usr.name, now, plan)])[0]


def archive(svc: Services, actor: str | None, number: str) -> Case:
    return act(svc, actor, number, "archive", lambda u, c, usr, now: [domain.archive(c, usr.name, now)])[0]


def conclude(svc: Services, actor: str | None, number: str, reason: str) -> Case:
    return act(svc, actor, number, "conclude", lambda u, c, usr, now: [domain.conclude(c, reason, usr.name, now)])[0]


def withdraw(svc: Services, actor: str | None, number: str, reason: str) -> Case:
    return act(svc, actor, number, "withdraw", lambda u, c, usr, now: [domain.withdraw(c, reason, usr.name, now)])[0]


def reopen(svc: Services, actor: str | None, number: str, reason: str) -> tuple[Case, Case]:
    """Continued attention ends in a new linked case (drafted, same product data); this one is archived."""
    created: list[Case] = []

    def run(uow: UnitOfWork, case: Case, user: User, now: datetime) -> list[Event]:
        year = now.astimezone(BEIJING).year
        new_number = uow.cases.next_number(svc.policy.case_prefix, year)
        draft = {"product": case.product, "sources": case.sources, "source_other": case.source_other,
                 "basis": case.basis}
        event = domain.reopen(case, reason, new_number, user.name, now)
        new_case, opened = domain.open_case(new_number, case.applicant, draft, user.name, now, case.number)
        uow.cases.add(new_case, [opened])
        created.append(new_case)
        return [event]

    old, _ = act(svc, actor, number, "reopen", run)
    return old, created[0]


# --- reading --------------------------------------------------------------------------------------------------


def present(case: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The case as people and scripts see it: the stored shape plus `overdue` on each deadline."""
    out = dict(case)
    shown = []
    for d in case.get("deadlines", []):
        item = dict(d)
        for key in ("start_at", "due_at", "resolved_at"):  # instants for people: Beijing time, with the offset
            if item.get(key):
                item[key] = datetime.fromisoformat(item[key]).astimezone(BEIJING).isoformat()
        item["overdue"] = d["status"] == "armed" and now >= datetime.fromisoformat(d["due_at"])
        shown.append(item)
    out["deadlines"] = shown
    return out


def show_case(svc: Services, actor: str | None, number: str) -> dict[str, Any]:
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        snap = visible_snapshot(uow, user, number)
        return for_viewer(user, with_retention(svc, present(snap, svc.clock.now())))


def for_viewer(user: User, shown: dict[str, Any]) -> dict[str, Any]:
    """What a viewer's role does not see of a case they may see: an expert sees their own fee, not colleagues'."""
    if shown.get("fees"):
        shown["fees"] = {e: f for e, f in shown["fees"].items() if _may_see_fee(user, e)}
    return shown


def _may_see_fee(user: User, expert: str) -> bool:
    """Personal remuneration: an expert sees their own fee only; the people running the case see them all."""
    return user.role != "expert" or expert == user.expert_id


def with_retention(svc: Services, shown: dict[str, Any]) -> dict[str, Any]:
    """Art. 9: a closed case carries the last day it is kept (closing day + retention_years, Beijing time)."""
    if shown["status"] in TERMINAL_STATES and shown.get("closed_at"):
        closed = beijing_day(datetime.fromisoformat(shown["closed_at"]))
        shown["retention_until"] = retention_until(closed, svc.policy.retention_years).isoformat()
    return shown


def list_cases(svc: Services, actor: str | None, status: str | None = None) -> list[dict[str, Any]]:
    if status is not None and status not in CaseStatus.__members__:
        raise InvalidInput(f"--status: must be one of {', '.join(CaseStatus)}, not {status!r}")
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        from workflow.permissions import can_view

        now = svc.clock.now()
        return [for_viewer(user, with_retention(svc, present(s, now))) for s in uow.cases.summaries(status)
                if can_view(user, s)]


def event_dict(s: StoredEvent) -> dict[str, Any]:
    return {
        "case": s.case_number,
        "seq": s.seq,
        "type": s.event.type,
        "schema_version": s.event.schema_version,
        "actor": s.event.actor,
        "occurred_at": s.event.occurred_at.isoformat(),
        "recorded_at": s.recorded_at.isoformat(),
        "payload": s.event.payload,
        "prev_hash": s.prev_hash,
        "hash": s.hash,
    }


def history(svc: Services, actor: str | None, number: str) -> list[dict[str, Any]]:
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        visible_snapshot(uow, user, number)
        return [event_dict(s) for s in uow.cases.events(number) if _may_read_event(user, s.event)]


def _may_read_event(user: User, event: Event) -> bool:
    """An expert reads every event of their panel's case but a colleague's fee (personal information); the
    auditors' export and verification see everything."""
    if event.type in ("FeeRecorded", "FeeCorrected"):
        return _may_see_fee(user, str(event.payload.get("expert")))
    return True


def material(svc: Services, actor: str | None, number: str, sha256: str) -> tuple[dict[str, Any], bytes]:
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        snap = visible_snapshot(uow, user, number)
        item = next((m for m in snap["materials"] if m["sha256"] == sha256), None)
        data = uow.blobs.get(sha256) if item else None
        if item is None or data is None:
            raise NotFound(f"case {number} has no material {sha256}")
        return item, data


def replay_at(svc: Services, actor: str | None, number: str, at: datetime | None) -> dict[str, Any]:
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        require_role(user, "auditor", "admin", "liaison")
        stored = uow.cases.events(number)
        if not stored:
            raise NotFound(f"case {number} does not exist")
        snap = uow.cases.snapshot(number)
        if snap is not None:
            require_view(user, snap)
        case = domain.replay((s.event for s in stored), until=at)
        if case is None:
            raise NotFound(f"case {number} did not exist yet at {at.isoformat() if at else 'that instant'}")
        return with_retention(svc, present(case.to_dict(), at or svc.clock.now()))


def _diff(a: Any, b: Any, path: str = "") -> str | None:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in sorted(set(a) | set(b)):
            found = _diff(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))
            if found:
                return found
        return None
    if a != b:
        return f"{path or 'case'}: stored {b!r}, replay gives {a!r}"
    return None


def verify_audit(svc: Services, actor: str | None, number: str | None = None) -> list[str]:
    """Recompute every hash and replay every case; one finding per line, naming the case and the event."""
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        require_role(user, "auditor", "admin")
        numbers = [number] if number else uow.cases.numbers()
        findings: list[str] = []
        if number and uow.cases.snapshot(number) is None and not uow.cases.events(number):
            if uow.retention.tombstone(number) is None:
                raise NotFound(f"case {number} does not exist")
            # Purged after its retention: what verifies now is its tombstone, in the tombstones' own chain.
            return [f for f in uow.retention.findings() if f.startswith(f"{number} ")]
        if not number:
            findings.extend(uow.retention.findings())
            findings.extend(_missing_numbers(uow, svc.policy.case_prefix))
        for n in numbers:
            findings.extend(uow.cases.chain_findings(n))
            stored = uow.cases.events(n)
            snap = uow.cases.snapshot(n)
            try:
                case = domain.replay(s.event for s in stored)
            except Exception as exc:  # a broken history is a finding, not a crash of the audit
                seq = _failing_seq(stored)
                findings.append(f"{n} event {seq}: replay breaks: {exc}")
                continue
            if case is None:
                findings.append(f"{n}: the case row exists but it has no events")
                continue
            if snap is None:
                findings.append(f"{n}: events exist but the case row is missing")
                continue
            # A row written before snapshots carried a version is lifted to today's shape first (states.aggregate).
            diff = _diff(case.to_dict(), domain.upcast_snapshot(snap))
            if diff:
                findings.append(f"{n} after event {stored[-1].seq}: case row differs from its replay — {diff}")
            columns = uow.cases.columns(n) or {}
            replayed = {"status": str(case.status), "applicant": case.applicant, "lead": case.lead,
                        "outcome": str(case.outcome) if case.outcome else None, "version": case.version,
                        "last_hash": stored[-1].hash if stored else None}
            for key, value in replayed.items():
                if columns.get(key) != value:
                    findings.append(f"{n} after event {stored[-1].seq}: case row column {key} is "
                                    f"{columns.get(key)!r}, replay gives {value!r}")
        return findings


def _missing_numbers(uow: UnitOfWork, prefix: str) -> list[str]:
    """Every number the counters issued is a case or a tombstone: a case deleted without a purge is named."""
    present = set(uow.cases.numbers()) | {t["number"] for t in uow.retention.tombstones()}
    return [f"{n}: the number was issued but there is neither a case nor a tombstone — deleted without a purge?"
            for n in uow.retention.issued_numbers(prefix) if n not in present]


def _failing_seq(stored: Sequence[StoredEvent]) -> int:
    case: Case | None = None
    for s in stored:
        try:
            if case is None:
                case = Case(number=s.event.payload.get("number", s.case_number))
            domain.apply(case, s.event)
        except Exception:
            return s.seq
    return stored[-1].seq if stored else 0


def export_events(svc: Services, actor: str | None, number: str) -> list[dict[str, Any]]:
    with svc.uow(readonly=True) as uow:
        require_role(_user(uow, actor), "auditor", "admin")
        stored = uow.cases.events(number)
        if not stored:
            raise NotFound(f"case {number} does not exist")
        return [event_dict(s) for s in stored]
