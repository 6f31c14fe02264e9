"""The case aggregate, its events, its commands and the replay fold.

Every change to a case is an `Event`; `apply` folds one event into the case using only the data inside the event
(never a clock, never a lookup), so replaying a case's events years later gives the same case.
Commands (`submit`, `dispatch`, ...) validate, build the event and apply it; they return the event to store.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from states.errors import GuardFailed, InvalidInput, InvalidTransition
from states.machine import allowed_triggers, fire, panel_problem
from states.rules import Conclusions, Opinion, derive_conclusions, majority_vote, parse_opinion
from states.status import STATUS_LABELS, CaseStatus, Defect, Outcome
from states.yearly import CURRENCY, active_hold, money

SOURCES = (
    "samr_referral",
    "spot_check",
    "market_purchase",
    "overseas_recall",
    "risk_monitoring",
    "injury_monitoring",
    "other",
)
PRODUCT_FIELDS = (
    "name",
    "model",
    "brand",
    "producer",
    "registered_province",
    "production_province",
    "test_basis",
    "report_numbers",
    "suspected_defect",
)
CASE_FILE_KEYS = ("product", "sources", "source_other", "basis")
BASIS_KEYS = ("samr_assignment", "joint_decision")

# The schema version each event type is written with today. Older payloads are upcast on load.
SCHEMA_VERSIONS: dict[str, int] = {}
UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {}


@dataclass(frozen=True)
class Event:
    """A domain event: what happened to a case, by whom, when, with everything needed to replay it."""

    type: str
    payload: dict[str, Any]
    actor: str
    occurred_at: datetime
    schema_version: int = 1

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")
        # Stored in UTC, shown in Asia/Shanghai: one canonical form keeps replay and hashes exact.
        object.__setattr__(self, "occurred_at", self.occurred_at.astimezone(UTC))


@dataclass
class Deadline:
    """A working-day timer armed by a transition (ARCHITECTURE decision 4: it explains itself)."""

    id: str
    kind: str  # expert_analysis | convening | tracking
    start_at: datetime
    working_days: int
    due_at: datetime
    due_date: str
    calendar_version: str
    provisional: bool
    explanation: str
    status: str = "armed"  # armed | met | missed | cancelled | superseded
    resolved_at: datetime | None = None
    supersedes: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "start_at": self.start_at.isoformat(),
            "working_days": self.working_days,
            "due_at": self.due_at.isoformat(),
            "due_date": self.due_date,
            "calendar_version": self.calendar_version,
            "provisional": self.provisional,
            "explanation": self.explanation,
            "status": self.status,
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
            "supersedes": self.supersedes,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Deadline:
        return cls(
            id=d["id"],
            kind=d["kind"],
            start_at=datetime.fromisoformat(d["start_at"]),
            working_days=int(d["working_days"]),
            due_at=datetime.fromisoformat(d["due_at"]),
            due_date=d["due_date"],
            calendar_version=d["calendar_version"],
            provisional=bool(d["provisional"]),
            explanation=d["explanation"],
            status=d.get("status", "armed"),
            resolved_at=datetime.fromisoformat(d["resolved_at"]) if d.get("resolved_at") else None,
            supersedes=d.get("supersedes"),
        )


# Which command arms and which resolves each timer (DOMAIN.md § timers).
# T1 runs from the dispatch of materials (Art. 8(2)), T2 from the referral (Art. 8(3)); tracking from the decision
# for continued attention and again from each tracking note.
ARMS: dict[str, tuple[str, ...]] = {
    "dispatch": ("expert_analysis",),
    "refer": ("convening",),
    "decide:continued_attention": ("tracking",),
    "track": ("tracking",),
}
RESOLVES: dict[str, tuple[str, ...]] = {
    "refer": ("expert_analysis",),
    "convene": ("convening",),
    "track": ("tracking",),
    "conclude": ("tracking",),
    "reopen": ("tracking",),
}

# A function the caller injects to compute a deadline: (kind, start_at, deadline id) -> Deadline.
DeadlinePlanner = Callable[[str, datetime, str], Deadline]


@dataclass
class Case:
    number: str
    status: CaseStatus = CaseStatus.drafted
    applicant: str = ""
    lead: str | None = None
    created_at: datetime | None = None
    submitted_at: datetime | None = None
    product: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    source_other: str = ""
    basis: dict[str, str] = field(default_factory=dict)
    linked_from: str | None = None
    linked_to: str | None = None
    verification: dict[str, Any] | None = None
    panel: list[str] = field(default_factory=list)
    panel_reason: str = ""
    materials: list[dict[str, Any]] = field(default_factory=list)
    analyses: dict[str, dict[str, Any]] = field(default_factory=dict)
    refer_reason: str = ""
    convened_at: datetime | None = None
    opinions: dict[str, dict[str, Any]] = field(default_factory=dict)
    absences: dict[str, str] = field(default_factory=dict)
    tally: dict[str, Any] | None = None
    outcome: Outcome | None = None
    conclusions: dict[str, Any] | None = None
    decided_at: datetime | None = None
    minutes: dict[str, Any] | None = None
    tracking: list[dict[str, Any]] = field(default_factory=list)
    meeting: dict[str, Any] | None = None
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    closing_reason: str = ""
    closed_at: datetime | None = None
    deadlines: list[Deadline] = field(default_factory=list)
    # The yearly account (issue 6): each panel expert's fee (Art. 10) and the disposal record (Art. 9).
    fees: dict[str, dict[str, Any]] = field(default_factory=dict)
    retention: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    last_event_at: datetime | None = None

    # --- questions the guards ask -------------------------------------------------------------------------
    @property
    def cross_province(self) -> bool:
        reg, prod = self.product.get("registered_province"), self.product.get("production_province")
        return bool(reg and prod and reg != prod)

    def basis_holds(self) -> bool:
        return self.cross_province or any(str(self.basis.get(k) or "").strip() for k in BASIS_KEYS)

    def missing_product_fields(self) -> list[str]:
        missing = [f"product.{k}" for k in PRODUCT_FIELDS if not self.product.get(k)]
        if not self.sources:
            missing.append("sources")
        elif "other" in self.sources and not self.source_other:
            missing.append("source_other")
        return missing

    def open_deadline(self, kind: str) -> Deadline | None:
        for d in reversed(self.deadlines):
            if d.kind == kind and d.status == "armed":
                return d
        return None

    def open_deadlines(self) -> list[Deadline]:
        return [d for d in self.deadlines if d.status == "armed"]

    def active_hold(self) -> dict[str, Any] | None:
        """The legal hold in force (placed and not yet released), if any."""
        hold = active_hold(self.retention)
        return dict(hold) if hold else None

    @property
    def appraisal(self) -> dict[str, Any] | None:
        found = self.retention.get("appraisal")
        return dict(found) if found else None

    @property
    def dispatched(self) -> bool:
        """The materials went to the panel (T1 was armed): from then on the experts work, and are paid."""
        return any(d.kind == "expert_analysis" for d in self.deadlines)

    # --- the stored shape ---------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        def iso(v: datetime | None) -> str | None:
            return v.isoformat() if v else None

        return {
            "number": self.number,
            "status": str(self.status),
            "outcome": str(self.outcome) if self.outcome else None,
            "applicant": self.applicant,
            "lead": self.lead,
            "created_at": iso(self.created_at),
            "submitted_at": iso(self.submitted_at),
            "product": copy.deepcopy(self.product),
            "cross_province": self.cross_province,
            "sources": list(self.sources),
            "source_other": self.source_other,
            "basis": dict(self.basis),
            "linked_from": self.linked_from,
            "linked_to": self.linked_to,
            "verification": copy.deepcopy(self.verification),
            "panel": list(self.panel),
            "panel_reason": self.panel_reason,
            "materials": copy.deepcopy(self.materials),
            "analyses": copy.deepcopy(self.analyses),
            "refer_reason": self.refer_reason,
            "convened_at": iso(self.convened_at),
            "opinions": copy.deepcopy(self.opinions),
            "absences": dict(self.absences),
            "tally": copy.deepcopy(self.tally),
            "conclusions": copy.deepcopy(self.conclusions),
            "decided_at": iso(self.decided_at),
            "minutes": copy.deepcopy(self.minutes),
            "tracking": copy.deepcopy(self.tracking),
            "meeting": copy.deepcopy(self.meeting),
            "deliveries": copy.deepcopy(self.deliveries),
            "closing_reason": self.closing_reason,
            "closed_at": iso(self.closed_at),
            "deadlines": [d.to_dict() for d in self.deadlines],
            "version": self.version,
        } | self._yearly_dict()

    def _yearly_dict(self) -> dict[str, Any]:
        # Only when present: snapshots written before the yearly account have neither key, and `audit verify`
        # compares the stored snapshot with the replay key by key.
        extra: dict[str, Any] = {}
        if self.fees:
            extra["fees"] = copy.deepcopy(self.fees)
        if self.retention:
            extra["retention"] = copy.deepcopy(self.retention)
        return extra


# --- validating a case file ---------------------------------------------------------------------------------


def parse_case_file(data: Any, members: Iterable[str]) -> dict[str, Any]:
    """Validate the content of a case file (YAML): product section, sources, Art. 4 basis. Errors name the field.

    A draft may be incomplete (the guard on `submit` says what is missing); what is present must be well-formed.
    """
    codes = sorted(members)
    if not isinstance(data, Mapping):
        raise InvalidInput("case file: must hold a mapping with product, sources, basis")
    unknown = sorted(set(map(str, data)) - set(CASE_FILE_KEYS))
    if unknown:
        raise InvalidInput(f"{unknown[0]}: unknown key (allowed: {', '.join(CASE_FILE_KEYS)})")
    raw_product = data.get("product") or {}
    if not isinstance(raw_product, Mapping):
        raise InvalidInput("product: must be a mapping")
    bad = sorted(set(map(str, raw_product)) - set(PRODUCT_FIELDS))
    if bad:
        raise InvalidInput(f"product.{bad[0]}: unknown key (allowed: {', '.join(PRODUCT_FIELDS)})")
    product: dict[str, Any] = {}
    for key in PRODUCT_FIELDS:
        value = raw_product.get(key)
        if key == "report_numbers":
            if value is None:
                value = []
            if isinstance(value, str | int):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
                raise InvalidInput("product.report_numbers: must be a list of report numbers")
            product[key] = [str(v).strip() for v in value if str(v).strip()]
            continue
        if value is not None and not isinstance(value, str | int | float):
            raise InvalidInput(f"product.{key}: must be text")
        text = "" if value is None else str(value).strip()
        if key in ("registered_province", "production_province") and text:
            text = text.upper()
            if text not in codes:
                raise InvalidInput(f"product.{key}: {text} is not a member institution ({', '.join(codes)})")
        product[key] = text
    sources = data.get("sources") or []
    if isinstance(sources, str):
        sources = [sources]
    if not isinstance(sources, list):
        raise InvalidInput("sources: must be a list")
    for i, s in enumerate(sources):
        if s not in SOURCES:
            raise InvalidInput(f"sources[{i}]: {s!r} is not one of {', '.join(SOURCES)}")
    source_other = data.get("source_other")
    if source_other is not None and not isinstance(source_other, str):
        raise InvalidInput("source_other: must be text")
    raw_basis = data.get("basis") or {}
    if not isinstance(raw_basis, Mapping):
        raise InvalidInput("basis: must be a mapping with samr_assignment and/or joint_decision")
    bad = sorted(set(map(str, raw_basis)) - set(BASIS_KEYS))
    if bad:
        raise InvalidInput(f"basis.{bad[0]}: unknown key (allowed: {', '.join(BASIS_KEYS)})")
    basis: dict[str, str] = {}
    for key in BASIS_KEYS:
        value = raw_basis.get(key)
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"basis.{key}: must be text")
        if value and value.strip():
            basis[key] = value.strip()
    return {
        "product": product,
        "sources": list(dict.fromkeys(sources)),
        "source_other": (source_other or "").strip(),
        "basis": basis,
    }


# --- the fold ------------------------------------------------------------------------------------------------

Mutator = Callable[[Case, Event], None]
MUTATORS: dict[str, Mutator] = {}
TRIGGER_OF: dict[str, str | None] = {}


def event_type(name: str, trigger: str | None, version: int = 1) -> Callable[[Mutator], Mutator]:
    def register(fn: Mutator) -> Mutator:
        MUTATORS[name] = fn
        TRIGGER_OF[name] = trigger
        SCHEMA_VERSIONS[name] = version
        return fn

    return register


def upcast(event: Event) -> Event:
    payload, version = event.payload, event.schema_version
    while (event.type, version) in UPCASTERS:
        payload = UPCASTERS[(event.type, version)](payload)
        version += 1
    if version == event.schema_version:
        return event
    return Event(event.type, payload, event.actor, event.occurred_at, version)


def apply(case: Case, event: Event) -> Case:
    """Fold one event into the case: run its trigger through the machine (guards included), then record it.

    On any error the case is left as it was before the event.
    """
    event = upcast(event)
    if event.type not in MUTATORS:
        raise InvalidInput(f"event type {event.type!r} is unknown")
    if case.last_event_at is not None and event.occurred_at < case.last_event_at:
        raise InvalidInput(
            f"{case.number}: occurred_at {event.occurred_at.isoformat()} is before the case's last event "
            f"({case.last_event_at.isoformat()})"
        )
    work = copy.deepcopy(case)
    trigger = TRIGGER_OF[event.type]
    if trigger is not None:
        fire(work, trigger, event)
    MUTATORS[event.type](work, event)
    work.version += 1
    work.last_event_at = event.occurred_at
    case.__dict__.update(work.__dict__)
    return case


def replay(events: Iterable[Event], until: datetime | None = None) -> Case | None:
    """The case as its events make it (optionally only the events that occurred at or before `until`)."""
    case: Case | None = None
    for ev in events:
        if until is not None and ev.occurred_at > until:
            break
        if case is None:
            if ev.type != "CaseOpened":
                raise InvalidInput(f"first event is {ev.type}, not CaseOpened")
            case = Case(number=ev.payload["number"])
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


@event_type("CaseOpened", None)
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
    case.status = CaseStatus.drafted


@event_type("CaseEdited", "edit")
def _edited(case: Case, ev: Event) -> None:
    p = ev.payload
    case.product = copy.deepcopy(p["product"])
    case.sources = list(p["sources"])
    case.source_other = p.get("source_other", "")
    case.basis = dict(p.get("basis", {}))


@event_type("CaseSubmitted", "submit")
def _submitted(case: Case, ev: Event) -> None:
    case.lead = ev.payload["lead"]
    case.submitted_at = ev.occurred_at


@event_type("VerificationRecorded", "verify")
def _verified(case: Case, ev: Event) -> None:
    case.verification = {"note": ev.payload["note"], "by": ev.actor, "at": ev.occurred_at.isoformat()}


@event_type("PanelFormed", "form_panel")
def _panel(case: Case, ev: Event) -> None:
    case.panel = list(ev.payload["experts"])
    case.panel_reason = ev.payload.get("reason", "")


@event_type("MaterialAttached", "attach")
def _attached(case: Case, ev: Event) -> None:
    item = {k: ev.payload[k] for k in ("sha256", "filename", "kind", "size")}
    item.update(by=ev.actor, at=ev.occurred_at.isoformat())
    case.materials.append(item)


@event_type("MaterialsDispatched", "dispatch")
def _dispatched(case: Case, ev: Event) -> None:
    _arm(case, ev)


@event_type("AnalysisRecorded", "record_analysis")
def _analysis(case: Case, ev: Event) -> None:
    case.analyses[ev.payload["expert"]] = {"text": ev.payload["text"], "by": ev.actor, "at": ev.occurred_at.isoformat()}


@event_type("CaseReferred", "refer")
def _referred(case: Case, ev: Event) -> None:
    case.refer_reason = ev.payload.get("reason", "")
    _resolve(case, RESOLVES["refer"], ev.occurred_at)
    _arm(case, ev)


@event_type("CaseConvened", "convene")
def _convened(case: Case, ev: Event) -> None:
    case.convened_at = ev.occurred_at
    _resolve(case, RESOLVES["convene"], ev.occurred_at)


@event_type("OpinionRecorded", "record_opinion")
def _opinion(case: Case, ev: Event) -> None:
    p = ev.payload
    case.opinions[p["expert"]] = {
        "answers": copy.deepcopy(p["answers"]),
        "conclusions": dict(p["conclusions"]),
        "by": ev.actor,
        "at": ev.occurred_at.isoformat(),
    }


@event_type("AbsenceRecorded", "record_absence")
def _absence(case: Case, ev: Event) -> None:
    case.absences[ev.payload["expert"]] = ev.payload["reason"]


@event_type("CaseDecided", "decide")
def _decided(case: Case, ev: Event) -> None:
    p = ev.payload
    case.tally = copy.deepcopy(p["tally"])
    case.outcome = Outcome(p["outcome"])
    case.conclusions = dict(p["tally"]["conclusions"])
    case.decided_at = ev.occurred_at
    _arm(case, ev)


@event_type("MinutesIssued", "issue_minutes")
def _minutes(case: Case, ev: Event) -> None:
    case.minutes = copy.deepcopy(ev.payload)
    case.minutes["issued_at"] = ev.occurred_at.isoformat()
    case.minutes["issued_by"] = ev.actor


@event_type("TrackingNoted", "track")
def _tracked(case: Case, ev: Event) -> None:
    case.tracking.append({"note": ev.payload["note"], "by": ev.actor, "at": ev.occurred_at.isoformat()})
    _resolve(case, RESOLVES["track"], ev.occurred_at)
    _arm(case, ev)


def _close(case: Case, ev: Event, kinds: Iterable[str] = ()) -> None:
    case.closing_reason = ev.payload.get("reason", "")
    case.closed_at = ev.occurred_at
    _resolve(case, kinds, ev.occurred_at)


@event_type("CaseArchived", "archive")
def _archived(case: Case, ev: Event) -> None:
    _close(case, ev)


@event_type("CaseConcluded", "conclude")
def _concluded(case: Case, ev: Event) -> None:
    _close(case, ev, RESOLVES["conclude"])


@event_type("CaseReopened", "reopen")
def _reopened(case: Case, ev: Event) -> None:
    _close(case, ev, RESOLVES["reopen"])
    case.linked_to = ev.payload["new_case"]


@event_type("CaseWithdrawn", "withdraw")
def _withdrawn(case: Case, ev: Event) -> None:
    _close(case, ev)
    for d in case.open_deadlines():
        d.status = "cancelled"
        d.resolved_at = ev.occurred_at


@event_type("DeadlinesRecomputed", "recompute_deadlines")
def _recomputed(case: Case, ev: Event) -> None:
    by_id = {d.id: d for d in case.deadlines}
    for old_id in ev.payload["superseded"]:
        old = by_id[old_id]
        old.status = "superseded"
        old.resolved_at = ev.occurred_at
    _arm(case, ev)


@event_type("MeetingScheduled", "schedule")
def _scheduled(case: Case, ev: Event) -> None:
    case.meeting = copy.deepcopy(ev.payload)


@event_type("MeetingCancelled", "cancel_meeting")
def _meeting_cancelled(case: Case, ev: Event) -> None:
    if case.meeting is not None:
        case.meeting = {**case.meeting, "cancelled": True, "sequence": ev.payload["sequence"],
                        "cancel_reason": ev.payload.get("reason", "")}


@event_type("DeliveryRecorded", "record_delivery")
def _delivered(case: Case, ev: Event) -> None:
    case.deliveries.append({k: ev.payload[k] for k in ("what", "recipient", "channel", "key")}
                           | {"at": ev.occurred_at.isoformat()})


@event_type("FeeRecorded", "record_fee")
def _fee_recorded(case: Case, ev: Event) -> None:
    p = ev.payload
    case.fees[p["expert"]] = {"amount": p["amount"], "currency": p["currency"], "paid_on": p.get("paid_on"),
                              "payer": p["payer"], "recorded_by": ev.actor, "recorded_at": ev.occurred_at.isoformat()}


@event_type("FeeCorrected", "correct_fee")
def _fee_corrected(case: Case, ev: Event) -> None:
    p = ev.payload
    fee = case.fees[p["expert"]]
    fee.update(amount=p["amount"], paid_on=p.get("paid_on"), corrected_by=ev.actor,
               corrected_at=ev.occurred_at.isoformat(), correction_reason=p["reason"])


@event_type("DisposalAppraised", "appraise_disposal")
def _appraised(case: Case, ev: Event) -> None:
    case.retention["appraisal"] = {"approver": ev.payload["approver"], "note": ev.payload["note"], "by": ev.actor,
                                   "at": ev.occurred_at.isoformat()}


@event_type("LegalHoldPlaced", "place_hold")
def _hold_placed(case: Case, ev: Event) -> None:
    case.retention.setdefault("holds", []).append(
        {"reason": ev.payload["reason"], "by": ev.actor, "at": ev.occurred_at.isoformat(), "released_at": None})


@event_type("LegalHoldReleased", "release_hold")
def _hold_released(case: Case, ev: Event) -> None:
    hold = active_hold(case.retention)
    if hold is None:
        raise GuardFailed(f"{case.number}: there is no legal hold to release")
    hold.update(released_at=ev.occurred_at.isoformat(), released_by=ev.actor,
                release_reason=ev.payload.get("reason", ""))


# --- commands ------------------------------------------------------------------------------------------------


def ensure_allowed(case: Case, trigger: str) -> None:
    """The state comes first: a command that does not exist in this state is refused as such, before its inputs."""
    ensure_allowed_in(case.number, case.status, trigger)


def ensure_allowed_in(number: str, status: CaseStatus, trigger: str) -> None:
    """`ensure_allowed` for a case known only by its number and state (a snapshot)."""
    if trigger not in allowed_triggers(status):
        label = STATUS_LABELS.get(str(status), str(status))
        raise InvalidTransition(f"{number}: cannot {trigger.replace('_', ' ')} a case that is {status} ({label})")


def _act(case: Case, type_: str, payload: dict[str, Any], actor: str, now: datetime) -> Event:
    event = Event(type_, payload, actor, now, SCHEMA_VERSIONS[type_])
    apply(case, event)
    return event


def _new_deadlines(case: Case, kinds: Iterable[str], start_at: datetime, plan: DeadlinePlanner) -> list[dict[str, Any]]:
    out = []
    count = len(case.deadlines)
    for kind in kinds:
        count += 1
        out.append(plan(kind, start_at, f"{case.number}/D{count}").to_dict())
    return out


def open_case(number: str, applicant: str, draft: Mapping[str, Any], actor: str, now: datetime,
              linked_from: str | None = None) -> tuple[Case, Event]:
    case = Case(number=number)
    payload = {"number": number, "applicant": applicant, **copy.deepcopy(dict(draft)), "linked_from": linked_from}
    event = _act(case, "CaseOpened", payload, actor, now)
    return case, event


def edit(case: Case, draft: Mapping[str, Any], actor: str, now: datetime) -> Event:
    return _act(case, "CaseEdited", copy.deepcopy(dict(draft)), actor, now)


def submit(case: Case, lead: str, actor: str, now: datetime) -> Event:
    return _act(case, "CaseSubmitted", {"lead": lead}, actor, now)


def verify(case: Case, note: str, actor: str, now: datetime) -> Event:
    ensure_allowed(case, "verify")
    if not note.strip():
        raise InvalidInput("--note: the preliminary verification must say something")
    return _act(case, "VerificationRecorded", {"note": note.strip()}, actor, now)


def form_panel(case: Case, experts: list[str], reason: str, actor: str, now: datetime) -> Event:
    ensure_allowed(case, "form_panel")
    problem = panel_problem(experts, reason.strip())
    if problem:
        raise GuardFailed(f"{case.number}: {problem}")
    return _act(case, "PanelFormed", {"experts": list(experts), "reason": reason.strip()}, actor, now)


def attach(case: Case, sha256: str, filename: str, kind: str, size: int, actor: str, now: datetime) -> Event:
    ensure_allowed(case, "attach")
    payload = {"sha256": sha256, "filename": filename, "kind": kind, "size": size}
    return _act(case, "MaterialAttached", payload, actor, now)


def dispatch(case: Case, actor: str, now: datetime, plan: DeadlinePlanner) -> Event:
    return _act(case, "MaterialsDispatched", {"deadlines": _new_deadlines(case, ARMS["dispatch"], now, plan)},
                actor, now)


def _panel_member(case: Case, expert: str) -> None:
    if expert not in case.panel:
        raise GuardFailed(f"{case.number}: expert {expert} is not on the panel ({', '.join(case.panel) or 'none'})")


def record_analysis(case: Case, expert: str, text: str, actor: str, now: datetime) -> Event:
    ensure_allowed(case, "record_analysis")
    _panel_member(case, expert)
    if not text.strip():
        raise InvalidInput("--text: the analysis is empty")
    if expert in case.analyses:
        raise GuardFailed(f"{case.number}: expert {expert} has already submitted the preliminary analysis")
    return _act(case, "AnalysisRecorded", {"expert": expert, "text": text.strip()}, actor, now)


def refer(case: Case, reason: str, actor: str, now: datetime, plan: DeadlinePlanner) -> Event:
    missing = [e for e in case.panel if e not in case.analyses]
    payload = {"reason": reason.strip(), "missing_analyses": missing,
               "deadlines": _new_deadlines(case, ARMS["refer"], now, plan)}
    return _act(case, "CaseReferred", payload, actor, now)


def convene(case: Case, actor: str, now: datetime) -> Event:
    return _act(case, "CaseConvened", {}, actor, now)


def record_opinion(case: Case, expert: str, data: Any, actor: str, now: datetime) -> tuple[Event, Conclusions]:
    ensure_allowed(case, "record_opinion")
    opinion: Opinion = parse_opinion(data)
    _panel_member(case, expert)
    if expert in case.opinions:
        raise GuardFailed(f"{case.number}: expert {expert} has already signed the form; it is signed once")
    if expert in case.absences:
        raise GuardFailed(f"{case.number}: expert {expert} is recorded absent")
    conclusions = derive_conclusions(opinion)
    payload = {"expert": expert, "answers": opinion.to_dict(), "conclusions": conclusions.to_dict()}
    return _act(case, "OpinionRecorded", payload, actor, now), conclusions


def record_absence(case: Case, expert: str, reason: str, actor: str, now: datetime) -> Event:
    ensure_allowed(case, "record_absence")
    _panel_member(case, expert)
    if expert in case.opinions:
        raise GuardFailed(f"{case.number}: expert {expert} has submitted a form and cannot be recorded absent")
    if not reason.strip():
        raise InvalidInput("--reason: say why the expert is absent")
    return _act(case, "AbsenceRecorded", {"expert": expert, "reason": reason.strip()}, actor, now)


def decide(case: Case, actor: str, now: datetime, plan: DeadlinePlanner) -> Event:
    ensure_allowed(case, "decide")
    if not case.opinions:
        raise GuardFailed(f"{case.number}: no expert has submitted a form")
    tally = majority_vote(
        Conclusions(Defect(o["conclusions"]["defect"]), o["conclusions"]["investigate"], o["conclusions"]["attention"])
        for o in case.opinions.values()
    )
    arms = ARMS["decide:continued_attention"] if tally.outcome is Outcome.continued_attention else ()
    payload = {
        "tally": tally.to_dict(),
        "outcome": str(tally.outcome),
        "absent": dict(case.absences),
        "deadlines": _new_deadlines(case, arms, now, plan),
    }
    return _act(case, "CaseDecided", payload, actor, now)


def issue_minutes(case: Case, minutes: Mapping[str, Any], actor: str, now: datetime) -> Event:
    ensure_allowed(case, "issue_minutes")
    if case.minutes:
        raise GuardFailed(f"{case.number}: the minutes were issued on {case.minutes['issued_at']}; they are issued once")
    return _act(case, "MinutesIssued", copy.deepcopy(dict(minutes)), actor, now)


def track(case: Case, note: str, actor: str, now: datetime, plan: DeadlinePlanner) -> Event:
    ensure_allowed(case, "track")
    if not note.strip():
        raise InvalidInput("--note: the tracking note is empty")
    payload = {"note": note.strip(), "deadlines": _new_deadlines(case, ARMS["track"], now, plan)}
    return _act(case, "TrackingNoted", payload, actor, now)


def archive(case: Case, actor: str, now: datetime) -> Event:
    return _act(case, "CaseArchived", {}, actor, now)


def conclude(case: Case, reason: str, actor: str, now: datetime) -> Event:
    return _act(case, "CaseConcluded", {"reason": reason.strip()}, actor, now)


def reopen(case: Case, reason: str, new_case: str, actor: str, now: datetime) -> Event:
    return _act(case, "CaseReopened", {"reason": reason.strip(), "new_case": new_case}, actor, now)


def withdraw(case: Case, reason: str, actor: str, now: datetime) -> Event:
    return _act(case, "CaseWithdrawn", {"reason": reason.strip()}, actor, now)


def recompute_deadlines(case: Case, replacements: list[tuple[str, Deadline]], reason: str, actor: str,
                        now: datetime) -> Event:
    """Supersede open deadlines whose due date the calendar moved; `replacements` pairs old id with the new one."""
    ensure_allowed(case, "recompute_deadlines")
    open_ids = {d.id for d in case.open_deadlines()}
    for old, _ in replacements:
        if old not in open_ids:
            raise InvalidInput(f"{case.number}: deadline {old} is not open")
    payload = {
        "reason": reason,
        "superseded": [old for old, _ in replacements],
        "deadlines": [new.to_dict() for _, new in replacements],
    }
    return _act(case, "DeadlinesRecomputed", payload, actor, now)


def schedule_meeting(case: Case, at: datetime, platform: str, link: str | None, attendees: list[dict[str, Any]],
                     speaking_order: list[str], actor: str, now: datetime) -> Event:
    """Art. 8(4)–(5): the online meeting's time, platform, 1–2 staff per institution, the experts' speaking order."""
    ensure_allowed(case, "schedule")
    if at.tzinfo is None:
        raise InvalidInput("--at: the meeting time needs a UTC offset")
    if not platform.strip():
        raise InvalidInput("--platform: say where the meeting is held (e.g. 腾讯会议)")
    if sorted(speaking_order) != sorted(case.panel):
        raise InvalidInput(f"--order: the speaking order must name each panel expert once ({', '.join(case.panel)})")
    per_institution: dict[str, int] = {}
    for a in attendees:
        per_institution[a["institution"]] = per_institution.get(a["institution"], 0) + 1
    crowded = sorted(code for code, n in per_institution.items() if n > 2)
    if crowded:
        raise InvalidInput(f"--attendee: at most 2 staff per institution (Art. 8(4)); {crowded[0]} has more")
    sequence = (case.meeting or {}).get("sequence", -1) + 1
    payload = {
        "at": at.astimezone(UTC).isoformat(), "platform": platform.strip(), "link": link,
        "attendees": attendees, "speaking_order": list(speaking_order), "uid": f"{case.number}@huizhen",
        "sequence": sequence, "cancelled": False,
    }
    return _act(case, "MeetingScheduled", payload, actor, now)


def cancel_meeting(case: Case, reason: str, actor: str, now: datetime) -> Event:
    ensure_allowed(case, "cancel_meeting")
    if case.meeting is None or case.meeting.get("cancelled"):
        raise GuardFailed(f"{case.number}: no meeting is scheduled")
    return _act(case, "MeetingCancelled", {"sequence": case.meeting["sequence"] + 1, "reason": reason.strip()},
                actor, now)


def record_delivery(case: Case, what: str, recipient: str, channel: str, key: str, actor: str,
                    now: datetime) -> Event:
    payload = {"what": what, "recipient": recipient, "channel": channel, "key": key}
    return _act(case, "DeliveryRecorded", payload, actor, now)


# --- the yearly account: fees (Art. 10) and disposal (Art. 9) ------------------------------------------------------


def _fee_panel_member(case: Case, expert: str) -> None:
    if not case.dispatched:
        raise GuardFailed(f"{case.number}: the materials never went to the panel; there is no expert fee to record")
    if expert not in case.panel:
        raise InvalidInput(f"--expert: {expert} is not on the panel of {case.number} ({', '.join(case.panel) or 'none'})")


def _paid_on(paid_on: date | None, today: date) -> str | None:
    if paid_on is None:
        return None
    if paid_on > today:
        raise InvalidInput(f"--paid-on: {paid_on.isoformat()} is in the future (today is {today.isoformat()})")
    return paid_on.isoformat()


def record_fee(case: Case, expert: str, amount: Decimal, paid_on: date | None, actor: str, now: datetime,
               today: date) -> Event:
    """Art. 10: the applicant pays each panel expert's fee. Amount and payment date only, never bank details."""
    ensure_allowed(case, "record_fee")
    _fee_panel_member(case, expert)
    if expert in case.fees:
        raise GuardFailed(f"{case.number}: the fee of {expert} is already recorded "
                          f"({case.fees[expert]['amount']} CNY); use huizhen fee correct with --reason")
    payload = {"expert": expert, "amount": money(amount), "currency": CURRENCY, "paid_on": _paid_on(paid_on, today),
               "payer": case.applicant}
    return _act(case, "FeeRecorded", payload, actor, now)


