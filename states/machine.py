"""The one shared state machine: every state and trigger of a consultation, with the regulation's guards.

Built once (`model=None`, `auto_transitions=False`, `model_attribute="status"`). A case is handed to the machine
only for the duration of one trigger (`fire`), never registered for good: one machine serves every case.
Internal triggers (`dest=None`) are the commands that change a case's data without moving it; they live in the
same table so that "which command may run in which state" has a single answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from transitions import EventData, Machine, MachineError

from states.errors import GuardFailed, InvalidTransition
from states.rules import quorum_met
from states.status import STATUS_LABELS, CaseStatus, Outcome

S = CaseStatus
ACTIVE_BEFORE_DECISION = [S.drafted, S.preliminary_review, S.awaiting_experts, S.convening, S.convened]
OPEN_STATES = ACTIVE_BEFORE_DECISION + [S.decided, S.continued_attention]
TERMINAL_STATES = [S.archived, S.withdrawn]
# Fees (Art. 10) are owed once the panel has the materials: from the dispatch on, also after the case is closed
# (fees are often paid after the meeting, or for the analysis of a case withdrawn later).
PANEL_AT_WORK = [S.awaiting_experts, S.convening, S.convened, S.decided, S.continued_attention, S.archived,
                 S.withdrawn]


def _event(ev: EventData) -> Any:
    return ev.kwargs["event"]


def _number(ev: EventData) -> str:
    case: Any = ev.model
    return str(case.number)


def guard_basis(ev: EventData) -> bool:
    """Art. 4: at least one of cross_province, samr_assignment, joint_decision holds."""
    case: Any = ev.model
    if not case.basis_holds():
        raise GuardFailed(
            f"{case.number}: no Art. 4 basis — the producer is not registered in one member province and "
            "producing in another, and neither basis.samr_assignment nor basis.joint_decision is given"
        )
    return True


def guard_product_complete(ev: EventData) -> bool:
    """Art. 7: the 产品及生产信息 section is filled before the application."""
    case: Any = ev.model
    missing = case.missing_product_fields()
    if missing:
        raise GuardFailed(f"{case.number}: the product section is incomplete: {', '.join(missing)} missing")
    return True


def guard_verified(ev: EventData) -> bool:
    """Art. 7: the preliminary verification (初步核实判断) is recorded."""
    case: Any = ev.model
    if not case.verification:
        raise GuardFailed(f"{case.number}: record the preliminary verification first (huizhen case verify)")
    return True


def guard_panel(ev: EventData) -> bool:
    """Art. 8(1): a panel is formed, normally of odd size; an even panel needs a recorded reason."""
    case: Any = ev.model
    problem = panel_problem(case.panel, case.panel_reason)
    if problem:
        raise GuardFailed(f"{case.number}: {problem}")
    return True


def panel_problem(panel: list[str], reason: str) -> str | None:
    if len(panel) < 3:
        return f"panel: {len(panel)} expert(s); a panel needs at least 3"
    if len(set(panel)) != len(panel):
        return "panel: an expert is named twice"
    if len(panel) % 2 == 0 and not reason:
        return f"panel: {len(panel)} experts is an even number; give --reason to record why"
    return None


def guard_materials(ev: EventData) -> bool:
    """Art. 8(2): the form, test reports and other materials go to the experts."""
    case: Any = ev.model
    if not case.materials:
        raise GuardFailed(f"{case.number}: attach the materials for the experts first (huizhen case attach)")
    return True


def guard_analyses_or_overdue(ev: EventData) -> bool:
    """Art. 8(3): refer once the experts have replied — or, recorded with a reason, once T1 has run out."""
    case: Any = ev.model
    event = _event(ev)
    missing = [e for e in case.panel if e not in case.analyses]
    if not missing:
        return True
    t1 = case.open_deadline("expert_analysis")
    overdue = t1 is not None and event.occurred_at >= t1.due_at
    if overdue and event.payload.get("reason"):
        return True
    waiting = ", ".join(missing)
    if overdue:
        raise GuardFailed(f"{case.number}: analyses missing from {waiting}; give --reason to refer without them")
    due = f" before {t1.due_at.isoformat()}" if t1 is not None else ""
    raise GuardFailed(f"{case.number}: waiting for the preliminary analysis of {waiting}{due}")


def guard_all_accounted(ev: EventData) -> bool:
    """Art. 8(6): every panel expert has filled the form or is recorded absent."""
    case: Any = ev.model
    pending = [e for e in case.panel if e not in case.opinions and e not in case.absences]
    if pending:
        raise GuardFailed(f"{case.number}: no form and no recorded absence for {', '.join(pending)}")
    return True


def guard_quorum(ev: EventData) -> bool:
    """Quorum: more than half of the panel submitted a form."""
    case: Any = ev.model
    if not quorum_met(len(case.opinions), len(case.panel)):
        raise GuardFailed(
            f"{case.number}: no quorum — {len(case.opinions)} of {len(case.panel)} experts submitted; more than half must"
        )
    return True


def guard_minutes_issued(ev: EventData) -> bool:
    """Art. 8(7): the minutes are made and cc'd before the case is closed."""
    case: Any = ev.model
    if not case.minutes:
        raise GuardFailed(f"{case.number}: issue the minutes first (huizhen case minutes)")
    return True


def guard_reason(ev: EventData) -> bool:
    event = _event(ev)
    if not str(event.payload.get("reason") or "").strip():
        raise GuardFailed(f"{_number(ev)}: --reason is required for {ev.event.name if ev.event else 'this'}")
    return True


