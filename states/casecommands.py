"""The commands on a case: each checks, then writes one event.

A command refuses in this order: the state (the catalogue row's sources, InvalidTransition), then its inputs
(InvalidInput) and the regulation's guards (the row's guards, run by the shared machine: GuardFailed), and only
then builds the event, which the fold applies (states.fold). It returns the event to store. The event's instant is
the command's `now`; it may not be earlier than the case's last event (checked here, never in the fold).

This module is over 400 lines because it holds every command of the catalogue, one short function each, with the
input checks that belong to that command alone; splitting it by command group would scatter the refusal order.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from states.aggregate import Case, Deadline, DeadlinePlanner
from states.beijing import BEIJING, beijing_day, beijing_text
from states.commands import COMMANDS, REASON_NONE, REASON_REQUIRED
from states.deadlines import armed_by
from states.errors import GuardFailed, InvalidInput
from states.events import Event, schema_version
from states.fold import apply
from states.guards import Attempt, guard_reason, panel_problem
from states.machine import fire, refusal
from states.rules import Conclusions, Opinion, derive_conclusions, majority_vote, parse_opinion
from states.status import CaseStatus, Defect, Outcome
from states.yearly import CURRENCY, money

# --- the path every command takes ------------------------------------------------------------------------------


def ensure_allowed(case: Case, trigger: str) -> None:
    """The state comes first: a command that does not exist in this state is refused as such, before its inputs."""
    ensure_allowed_in(case.number, case.status, trigger)


def ensure_allowed_in(number: str, status: CaseStatus, trigger: str) -> None:
    """`ensure_allowed` for a case known only by its number and state (a snapshot)."""
    cmd = COMMANDS.get(trigger)
    if cmd is None or status not in cmd.source:
        raise refusal(number, status, trigger)


@dataclass(frozen=True)
class Checked:
    """A command the machine let through: its name, the attempt the guards saw, where it leads."""

    name: str
    attempt: Attempt
    dest: CaseStatus


def check(case: Case, name: str, now: datetime, reason: str = "", outcome: str | None = None) -> Checked:
    """State and guards of command NAME, through the shared machine; nothing is written."""
    attempt = Attempt(at=now, reason=reason.strip(), outcome=outcome)
    return Checked(name, attempt, fire(case, name, attempt))


def blocked(case: Case, name: str, now: datetime, reason: str = "") -> GuardFailed | None:
    """Why command NAME cannot run on CASE now, as the guard says it (None when it can): "what may this person do
    now" with its dry run. The state must allow the command (else InvalidTransition is raised). For decide the
    outcome is the one the forms in hand give."""
    try:
        check(case, name, now, reason, _outcome_now(case) if name == "decide" else None)
    except GuardFailed as exc:
        return exc
    return None


def _emit(case: Case, checked: Checked, payload: dict[str, Any], actor: str) -> Event:
    cmd = COMMANDS[checked.name]
    now = checked.attempt.at
    if case.last_event_at is not None and now < case.last_event_at:
        raise InvalidInput(
            f"{case.number}: occurred_at {now.isoformat()} is before the case's last event "
            f"({case.last_event_at.isoformat()})",
            key="event_before_last", number=case.number, at=now.isoformat(), last=case.last_event_at.isoformat(),
        )
    event = Event(cmd.event, payload, actor, now, schema_version(cmd.event))
    apply(case, event)
    # The machine (which checked) and the fold (which moved) read the same catalogue row: they must agree.
    assert case.status is checked.dest, f"{checked.name}: machine says {checked.dest}, fold gives {case.status}"
    return event


def _new_deadlines(case: Case, kinds: Iterable[str], start_at: datetime, plan: DeadlinePlanner) -> list[dict[str, Any]]:
    out = []
    count = len(case.deadlines)
    for kind in kinds:
        count += 1
        out.append(plan(kind, start_at, f"{case.number}/D{count}").to_dict())
    return out


def _panel_member(case: Case, expert: str) -> None:
    if expert not in case.panel:
        raise GuardFailed(f"{case.number}: expert {expert} is not on the panel",
                          key="expert_not_on_panel", field="expert", number=case.number, expert=expert)


def _required(value: str, field: str, message: str, key: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(message, key=key, field=field)
    return text


def run(case: Case, name: str, reason: str, actor: str, now: datetime, plan: DeadlinePlanner | None = None) -> Event:
    """Any command whose only input is its reason, by its catalogue name: its payload is `{"reason": ...}` (or
    empty when it takes none) plus the deadlines its row arms. This is how the shell runs a simple command that has
    no function of its own here, such as a row added by `states.commands.register`."""
    cmd = COMMANDS.get(name)
    if cmd is None:
        raise refusal(case.number, case.status, name)
    checked = check(case, name, now, reason)
    if cmd.reason == REASON_REQUIRED:
        guard_reason(case, checked.attempt)
    payload: dict[str, Any] = {} if cmd.reason == REASON_NONE else {"reason": reason.strip()}
    kinds = armed_by(name)
    if kinds and plan is not None:
        payload["deadlines"] = _new_deadlines(case, kinds, now, plan)
    return _emit(case, checked, payload, actor)


# --- opening and preparing a case (Art. 6–8(2)) ------------------------------------------------------------------


def open_case(number: str, applicant: str, draft: Mapping[str, Any], actor: str, now: datetime,
              linked_from: str | None = None) -> tuple[Case, Event]:
    case = Case(number=number)
    payload = {"number": number, "applicant": applicant, **copy.deepcopy(dict(draft)), "linked_from": linked_from}
    event = Event("CaseOpened", payload, actor, now, schema_version("CaseOpened"))
    apply(case, event)
    return case, event


def edit(case: Case, draft: Mapping[str, Any], actor: str, now: datetime) -> Event:
    return _emit(case, check(case, "edit", now), copy.deepcopy(dict(draft)), actor)


def submit(case: Case, lead: str, actor: str, now: datetime) -> Event:
    return _emit(case, check(case, "submit", now), {"lead": lead}, actor)


def verify(case: Case, note: str, actor: str, now: datetime) -> Event:
    ensure_allowed(case, "verify")
    text = _required(note, "note", "the preliminary verification must say something", "note_empty")
    addition = case.status is CaseStatus.preliminary_review and bool(case.verification)
    return _emit(case, check(case, "verify", now), {"note": text, "addition": addition}, actor)


def concur(case: Case, institution: str, note: str, actor: str, now: datetime) -> Event:
    """Art. 4(3): another member institution concurs with the joint decision that is the draft's only basis."""
    ensure_allowed(case, "concur")
    text = _required(note, "note", "the concurrence must say something", "note_empty")
    if not institution or institution == case.applicant:
        raise InvalidInput(f"{case.number}: concurrence comes from another institution than the applicant",
                           key="concurrence_own_institution", field="institution", number=case.number,
                           institution=institution)
    if any(c.get("institution") == institution for c in case.concurrences):
        raise InvalidInput(f"{case.number}: {institution} has concurred already", key="concurrence_already_recorded",
                           field="institution", number=case.number, institution=institution)
    return _emit(case, check(case, "concur", now), {"institution": institution, "note": text}, actor)


