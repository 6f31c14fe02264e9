"""The command catalogue: every command of a consultation, written once (ARCHITECTURE decision 10).

One row a command: its name (the `transitions` trigger), the event type it writes, the states it runs from, where
it leads (None: it changes the case's data, not its state), the regulation's guards checked before the event exists,
the deadlines it arms and resolves (states.deadlines), who may run it, whether it takes a reason, and its input.
From this table come the `transitions` machine, the permission sets, "what may this person do now" with its dry
run, and the CLI command, page action and API route of every simple command (one whose only input is a reason).
`register` / `registered` add a row (and its event's fold) at run time, for a test; docs/adding-a-command.md says
how a real one is added.

Who may run a command (`who`):
  applicant     a liaison of the applicant institution
  lead          a liaison of the lead institution
  panel_expert  a panel expert, for themself only
  other_member  a liaison of another member institution than the applicant (Art. 4(3): concurrence)
  admin         an admin
  system        huizhen itself (deliveries, recomputed deadlines): never a person
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from states.events import SPECS, EventSpec, Fold
from states.status import CaseStatus

S = CaseStatus
ACTIVE_BEFORE_DECISION = (S.drafted, S.preliminary_review, S.awaiting_experts, S.convening, S.convened)
OPEN_STATES = ACTIVE_BEFORE_DECISION + (S.decided, S.continued_attention)
# Named here because rows below run from them; states.machine derives the same sets from the rows (a test checks).
TERMINAL_STATES = (S.archived, S.withdrawn)
# Fees (Art. 10) are owed once the panel has the materials: from the dispatch on, also after the case is closed.
PANEL_AT_WORK = (S.awaiting_experts, S.convening, S.convened, S.decided, S.continued_attention, S.archived,
                 S.withdrawn)

# The meeting's records (attendance, statements) are kept from the meeting until the minutes are issued.
MEETING_RECORDS = (S.convened, S.decided, S.continued_attention)

REASON_NONE, REASON_OPTIONAL, REASON_REQUIRED = "none", "optional", "required"


@dataclass(frozen=True)
class Command:
    name: str
    event: str
    source: tuple[CaseStatus, ...]
    dest: tuple[CaseStatus, ...] = ()  # () internal; two for decide (chosen by the outcome)
    guards: tuple[str, ...] = ()  # guard names (states.guards), checked in this order before the event exists
    arms: tuple[str, ...] = ()
    resolves: tuple[str, ...] = ()
    who: frozenset[str] = frozenset()
    reason: str = REASON_NONE  # none | optional | required
    simple: bool = False  # takes nothing but the case (and its reason): CLI, page and API are derived
    slug: str = ""  # the API path segment and CLI sub-command of a simple command ("" = name)
    article: str = ""

    @property
    def internal(self) -> bool:
        return not self.dest

    @property
    def route(self) -> str:
        return self.slug or self.name


def _c(name: str, event: str, source: tuple[CaseStatus, ...] | CaseStatus, dest: tuple[CaseStatus, ...] = (),
       **kw: object) -> Command:
    src = source if isinstance(source, tuple) else (source,)
    return Command(name, event, src, dest, **kw)  # type: ignore[arg-type]


APPLICANT, LEAD, PANEL_EXPERT, ADMIN, SYSTEM = "applicant", "lead", "panel_expert", "admin", "system"
OTHER_MEMBER = "other_member"

CATALOGUE: tuple[Command, ...] = (
    _c("edit", "CaseEdited", S.drafted, who=frozenset({APPLICANT}), article="7"),
    # Art. 7: "申请前…应当进行过初步核实判断": verified on the draft, before the application; in preliminary review
    # the verification may still be added to (an addition in the history, the first note kept).
    _c("verify", "VerificationRecorded", (S.drafted, S.preliminary_review), who=frozenset({APPLICANT}), article="7"),
    # Art. 4(3) "各省（市）召回技术机构认为有必要共同开展": a joint decision alone needs another institution's word.
    _c("concur", "ConcurrenceRecorded", S.drafted, guards=("joint_only",), who=frozenset({OTHER_MEMBER}),
       article="4(3)"),
    _c("submit", "CaseSubmitted", S.drafted, (S.preliminary_review,),
       guards=("product_complete", "basis", "verified", "joint_concurred"), who=frozenset({APPLICANT}), simple=True,
       article="6–7"),
    _c("form_panel", "PanelFormed", S.preliminary_review, who=frozenset({APPLICANT}), article="8(1)"),
    # --- i12-panel --- Art. 8(1) "各省（市）召回技术机构选取专家": every institution nominates from its own pool;
    # a panel expert answers and declares conflicts; the applicant records why a conflicted expert is kept.
    _c("nominate", "ExpertsNominated", S.preliminary_review, who=frozenset({APPLICANT, OTHER_MEMBER}),
       article="8(1)"),
    _c("withdraw_nomination", "NominationWithdrawn", S.preliminary_review, who=frozenset({APPLICANT, OTHER_MEMBER}),
       article="8(1)"),
    _c("respond", "ExpertResponded", (S.preliminary_review, S.awaiting_experts), who=frozenset({PANEL_EXPERT}),
       article="8(1)"),
    _c("keep_expert", "ExpertKept", (S.preliminary_review, S.awaiting_experts), who=frozenset({APPLICANT}),
       reason=REASON_REQUIRED, article="8(1)"),
    _c("attach", "MaterialAttached", ACTIVE_BEFORE_DECISION, who=frozenset({APPLICANT, LEAD}), article="8(2)"),
    _c("dispatch", "MaterialsDispatched", S.preliminary_review, (S.awaiting_experts,),
       guards=("verified", "panel", "panel_answers", "materials"), arms=("expert_analysis",), who=frozenset({APPLICANT}),
       simple=True, article="8(2)"),
    _c("record_analysis", "AnalysisRecorded", S.awaiting_experts, who=frozenset({PANEL_EXPERT}), article="8(2)"),
    # A chase (催办) of a late expert by the applicant's liaison during T1: history only, once a working day.
    _c("chase", "ExpertChased", S.awaiting_experts, who=frozenset({APPLICANT}), article="8(2)"),
    _c("refer", "CaseReferred", S.awaiting_experts, (S.convening,), guards=("analyses_or_overdue",),
       arms=("convening",), resolves=("expert_analysis",), who=frozenset({APPLICANT}), reason=REASON_OPTIONAL,
       simple=True, article="8(3)"),
    _c("schedule", "MeetingScheduled", S.convening, who=frozenset({LEAD}), article="8(4)"),
    _c("cancel_meeting", "MeetingCancelled", S.convening, guards=("meeting_scheduled",), who=frozenset({LEAD}),
       reason=REASON_OPTIONAL, simple=True, slug="meeting/cancel", article="8(4)"),
    # Art. 5 / 8(4): the consultation is an online meeting; convening needs one scheduled (and not cancelled).
    # A guard, not a fold rule: histories convened without a meeting under the earlier rules still replay.
    _c("convene", "CaseConvened", S.convening, (S.convened,), guards=("meeting_scheduled",), resolves=("convening",),
       who=frozenset({LEAD}), simple=True, article="8(4)"),
    # Art. 8(4)–(5) at the meeting (issue 12): each institution's 1–2 staff by name or its absence, and each
    # expert's statement in speaking order; recorded by the lead until the minutes are issued.
    _c("record_attendance", "AttendanceRecorded", MEETING_RECORDS, guards=("minutes_not_issued",),
       who=frozenset({LEAD}), article="8(4)"),
    _c("record_statement", "StatementRecorded", MEETING_RECORDS, guards=("minutes_not_issued",),
       who=frozenset({LEAD}), article="8(5)"),
    _c("record_opinion", "OpinionRecorded", S.convened, who=frozenset({PANEL_EXPERT}), article="8(6)"),
    _c("record_absence", "AbsenceRecorded", S.convened, who=frozenset({LEAD}), reason=REASON_REQUIRED,
       article="8(6)"),
    # The outcome chooses the destination: continued attention, or decided (investigate / no investigation).
    _c("decide", "CaseDecided", S.convened, (S.decided, S.continued_attention),
       guards=("opinions_present", "all_accounted", "quorum"), arms=("tracking",), who=frozenset({LEAD}),
       simple=True, article="8(6)"),
    _c("issue_minutes", "MinutesIssued", (S.decided, S.continued_attention), guards=("minutes_not_issued",),
       who=frozenset({LEAD}), simple=True, slug="minutes", article="8(7)"),
    # Art. 8(7) minutes as a draft (issue 12): the lead edits the summary, the decision's wording and the follow-up
    # before issuing; issued minutes never change, a correction is a new numbered issue naming the one it corrects.
    _c("draft_minutes", "MinutesDrafted", (S.decided, S.continued_attention), guards=("minutes_not_issued",),
       who=frozenset({LEAD}), article="8(7)"),
    _c("correct_minutes", "MinutesCorrected", (S.decided, S.continued_attention),
       guards=("minutes_issued", "reason"), who=frozenset({LEAD}), reason=REASON_REQUIRED, article="8(7)"),
    _c("track", "TrackingNoted", S.continued_attention, arms=("tracking",), resolves=("tracking",),
       who=frozenset({APPLICANT}), article="8(6)"),
    _c("archive", "CaseArchived", S.decided, (S.archived,), guards=("minutes_issued",), who=frozenset({LEAD}),
       simple=True, article="9"),
    _c("conclude", "CaseConcluded", S.continued_attention, (S.archived,), guards=("minutes_issued", "reason"),
       resolves=("tracking",), who=frozenset({APPLICANT}), reason=REASON_REQUIRED, simple=True, article="9"),
    _c("reopen", "CaseReopened", S.continued_attention, (S.archived,), guards=("minutes_issued", "reason"),
       resolves=("tracking",), who=frozenset({APPLICANT}), reason=REASON_REQUIRED, article="8(6)"),
    _c("withdraw", "CaseWithdrawn", (S.drafted, S.preliminary_review, S.awaiting_experts), (S.withdrawn,),
       guards=("reason",), who=frozenset({APPLICANT}), reason=REASON_REQUIRED, simple=True),
    # The calendar changed under an open deadline: recomputed, old row superseded (ARCHITECTURE decision 4).
    _c("recompute_deadlines", "DeadlinesRecomputed", OPEN_STATES, who=frozenset({SYSTEM, ADMIN})),
    # An invitation or the minutes reached someone: history only, also after archiving (the cc trail).
    _c("record_delivery", "DeliveryRecorded", OPEN_STATES + (S.archived,), who=frozenset({SYSTEM})),
    # The yearly account (Art. 10): each panel expert's fee, entered and corrected by the applicant.
    _c("record_fee", "FeeRecorded", PANEL_AT_WORK, who=frozenset({APPLICANT}), article="10"),
    _c("correct_fee", "FeeCorrected", PANEL_AT_WORK, who=frozenset({APPLICANT}), reason=REASON_REQUIRED,
       article="10"),
    # Retention (Art. 9): only a closed case is appraised for disposal or put under a legal hold.
    _c("appraise_disposal", "DisposalAppraised", TERMINAL_STATES, who=frozenset({ADMIN}), article="9"),
    _c("place_hold", "LegalHoldPlaced", TERMINAL_STATES, who=frozenset({ADMIN}), reason=REASON_REQUIRED,
       article="9"),
    _c("release_hold", "LegalHoldReleased", TERMINAL_STATES, who=frozenset({ADMIN}), reason=REASON_OPTIONAL,
       article="9"),
)

# The live catalogue: CATALOGUE plus what `register` added. Mutated in place, never rebound, so every importer sees
# a registered row (and the tables derived from it: states.machine rebuilds on every change).
COMMANDS: dict[str, Command] = {c.name: c for c in CATALOGUE}
_LISTENERS: list[Callable[[], None]] = []


def command(name: str) -> Command:
    return COMMANDS[name]


def commands_with(who: str) -> frozenset[str]:
    """The names of the commands that WHO (applicant, lead, panel_expert, admin, system) may run."""
    return frozenset(c.name for c in COMMANDS.values() if who in c.who)


def simple_commands() -> list[Command]:
    return [c for c in COMMANDS.values() if c.simple]


def command_of_event(event_type: str) -> Command | None:
    """The command that writes this event type (None for CaseOpened, which no state allows: it starts a case)."""
    for c in COMMANDS.values():
        if c.event == event_type:
            return c
    return None


def destination(cmd: Command, payload: Mapping[str, Any]) -> CaseStatus | None:
    """Where an event of this command leaves the case: None for an internal command; with two destinations
    (decide) the payload's outcome names the state it leads to, any other outcome the first destination."""
    if not cmd.dest:
        return None
    if len(cmd.dest) > 1:
        outcome = str(payload.get("outcome") or "")
        for state in cmd.dest:
            if str(state) == outcome:
                return state
    return cmd.dest[0]