def outcome_is_attention(ev: EventData) -> bool:
    return bool(_event(ev).payload["outcome"] == Outcome.continued_attention)


def outcome_is_not_attention(ev: EventData) -> bool:
    return not outcome_is_attention(ev)


Guard = Callable[[EventData], bool]

# The transition table: (trigger, sources, destination or None for an internal trigger, guards).
TABLE: list[dict[str, Any]] = [
    {"trigger": "edit", "source": [S.drafted], "dest": None},
    {"trigger": "submit", "source": S.drafted, "dest": S.preliminary_review,
     "conditions": [guard_product_complete, guard_basis]},
    {"trigger": "verify", "source": S.preliminary_review, "dest": None},
    {"trigger": "form_panel", "source": S.preliminary_review, "dest": None},
    {"trigger": "attach", "source": ACTIVE_BEFORE_DECISION, "dest": None},
    {"trigger": "dispatch", "source": S.preliminary_review, "dest": S.awaiting_experts,
     "conditions": [guard_verified, guard_panel, guard_materials]},
    {"trigger": "record_analysis", "source": S.awaiting_experts, "dest": None},
    {"trigger": "refer", "source": S.awaiting_experts, "dest": S.convening, "conditions": [guard_analyses_or_overdue]},
    {"trigger": "schedule", "source": S.convening, "dest": None},
    {"trigger": "cancel_meeting", "source": S.convening, "dest": None},
    {"trigger": "convene", "source": S.convening, "dest": S.convened},
    {"trigger": "record_opinion", "source": S.convened, "dest": None},
    {"trigger": "record_absence", "source": S.convened, "dest": None},
    {"trigger": "decide", "source": S.convened, "dest": S.decided,
     "conditions": [guard_all_accounted, guard_quorum, outcome_is_not_attention]},
    {"trigger": "decide", "source": S.convened, "dest": S.continued_attention,
     "conditions": [guard_all_accounted, guard_quorum, outcome_is_attention]},
    {"trigger": "issue_minutes", "source": [S.decided, S.continued_attention], "dest": None},
    {"trigger": "track", "source": S.continued_attention, "dest": None},
    {"trigger": "archive", "source": S.decided, "dest": S.archived, "conditions": [guard_minutes_issued]},
    {"trigger": "conclude", "source": S.continued_attention, "dest": S.archived,
     "conditions": [guard_minutes_issued, guard_reason]},
    {"trigger": "reopen", "source": S.continued_attention, "dest": S.archived,
     "conditions": [guard_minutes_issued, guard_reason]},
    {"trigger": "withdraw", "source": [S.drafted, S.preliminary_review, S.awaiting_experts], "dest": S.withdrawn,
     "conditions": [guard_reason]},
    # The calendar changed under an open deadline: recomputed, old row superseded (ARCHITECTURE decision 4).
    {"trigger": "recompute_deadlines", "source": OPEN_STATES, "dest": None},
    # An invitation or the minutes reached someone: history only, also after archiving (the cc trail).
    {"trigger": "record_delivery", "source": OPEN_STATES + [S.archived], "dest": None},
    # The yearly account (Art. 10): each panel expert's fee, entered and corrected by the applicant.
    {"trigger": "record_fee", "source": PANEL_AT_WORK, "dest": None},
    {"trigger": "correct_fee", "source": PANEL_AT_WORK, "dest": None},
    # Retention (Art. 9): only a closed case is appraised for disposal or put under a legal hold.
    {"trigger": "appraise_disposal", "source": TERMINAL_STATES, "dest": None},
    {"trigger": "place_hold", "source": TERMINAL_STATES, "dest": None},
    {"trigger": "release_hold", "source": TERMINAL_STATES, "dest": None},
]

TRIGGERS: tuple[str, ...] = tuple(dict.fromkeys(row["trigger"] for row in TABLE))

MACHINE = Machine(
    model=None,
    states=CaseStatus,
    transitions=TABLE,
    initial=None,
    auto_transitions=False,
    model_attribute="status",
    send_event=True,
)


def allowed_triggers(status: CaseStatus) -> list[str]:
    """The triggers that exist from a state (guards not evaluated)."""
    return [t for t in TRIGGERS if MACHINE.events[t].transitions.get(status.name)]


def fire(case: Any, trigger: str, event: Any) -> None:
    """Run one trigger on one case. Raises InvalidTransition or GuardFailed; the case is unchanged then."""
    before = case.status
    try:
        ok = MACHINE.events[trigger].trigger(case, event=event)
    except MachineError:
        label = STATUS_LABELS.get(str(before), str(before))
        raise InvalidTransition(
            f"{case.number}: cannot {trigger.replace('_', ' ')} a case that is {before} ({label})"
        ) from None
    if not ok:  # a guard returned False without saying why: keep the contract of one clear line
        case.status = before
        raise GuardFailed(f"{case.number}: {trigger} is not possible now")


def mermaid() -> str:
    """The state diagram in Mermaid, from the same table (no graphviz needed)."""
    lines = ["stateDiagram-v2", "    [*] --> drafted"]
    for row in TABLE:
        if row["dest"] is None:
            continue
        sources = row["source"] if isinstance(row["source"], list) else [row["source"]]
        for src in sources:
            lines.append(f"    {src} --> {row['dest']}: {row['trigger']}")
    lines += ["    archived --> [*]", "    withdrawn --> [*]"]
    return "\n".join(lines)