def correct_fee(case: Case, expert: str, amount: Decimal | None, paid_on: date | None, reason: str, actor: str,
                now: datetime, today: date) -> Event:
    """A recorded fee corrected (amount and/or payment date), with the reason; the old value stays in the history."""
    ensure_allowed(case, "correct_fee")
    _fee_panel_member(case, expert)
    if expert not in case.fees:
        raise GuardFailed(f"{case.number}: no fee of {expert} is recorded yet; use huizhen fee record")
    if amount is None and paid_on is None:
        raise InvalidInput("--amount/--paid-on: give the corrected amount, the payment date, or both")
    if not reason.strip():
        raise InvalidInput("--reason: say why the fee is corrected")
    old = case.fees[expert]
    payload = {"expert": expert, "amount": money(amount) if amount is not None else old["amount"],
               "paid_on": _paid_on(paid_on, today) if paid_on is not None else old.get("paid_on"),
               "reason": reason.strip()}
    return _act(case, "FeeCorrected", payload, actor, now)


def _text(value: str, field_: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"{field_}: must not be empty")
    if len(text) > limit:
        raise InvalidInput(f"{field_}: at most {limit} characters")
    return text


def appraise_disposal(case: Case, approver: str, note: str, actor: str, now: datetime) -> Event:
    """The disposal appraisal (鉴定) of a terminal case: who approved destroying it once its retention runs out."""
    ensure_allowed(case, "appraise_disposal")
    payload = {"approver": _text(approver, "--approver", 100), "note": _text(note, "--note", 2000)}
    return _act(case, "DisposalAppraised", payload, actor, now)


def place_hold(case: Case, reason: str, actor: str, now: datetime) -> Event:
    """A legal hold: the case may not be destroyed, whatever its retention says, until the hold is released."""
    ensure_allowed(case, "place_hold")
    held = case.active_hold()
    if held:
        raise GuardFailed(f"{case.number}: already under a legal hold since {held['at']} ({held['reason']})")
    return _act(case, "LegalHoldPlaced", {"reason": _text(reason, "--reason", 2000)}, actor, now)


def release_hold(case: Case, reason: str, actor: str, now: datetime) -> Event:
    ensure_allowed(case, "release_hold")
    if case.active_hold() is None:
        raise GuardFailed(f"{case.number}: there is no legal hold to release")
    return _act(case, "LegalHoldReleased", {"reason": (reason or "").strip()[:2000]}, actor, now)