def form_panel(case: Case, experts: list[str], reason: str, actor: str, now: datetime) -> Event:
    ensure_allowed(case, "form_panel")
    problem = panel_problem(case.number, experts, reason.strip())
    if problem:
        raise problem
    return _emit(case, check(case, "form_panel", now), {"experts": list(experts), "reason": reason.strip()}, actor)


def attach(case: Case, sha256: str, filename: str, kind: str, size: int, actor: str, now: datetime) -> Event:
    checked = check(case, "attach", now)
    return _emit(case, checked, {"sha256": sha256, "filename": filename, "kind": kind, "size": size}, actor)


def dispatch(case: Case, actor: str, now: datetime, plan: DeadlinePlanner) -> Event:
    checked = check(case, "dispatch", now)
    return _emit(case, checked, {"deadlines": _new_deadlines(case, armed_by("dispatch"), now, plan)}, actor)


# --- the experts' analysis and the meeting (Art. 8(2)–(6)) --------------------------------------------------------


def record_analysis(case: Case, expert: str, text: str, actor: str, now: datetime) -> Event:
    ensure_allowed(case, "record_analysis")
    _panel_member(case, expert)
    body = _required(text, "text", "the analysis is empty", "analysis_empty")
    if expert in case.analyses:
        raise GuardFailed(f"{case.number}: expert {expert} has already submitted the preliminary analysis",
                          key="analysis_already_submitted", number=case.number, expert=expert)
    return _emit(case, check(case, "record_analysis", now), {"expert": expert, "text": body}, actor)