def subscribe(listener: Callable[[], None]) -> None:
    """Call LISTENER after every change of the live catalogue (the machine rebuilds its table)."""
    _LISTENERS.append(listener)


def _changed() -> None:
    for listener in _LISTENERS:
        listener()


def register(cmd: Command, fold: Fold, fields: tuple[str, ...] = ()) -> None:
    """Add a command and the fold of its event at run time (a test-only row: see docs/adding-a-command.md).
    The machine, `allowed_triggers`, the permission sets and the simple commands of the shell all follow."""
    if cmd.name in COMMANDS or cmd.event in SPECS:
        raise ValueError(f"command {cmd.name} or event {cmd.event} exists already")
    SPECS[cmd.event] = EventSpec(cmd.event, fields, fold=fold)
    COMMANDS[cmd.name] = cmd
    _changed()


def unregister(name: str) -> None:
    """Undo `register` (only for rows it added: the catalogue's own rows stay)."""
    if any(c.name == name for c in CATALOGUE):
        raise ValueError(f"command {name} is part of the catalogue")
    cmd = COMMANDS.pop(name)
    SPECS.pop(cmd.event, None)
    _changed()


@contextmanager
def registered(cmd: Command, fold: Fold, fields: tuple[str, ...] = ()) -> Iterator[Command]:
    """`register` for the duration of a with-block (a test), then `unregister`."""
    register(cmd, fold, fields)
    try:
        yield cmd
    finally:
        unregister(cmd.name)
