"""The fold: a stored event applied to a case. Events are facts; the fold never checks a rule.

`apply` lifts the event to today's payload shape (states.events.upcast: an event today's code cannot read is named
there, at load time), sets the state the event's command leads to (states.commands.destination: the catalogue row's
destination, for CaseDecided the one its outcome names), and runs the event type's fold. It never raises for an
event it can read, never runs a guard, never reads a clock: replaying a case's events years later, under whatever
rules are in force then, gives the same case. `replay` is that fold over a whole history.

The folds below read only the event. Two things come from today's tables: the state an event leads to (its
catalogue row's destination) and the timers it resolves (states.deadlines.resolved_by). Moving either for an
existing command therefore needs a new event type or schema version, or old cases would replay differently.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from datetime import datetime

from states.aggregate import Case, Deadline
from states.commands import command_of_event, destination
from states.deadlines import resolved_by
from states.events import SPECS, Event, EventSpec, Fold, UnreadableEvent, Upcaster, spec, upcast
from states.status import CaseStatus, Outcome
from states.yearly import CURRENCY, active_hold


def folds(name: str, fields: tuple[str, ...] = (), version: int = 1,
          upcasters: dict[int, Upcaster] | None = None) -> Callable[[Fold], Fold]:
    """Declare event type NAME with its fold: the payload fields the fold requires (optional ones are read with a
    default, so payloads written before a field existed still fold), the version written today, and the upcasters
    that lift older payloads (from version N to N+1)."""

    def register(fn: Fold) -> Fold:
        SPECS[name] = EventSpec(name, fields, version, dict(upcasters or {}), fn)
        return fn

    return register


def apply(case: Case, event: Event) -> Case:
    """Fold one stored event into the case. Raises only UnreadableEvent (from the load-time upcast), before any
    change."""
    event = upcast(event)
    fold = spec(event.type).fold
    if fold is None:
        raise UnreadableEvent(f"event type {event.type!r} has no fold", key="event_type_unknown", type=event.type)
    command = command_of_event(event.type)
    dest = destination(command, event.payload) if command is not None else None
    if dest is not None:
        case.status = dest
    elif event.type == "CaseOpened":
        case.status = CaseStatus.drafted
    fold(case, event)
    case.version += 1
    case.last_event_at = event.occurred_at
    return case


def replay(events: Iterable[Event], until: datetime | None = None) -> Case | None:
    """The case as its events make it (optionally only the events that occurred at or before `until`)."""
    case: Case | None = None
    for ev in events:
        if until is not None and ev.occurred_at > until:
            break
        if case is None:
            if ev.type != "CaseOpened":
                raise UnreadableEvent(f"first event is {ev.type}, not CaseOpened", key="first_event_not_opened",
                                      type=ev.type)
            case = Case(number=str(ev.payload.get("number", "")))
        apply(case, ev)
    return case


def _resolve(case: Case, kinds: Iterable[str], at: datetime) -> None:
    for kind in kinds:
        d = case.open_deadline(kind)
        if d is not None:
            # The period ends at due_at (24:00 of the last working day): at that instant it has run out, as the
            # refer guard, the overdue flag and the reminders all agree.
            d.status = "met" if at < d.due_at else "missed"
            d.resolved_at = at


def _arm(case: Case, event: Event) -> None:
    for raw in event.payload.get("deadlines", []):
        case.deadlines.append(Deadline.from_dict(raw))


@folds("CaseOpened", fields=("number", "applicant", "product", "sources"))
def _opened(case: Case, ev: Event) -> None:
    p = ev.payload
    case.number = p["number"]
    case.applicant = p["applicant"]
    case.product = copy.deepcopy(p["product"])
    case.sources = list(p["sources"])
    case.source_other = p.get("source_other", "")
    case.basis = dict(p.get("basis", {}))
    case.linked_from = p.get("linked_from")
    case.created_at = ev.occurred_at


@folds("CaseEdited", fields=("product", "sources"))
def _edited(case: Case, ev: Event) -> None:
    p = ev.payload
    case.product = copy.deepcopy(p["product"])
    case.sources = list(p["sources"])
    case.source_other = p.get("source_other", "")
    case.basis = dict(p.get("basis", {}))


@folds("CaseSubmitted", fields=("lead",))
def _submitted(case: Case, ev: Event) -> None:
    case.lead = ev.payload["lead"]
    case.submitted_at = ev.occurred_at


@folds("VerificationRecorded", fields=("note",), version=2, upcasters={1: lambda p: {**p, "addition": False}})
def _verified(case: Case, ev: Event) -> None:
    # Version 1 (verified after submission, the earlier order) replaced the note; version 2 says whether it is an
    # addition in preliminary review to the verification recorded on the draft, kept beside it.
    entry = {"note": ev.payload["note"], "by": ev.actor, "at": ev.occurred_at.isoformat()}
    if ev.payload.get("addition") and case.verification:
        case.verification.setdefault("additions", []).append(entry)
    else:
        case.verification = entry


@folds("ConcurrenceRecorded", fields=("institution", "note"))
def _concurred(case: Case, ev: Event) -> None:
    case.concurrences.append({"institution": ev.payload["institution"], "note": ev.payload["note"], "by": ev.actor,
                              "at": ev.occurred_at.isoformat()})


@folds("PanelFormed", fields=("experts",))
def _panel(case: Case, ev: Event) -> None:
    case.panel = list(ev.payload["experts"])
    case.panel_reason = ev.payload.get("reason", "")


# --- i12-panel: Art. 8(1) nominations, the experts' answers and declarations, a conflicted expert kept ----------


@folds("ExpertsNominated", fields=("institution", "experts"))
def _nominated(case: Case, ev: Event) -> None:
    for expert in ev.payload["experts"]:
        case.nominations.append({"expert": expert, "institution": ev.payload["institution"],
                                 "note": ev.payload.get("note", ""), "by": ev.actor,
                                 "at": ev.occurred_at.isoformat()})


@folds("NominationWithdrawn", fields=("institution", "expert"))
def _nomination_withdrawn(case: Case, ev: Event) -> None:
    p = ev.payload
    case.nominations = [n for n in case.nominations
                        if not (n["expert"] == p["expert"] and n["institution"] == p["institution"])]


@folds("ExpertResponded", fields=("expert", "answer"))
def _responded(case: Case, ev: Event) -> None:
    p = ev.payload
    case.responses[p["expert"]] = {
        "answer": p["answer"], "employer": p.get("employer", ""), "province": p.get("province", ""),
        "relation": p.get("relation", "none"), "relation_text": p.get("relation_text", ""),
        "note": p.get("note", ""), "by": ev.actor, "at": ev.occurred_at.isoformat(),
    }
    # A new declaration is judged afresh: a reason recorded for the old one no longer keeps the expert.
    case.kept.pop(p["expert"], None)


@folds("ExpertKept", fields=("expert", "reason"))
def _kept(case: Case, ev: Event) -> None:
    case.kept[ev.payload["expert"]] = {"reason": ev.payload["reason"], "by": ev.actor,
                                       "at": ev.occurred_at.isoformat()}


@folds("MaterialAttached", fields=("sha256", "filename", "kind", "size"))
def _attached(case: Case, ev: Event) -> None:
    item = {k: ev.payload[k] for k in ("sha256", "filename", "kind", "size")}
    item.update(by=ev.actor, at=ev.occurred_at.isoformat())
    case.materials.append(item)


@folds("MaterialsDispatched")
def _dispatched(case: Case, ev: Event) -> None:
    _arm(case, ev)


@folds("AnalysisRecorded", fields=("expert", "text"))
def _analysis(case: Case, ev: Event) -> None:
    case.analyses[ev.payload["expert"]] = {"text": ev.payload["text"], "by": ev.actor, "at": ev.occurred_at.isoformat()}


@folds("ExpertChased", fields=("expert",))
def _chased(case: Case, ev: Event) -> None:
    case.chases.append({"expert": ev.payload["expert"], "note": ev.payload.get("note", ""), "by": ev.actor,
                        "at": ev.occurred_at.isoformat()})


@folds("CaseReferred")
def _referred(case: Case, ev: Event) -> None:
    case.refer_reason = ev.payload.get("reason", "")
    _resolve(case, resolved_by("refer"), ev.occurred_at)
    _arm(case, ev)


@folds("CaseConvened")
def _convened(case: Case, ev: Event) -> None:
    case.convened_at = ev.occurred_at
    _resolve(case, resolved_by("convene"), ev.occurred_at)


@folds("OpinionRecorded", fields=("expert", "answers", "conclusions"))
def _opinion(case: Case, ev: Event) -> None:
    p = ev.payload
    case.opinions[p["expert"]] = {
        "answers": copy.deepcopy(p["answers"]),
        "conclusions": dict(p["conclusions"]),
        "by": ev.actor,
        "at": ev.occurred_at.isoformat(),
    }


@folds("AbsenceRecorded", fields=("expert", "reason"))
def _absence(case: Case, ev: Event) -> None:
    case.absences[ev.payload["expert"]] = ev.payload["reason"]


@folds("CaseDecided", fields=("tally", "outcome"))
def _decided(case: Case, ev: Event) -> None:
    p = ev.payload
    case.tally = copy.deepcopy(p["tally"])
    case.outcome = Outcome(p["outcome"])
    case.conclusions = dict(p["tally"]["conclusions"])
    case.decided_at = ev.occurred_at
    _arm(case, ev)


@folds("MinutesIssued")
def _minutes(case: Case, ev: Event) -> None:
    case.minutes = copy.deepcopy(ev.payload)
    case.minutes["issued_at"] = ev.occurred_at.isoformat()
    case.minutes["issued_by"] = ev.actor


@folds("TrackingNoted", fields=("note",))
def _tracked(case: Case, ev: Event) -> None:
    case.tracking.append({"note": ev.payload["note"], "by": ev.actor, "at": ev.occurred_at.isoformat()})
    _resolve(case, resolved_by("track"), ev.occurred_at)
    _arm(case, ev)


def _close(case: Case, ev: Event, kinds: Iterable[str] = ()) -> None:
    case.closing_reason = ev.payload.get("reason", "")
    case.closed_at = ev.occurred_at
    _resolve(case, kinds, ev.occurred_at)


@folds("CaseArchived")
def _archived(case: Case, ev: Event) -> None:
    _close(case, ev)


@folds("CaseConcluded")
def _concluded(case: Case, ev: Event) -> None:
    _close(case, ev, resolved_by("conclude"))


@folds("CaseReopened", fields=("new_case",))
def _reopened(case: Case, ev: Event) -> None:
    _close(case, ev, resolved_by("reopen"))
    case.linked_to = ev.payload["new_case"]


@folds("CaseWithdrawn")
def _withdrawn(case: Case, ev: Event) -> None:
    _close(case, ev)
    for d in case.open_deadlines():
        d.status = "cancelled"
        d.resolved_at = ev.occurred_at


@folds("DeadlinesRecomputed", fields=("superseded",))
def _recomputed(case: Case, ev: Event) -> None:
    by_id = {d.id: d for d in case.deadlines}
    for old_id in ev.payload["superseded"]:
        old = by_id.get(old_id)
        if old is None:
            continue
        old.status = "superseded"
        old.resolved_at = ev.occurred_at
    _arm(case, ev)


@folds("MeetingScheduled")
def _scheduled(case: Case, ev: Event) -> None:
    case.meeting = copy.deepcopy(ev.payload)


@folds("MeetingCancelled", fields=("sequence",))
def _meeting_cancelled(case: Case, ev: Event) -> None:
    if case.meeting is not None:
        case.meeting = {**case.meeting, "cancelled": True, "sequence": ev.payload["sequence"],
                        "cancel_reason": ev.payload.get("reason", "")}


@folds("DeliveryRecorded", fields=("what", "recipient", "channel", "key"))
def _delivered(case: Case, ev: Event) -> None:
    case.deliveries.append({k: ev.payload[k] for k in ("what", "recipient", "channel", "key")}
                           | {"at": ev.occurred_at.isoformat()})


@folds("FeeRecorded", fields=("expert", "amount", "currency", "payer"))
def _fee_recorded(case: Case, ev: Event) -> None:
    p = ev.payload
    case.fees[p["expert"]] = {"amount": p["amount"], "currency": p["currency"], "paid_on": p.get("paid_on"),
                              "payer": p["payer"], "recorded_by": ev.actor, "recorded_at": ev.occurred_at.isoformat()}


@folds("FeeCorrected", fields=("expert", "amount", "reason"))
def _fee_corrected(case: Case, ev: Event) -> None:
    p = ev.payload
    fee = case.fees.setdefault(p["expert"], {"amount": p["amount"], "currency": p.get("currency", CURRENCY),
                                             "paid_on": None, "payer": case.applicant})
    fee.update(amount=p["amount"], paid_on=p.get("paid_on"), corrected_by=ev.actor,
               corrected_at=ev.occurred_at.isoformat(), correction_reason=p["reason"])


@folds("DisposalAppraised", fields=("approver", "note"))
def _appraised(case: Case, ev: Event) -> None:
    case.retention["appraisal"] = {"approver": ev.payload["approver"], "note": ev.payload["note"], "by": ev.actor,
                                   "at": ev.occurred_at.isoformat()}


@folds("LegalHoldPlaced", fields=("reason",))
def _hold_placed(case: Case, ev: Event) -> None:
    case.retention.setdefault("holds", []).append(
        {"reason": ev.payload["reason"], "by": ev.actor, "at": ev.occurred_at.isoformat(), "released_at": None})


@folds("LegalHoldReleased")
def _hold_released(case: Case, ev: Event) -> None:
    hold = active_hold(case.retention)
    if hold is None:  # released twice: the second release is history, it changes nothing
        return
    hold.update(released_at=ev.occurred_at.isoformat(), released_by=ev.actor,
                release_reason=ev.payload.get("reason", ""))


# --- the meeting's records and the minutes as a draft (Art. 8(4)–(7), issue 12) -------------------------------


@folds("AttendanceRecorded", fields=("institution", "staff", "absent"))
def _attendance(case: Case, ev: Event) -> None:
    # Recorded again for the same institution: the later record stands (the earlier stays in the history).
    p = ev.payload
    case.attendance[p["institution"]] = {"staff": list(p["staff"]), "absent": bool(p["absent"]), "by": ev.actor,
                                         "at": ev.occurred_at.isoformat()}


@folds("StatementRecorded", fields=("expert", "text", "order"))
def _statement(case: Case, ev: Event) -> None:
    # One statement an expert; recorded again, it replaces the text and takes the order given. Kept sorted by
    # speaking order (ties: the order of recording).
    p = ev.payload
    entry = {"expert": p["expert"], "text": p["text"], "order": int(p["order"]), "by": ev.actor,
             "at": ev.occurred_at.isoformat()}
    kept = [s for s in case.statements if s["expert"] != p["expert"]]
    kept.append(entry)
    case.statements = sorted(kept, key=lambda s: int(s["order"]))


@folds("MinutesDrafted")
def _minutes_drafted(case: Case, ev: Event) -> None:
    # Only the fields given change; the others keep the earlier edit (or the text built from the case).
    draft = dict(case.minutes_draft)
    for key in ("summary", "decision_text", "follow_up"):
        if key in ev.payload:
            draft[key] = ev.payload[key]
    draft.update(by=ev.actor, at=ev.occurred_at.isoformat())
    case.minutes_draft = draft


@folds("MinutesCorrected", fields=("issue_no", "corrects", "reason"))
def _minutes_corrected(case: Case, ev: Event) -> None:
    issue = copy.deepcopy(ev.payload)
    issue["issued_at"] = ev.occurred_at.isoformat()
    issue["issued_by"] = ev.actor
    case.minutes_corrections.append(issue)