def refer(case: Case, reason: str, actor: str, now: datetime, plan: DeadlinePlanner) -> Event:
    checked = check(case, "refer", now, reason)
    missing = [e for e in case.panel if e not in case.analyses]
    payload = {"reason": reason.strip(), "missing_analyses": missing,
               "deadlines": _new_deadlines(case, armed_by("refer"), now, plan)}
    return _emit(case, checked, payload, actor)


def schedule_meeting(case: Case, at: datetime, platform: str, link: str | None, attendees: list[dict[str, Any]],
                     speaking_order: list[str], actor: str, now: datetime) -> Event:
    """Art. 8(4)–(5): the online meeting's time, platform, 1–2 staff per institution, the experts' speaking order."""
    ensure_allowed(case, "schedule")
    if at.tzinfo is None:
        raise InvalidInput("the meeting time needs a UTC offset", key="meeting_time_naive", field="at")
    where = _required(platform, "platform", "say where the meeting is held (e.g. 腾讯会议)", "platform_empty")
    if sorted(speaking_order) != sorted(case.panel):
        raise InvalidInput(f"the speaking order must name each panel expert once ({', '.join(case.panel)})",
                           key="speaking_order_mismatch", field="order", panel=list(case.panel))
    per_institution: dict[str, int] = {}
    for a in attendees:
        per_institution[a["institution"]] = per_institution.get(a["institution"], 0) + 1
    crowded = sorted(code for code, n in per_institution.items() if n > 2)
    if crowded:
        raise InvalidInput(f"at most 2 staff per institution (Art. 8(4)); {crowded[0]} has more",
                           key="attendees_too_many", field="attendees", institution=crowded[0], limit=2)
    sequence = (case.meeting or {}).get("sequence", -1) + 1
    payload = {
        "at": at.astimezone(UTC).isoformat(), "platform": where, "link": link,
        "attendees": attendees, "speaking_order": list(speaking_order), "uid": f"{case.number}@huizhen",
        "sequence": sequence, "cancelled": False,
    }
    return _emit(case, check(case, "schedule", now), payload, actor)


def cancel_meeting(case: Case, reason: str, actor: str, now: datetime) -> Event:
    checked = check(case, "cancel_meeting", now, reason)
    sequence = (case.meeting or {}).get("sequence", -1) + 1
    return _emit(case, checked, {"sequence": sequence, "reason": reason.strip()}, actor)


def convene(case: Case, actor: str, now: datetime) -> Event:
    return _emit(case, check(case, "convene", now), {}, actor)


STAFF_PER_INSTITUTION = 2  # Art. 8(4): "各省（市）召回技术机构派1—2名工作人员参加"
STATEMENT_LIMIT = 20000
MINUTES_FIELDS = ("summary", "decision_text", "follow_up")
MINUTES_FIELD_LIMIT = 5000


def record_attendance(case: Case, institution: str, staff: Iterable[str], absent: bool, members: Iterable[str],
                      actor: str, now: datetime) -> Event:
    """Art. 8(4): an institution's 1–2 staff at the meeting, by real name, or that it sent no one."""
    ensure_allowed(case, "record_attendance")
    code = (institution or "").strip()
    if code not in set(members):
        raise InvalidInput(f"{code!r} is not a member institution", key="attendance_institution_unknown",
                           field="institution", institution=code)
    names = list(dict.fromkeys(n.strip() for n in staff if n and n.strip()))
    if any(len(n) > 50 for n in names):
        raise InvalidInput("a staff name is longer than 50 characters", key="text_too_long", field="staff", limit=50)
    if absent and names:
        raise InvalidInput("an absent institution names no staff", key="attendance_absent_with_staff",
                           field="staff", institution=code)
    if not absent and not names:
        raise InvalidInput(f"name {code}'s 1–{STAFF_PER_INSTITUTION} staff, or record it absent",
                           key="attendance_staff_missing", field="staff", institution=code,
                           limit=STAFF_PER_INSTITUTION)
    if len(names) > STAFF_PER_INSTITUTION:
        raise InvalidInput(f"at most {STAFF_PER_INSTITUTION} staff per institution; {len(names)} given",
                           key="attendance_staff_too_many", field="staff", institution=code, count=len(names),
                           limit=STAFF_PER_INSTITUTION)
    payload = {"institution": code, "staff": names, "absent": bool(absent)}
    return _emit(case, check(case, "record_attendance", now), payload, actor)


def record_statement(case: Case, expert: str, text: str, order: int | None, actor: str, now: datetime) -> Event:
    """Art. 8(5): what an expert said at the meeting, in speaking order (by default, the order of recording)."""
    ensure_allowed(case, "record_statement")
    _panel_member(case, expert)
    if expert in case.absences:
        raise GuardFailed(f"{case.number}: expert {expert} is recorded absent from the meeting",
                          key="statement_expert_absent", field="expert", number=case.number, expert=expert)
    body = _required(text, "text", "the statement is empty", "statement_empty")
    if len(body) > STATEMENT_LIMIT:
        raise InvalidInput(f"at most {STATEMENT_LIMIT} characters", key="text_too_long", field="text",
                           limit=STATEMENT_LIMIT)
    earlier = next((s for s in case.statements if s["expert"] == expert), None)
    if order is None:
        order = int(earlier["order"]) if earlier else max((int(s["order"]) for s in case.statements), default=0) + 1
    elif not 1 <= order <= len(case.panel):
        raise InvalidInput(f"the speaking order is a number from 1 to {len(case.panel)}",
                           key="statement_order_invalid", field="order", limit=len(case.panel))
    payload = {"expert": expert, "text": body, "order": order}
    return _emit(case, check(case, "record_statement", now), payload, actor)


def _minutes_changes(changes: Mapping[str, str | None], empty_key: str) -> dict[str, str]:
    given = {k: (v or "").strip() for k, v in changes.items() if k in MINUTES_FIELDS and v is not None}
    if not any(given.values()):
        raise InvalidInput("give the summary, the decision's wording or the follow-up", key=empty_key,
                           field="summary")
    for key, value in given.items():
        if len(value) > MINUTES_FIELD_LIMIT:
            raise InvalidInput(f"at most {MINUTES_FIELD_LIMIT} characters", key="text_too_long", field=key,
                               limit=MINUTES_FIELD_LIMIT)
    return {k: v for k, v in given.items() if v}


def draft_minutes(case: Case, changes: Mapping[str, str | None], actor: str, now: datetime) -> Event:
    """Art. 8(7): the lead's wording of the minutes before they are issued (only the fields given change)."""
    ensure_allowed(case, "draft_minutes")
    payload = _minutes_changes(changes, "minutes_draft_empty")
    return _emit(case, check(case, "draft_minutes", now), payload, actor)


def correct_minutes(case: Case, changes: Mapping[str, str | None], reason: str, actor: str, now: datetime) -> Event:
    """Issued minutes never change: a correction is the next numbered issue (第N号), naming the one it corrects,
    with the issue in force and the corrected fields."""
    ensure_allowed(case, "correct_minutes")
    given = _minutes_changes(changes, "minutes_correction_empty")
    checked = check(case, "correct_minutes", now, reason)
    latest = case.current_minutes() or {}
    if all(latest.get(k) == v for k, v in given.items()):
        raise InvalidInput("the correction changes nothing in the minutes in force", key="minutes_correction_empty",
                           field="summary")
    issued = case.minutes_issue_no()
    base = {k: copy.deepcopy(v) for k, v in latest.items()
            if k not in ("issued_at", "issued_by", "issue_no", "corrects", "reason")}
    payload = {**base, **given, "issue_no": issued + 1, "corrects": issued, "reason": checked.attempt.reason}
    return _emit(case, checked, payload, actor)


def record_opinion(case: Case, expert: str, data: Any, actor: str, now: datetime) -> tuple[Event, Conclusions]:
    ensure_allowed(case, "record_opinion")
    opinion: Opinion = parse_opinion(data)
    _panel_member(case, expert)
    if expert in case.opinions:
        raise GuardFailed(f"{case.number}: expert {expert} has already signed the form; it is signed once",
                          key="opinion_already_signed", number=case.number, expert=expert)
    if expert in case.absences:
        raise GuardFailed(f"{case.number}: expert {expert} is recorded absent", key="expert_absent",
                          number=case.number, expert=expert)
    conclusions = derive_conclusions(opinion)
    payload = {"expert": expert, "answers": opinion.to_dict(), "conclusions": conclusions.to_dict()}
    return _emit(case, check(case, "record_opinion", now), payload, actor), conclusions


def chase(case: Case, expert: str, note: str, actor: str, now: datetime) -> Event:
    """催办: remind a late panel expert of the preliminary analysis, at most once per expert per Beijing day."""
    ensure_allowed(case, "chase")
    _panel_member(case, expert)
    if expert in case.analyses:
        raise GuardFailed(f"{case.number}: expert {expert} has already submitted the preliminary analysis",
                          key="expert_already_answered", field="expert", number=case.number, expert=expert)
    last = [c for c in case.chases if c["expert"] == expert][-1:]
    if last and beijing_day(datetime.fromisoformat(last[0]["at"])) == beijing_day(now):
        at = datetime.fromisoformat(last[0]["at"]).astimezone(BEIJING)
        raise GuardFailed(f"{case.number}: expert {expert} was chased already today, at {at:%Y-%m-%d %H:%M} "
                          "Beijing time; "
                          "an expert is chased at most once a working day", key="expert_chased_today",
                          field="expert", number=case.number, expert=expert, last=beijing_text(last[0]["at"]))
    if len(note) > 2000:
        raise InvalidInput("the note is longer than 2000 characters", key="chase_note_too_long", field="note")
    return _emit(case, check(case, "chase", now), {"expert": expert, "note": note.strip()}, actor)


def record_absence(case: Case, expert: str, reason: str, actor: str, now: datetime) -> Event:
    ensure_allowed(case, "record_absence")
    _panel_member(case, expert)
    if expert in case.opinions:
        raise GuardFailed(f"{case.number}: expert {expert} has submitted a form and cannot be recorded absent",
                          key="expert_has_signed", number=case.number, expert=expert)
    why = _required(reason, "reason", "say why the expert is absent", "absence_reason_empty")
    return _emit(case, check(case, "record_absence", now), {"expert": expert, "reason": why}, actor)


def _outcome_now(case: Case) -> str | None:
    if not case.opinions:
        return None
    return str(_tally(case).outcome)


def _tally(case: Case) -> Any:
    return majority_vote(
        Conclusions(Defect(o["conclusions"]["defect"]), o["conclusions"]["investigate"], o["conclusions"]["attention"])
        for o in case.opinions.values()
    )


def decide(case: Case, actor: str, now: datetime, plan: DeadlinePlanner) -> Event:
    # The vote's outcome chooses the destination, so it is counted before the machine is asked (no forms: the
    # opinions_present guard refuses).
    ensure_allowed(case, "decide")
    tally = _tally(case) if case.opinions else None
    checked = check(case, "decide", now, outcome=str(tally.outcome) if tally else None)
    assert tally is not None  # opinions_present passed
    arms = armed_by("decide:continued_attention") if tally.outcome is Outcome.continued_attention else ()
    payload = {
        "tally": tally.to_dict(),
        "outcome": str(tally.outcome),
        "absent": dict(case.absences),
        "deadlines": _new_deadlines(case, arms, now, plan),
    }
    return _emit(case, checked, payload, actor)


# --- after the decision (Art. 8(6)–9) ------------------------------------------------------------------------------


def issue_minutes(case: Case, minutes: Mapping[str, Any], actor: str, now: datetime) -> Event:
    return _emit(case, check(case, "issue_minutes", now), copy.deepcopy(dict(minutes)), actor)


def track(case: Case, note: str, actor: str, now: datetime, plan: DeadlinePlanner) -> Event:
    ensure_allowed(case, "track")
    text = _required(note, "note", "the tracking note is empty", "note_empty")
    checked = check(case, "track", now)
    return _emit(case, checked, {"note": text, "deadlines": _new_deadlines(case, armed_by("track"), now, plan)}, actor)


def archive(case: Case, actor: str, now: datetime) -> Event:
    return _emit(case, check(case, "archive", now), {}, actor)


def conclude(case: Case, reason: str, actor: str, now: datetime) -> Event:
    return _emit(case, check(case, "conclude", now, reason), {"reason": reason.strip()}, actor)


def reopen(case: Case, reason: str, new_case: str, actor: str, now: datetime) -> Event:
    checked = check(case, "reopen", now, reason)
    return _emit(case, checked, {"reason": reason.strip(), "new_case": new_case}, actor)


def withdraw(case: Case, reason: str, actor: str, now: datetime) -> Event:
    return _emit(case, check(case, "withdraw", now, reason), {"reason": reason.strip()}, actor)


# --- huizhen's own records: recomputed deadlines, deliveries ------------------------------------------------------


def recompute_deadlines(case: Case, replacements: list[tuple[str, Deadline]], reason: str, actor: str,
                        now: datetime) -> Event:
    """Supersede open deadlines whose due date the calendar moved; `replacements` pairs old id with the new one."""
    ensure_allowed(case, "recompute_deadlines")
    open_ids = {d.id for d in case.open_deadlines()}
    for old, _ in replacements:
        if old not in open_ids:
            raise InvalidInput(f"{case.number}: deadline {old} is not open", key="deadline_not_open",
                               number=case.number, deadline=old)
    payload = {
        "reason": reason,
        "superseded": [old for old, _ in replacements],
        "deadlines": [new.to_dict() for _, new in replacements],
    }
    return _emit(case, check(case, "recompute_deadlines", now), payload, actor)


def record_delivery(case: Case, what: str, recipient: str, channel: str, key: str, actor: str,
                    now: datetime) -> Event:
    payload = {"what": what, "recipient": recipient, "channel": channel, "key": key}
    return _emit(case, check(case, "record_delivery", now), payload, actor)


# --- the yearly account: fees (Art. 10) and disposal (Art. 9) ------------------------------------------------------


def _fee_panel_member(case: Case, expert: str) -> None:
    if not case.dispatched:
        raise GuardFailed(f"{case.number}: the materials never went to the panel; there is no expert fee to record",
                          key="fee_not_dispatched", number=case.number)
    if expert not in case.panel:
        raise InvalidInput(f"{expert} is not on the panel of {case.number}",
                           key="expert_not_on_panel", field="expert", number=case.number, expert=expert)


def _paid_on(paid_on: date | None, today: date) -> str | None:
    if paid_on is None:
        return None
    if paid_on > today:
        raise InvalidInput(f"{paid_on.isoformat()} is in the future (today is {today.isoformat()})",
                           key="paid_on_future", field="paid_on", paid_on=paid_on.isoformat(),
                           today=today.isoformat())
    return paid_on.isoformat()


def record_fee(case: Case, expert: str, amount: Decimal, paid_on: date | None, actor: str, now: datetime,
               today: date) -> Event:
    """Art. 10: the applicant pays each panel expert's fee. Amount and payment date only, never bank details."""
    ensure_allowed(case, "record_fee")
    _fee_panel_member(case, expert)
    if expert in case.fees:
        raise GuardFailed(f"{case.number}: the fee of {expert} is already recorded ({case.fees[expert]['amount']} CNY); "
                          "correct it, with a reason", key="fee_already_recorded", number=case.number, expert=expert,
                          amount=case.fees[expert]["amount"])
    payload = {"expert": expert, "amount": money(amount), "currency": CURRENCY, "paid_on": _paid_on(paid_on, today),
               "payer": case.applicant}
    return _emit(case, check(case, "record_fee", now), payload, actor)


def correct_fee(case: Case, expert: str, amount: Decimal | None, paid_on: date | None, reason: str, actor: str,
                now: datetime, today: date) -> Event:
    """A recorded fee corrected (amount and/or payment date), with the reason; the old value stays in the history."""
    ensure_allowed(case, "correct_fee")
    _fee_panel_member(case, expert)
    if expert not in case.fees:
        raise GuardFailed(f"{case.number}: no fee of {expert} is recorded yet; record it first",
                          key="fee_not_recorded", number=case.number, expert=expert)
    if amount is None and paid_on is None:
        raise InvalidInput("give the corrected amount, the payment date, or both", key="correction_empty",
                           field="amount")
    why = _required(reason, "reason", "say why the fee is corrected", "correction_reason_empty")
    old = case.fees[expert]
    payload = {"expert": expert, "amount": money(amount) if amount is not None else old["amount"],
               "paid_on": _paid_on(paid_on, today) if paid_on is not None else old.get("paid_on"),
               "reason": why}
    return _emit(case, check(case, "correct_fee", now), payload, actor)


def _text(value: str, field: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput("must not be empty", key="text_empty", field=field)
    if len(text) > limit:
        raise InvalidInput(f"at most {limit} characters", key="text_too_long", field=field, limit=limit)
    return text


def appraise_disposal(case: Case, approver: str, note: str, actor: str, now: datetime) -> Event:
    """The disposal appraisal (鉴定) of a terminal case: who approved destroying it once its retention runs out."""
    ensure_allowed(case, "appraise_disposal")
    payload = {"approver": _text(approver, "approver", 100), "note": _text(note, "note", 2000)}
    return _emit(case, check(case, "appraise_disposal", now), payload, actor)


def place_hold(case: Case, reason: str, actor: str, now: datetime) -> Event:
    """A legal hold: the case may not be destroyed, whatever its retention says, until the hold is released."""
    ensure_allowed(case, "place_hold")
    held = case.active_hold()
    if held:
        raise GuardFailed(f"{case.number}: already under a legal hold since {held['at']} ({held['reason']})",
                          key="hold_already_placed", number=case.number, since=held["at"], reason=held["reason"])
    payload = {"reason": _text(reason, "reason", 2000)}
    return _emit(case, check(case, "place_hold", now), payload, actor)


def release_hold(case: Case, reason: str, actor: str, now: datetime) -> Event:
    ensure_allowed(case, "release_hold")
    if case.active_hold() is None:
        raise GuardFailed(f"{case.number}: there is no legal hold to release", key="no_hold", number=case.number)
    return _emit(case, check(case, "release_hold", now), {"reason": (reason or "").strip()[:2000]}, actor)
