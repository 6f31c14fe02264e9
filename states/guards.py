"""The regulation's guards, by the names the command catalogue (states.commands) gives them.

A guard runs in a command, before the event exists: it asks the case (and the attempt: when, with which reason,
with which outcome) whether the command may run now, and raises GuardFailed saying why not. The fold never runs a
guard, so a rule tightened tomorrow (a bigger panel, one more product field) refuses new commands and leaves every
stored case replaying as it was decided.

The machine (states.machine) looks a guard up in GUARDS by name each time it runs one, so a test may swap a rule
in place (monkeypatch GUARDS["panel"] or PANEL_MINIMUM) and the commands follow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from states.aggregate import Case
from states.errors import GuardFailed
from states.rules import quorum_met

# Art. 8(1): the smallest panel.
PANEL_MINIMUM = 3


@dataclass(frozen=True)
class Attempt:
    """What a guard may know about a command before its event exists."""

    at: datetime
    reason: str = ""
    outcome: str | None = None  # decide: the vote's outcome, which also chooses the destination


Guard = Callable[[Case, Attempt], None]


def guard_product_complete(case: Case, attempt: Attempt) -> None:
    """Art. 7: the 产品及生产信息 section is filled before the application."""
    missing = case.missing_product_fields()
    if missing:
        raise GuardFailed(f"{case.number}: the product section is incomplete: {', '.join(missing)} missing",
                          key="product_incomplete", field=missing[0], number=case.number, missing=missing)


def guard_basis(case: Case, attempt: Attempt) -> None:
    """Art. 4: at least one of cross_province, samr_assignment, joint_decision holds."""
    if not case.basis_holds():
        raise GuardFailed(
            f"{case.number}: no Art. 4 basis — the producer is not registered in one member province and "
            "producing in another, and neither basis.samr_assignment nor basis.joint_decision is given",
            key="basis_missing", field="basis", number=case.number,
        )


def guard_verified(case: Case, attempt: Attempt) -> None:
    """Art. 7: the preliminary verification (初步核实判断) is recorded."""
    if not case.verification:
        raise GuardFailed(f"{case.number}: the preliminary verification is not recorded yet",
                          key="verification_missing", number=case.number)


def guard_joint_only(case: Case, attempt: Attempt) -> None:
    """Art. 4(3): concurrence is recorded only on a draft whose only basis is the joint decision."""
    if not case.joint_only():
        raise GuardFailed(f"{case.number}: the basis is not a joint decision alone; no concurrence is needed",
                          key="concurrence_not_needed", field="basis.joint_decision", number=case.number)


def guard_joint_concurred(case: Case, attempt: Attempt) -> None:
    """Art. 4(3): a joint decision alone needs the concurrence of at least one other member institution."""
    if case.joint_only() and not any(c.get("institution") != case.applicant for c in case.concurrences):
        raise GuardFailed(f"{case.number}: the joint decision has no other institution's concurrence yet",
                          key="concurrence_missing", field="basis.joint_decision", number=case.number)


def panel_problem(number: str, panel: list[str], reason: str) -> GuardFailed | None:
    """Art. 8(1): a panel of at least PANEL_MINIMUM distinct experts, normally of odd size; an even panel needs
    a recorded reason. Shared by forming the panel and dispatching to it."""
    if len(panel) < PANEL_MINIMUM:
        return GuardFailed(f"{number}: panel: {len(panel)} expert(s); a panel needs at least {PANEL_MINIMUM}",
                           key="panel_too_small", field="experts", number=number, size=len(panel),
                           minimum=PANEL_MINIMUM)
    if len(set(panel)) != len(panel):
        return GuardFailed(f"{number}: panel: an expert is named twice", key="panel_duplicate", field="experts",
                           number=number)
    if len(panel) % 2 == 0 and not reason:
        return GuardFailed(f"{number}: panel: {len(panel)} experts is an even number; a reason must be recorded",
                           key="panel_even_without_reason", field="reason", number=number, size=len(panel))
    return None


def guard_panel(case: Case, attempt: Attempt) -> None:
    problem = panel_problem(case.number, case.panel, case.panel_reason)
    if problem:
        raise problem


def guard_panel_answers(case: Case, attempt: Attempt) -> None:
    """Art. 8(1) (issue 12): no expert who declined stays on the panel, and every declared conflict of interest has
    a recorded reason to keep that expert. An expert who has not answered does not hold the dispatch up
    (docs/decisions.md): T1 and the referral of Art. 8(3) already deal with a silent expert."""
    declined = case.declined()
    if declined:
        raise GuardFailed(f"{case.number}: {', '.join(declined)} declined; replace them on the panel",
                          key="panel_expert_declined", field="experts", number=case.number, experts=declined)
    conflicts = case.unresolved_conflicts()
    if conflicts:
        raise GuardFailed(f"{case.number}: {', '.join(conflicts)} declared a conflict of interest and no reason to "
                          "keep them is recorded", key="conflict_unresolved", field="expert", number=case.number,
                          experts=conflicts)


def guard_materials(case: Case, attempt: Attempt) -> None:
    """Art. 8(2): the form, test reports and other materials go to the experts."""
    if not case.materials:
        raise GuardFailed(f"{case.number}: no materials for the experts are attached yet", key="materials_missing",
                          number=case.number)


def guard_analyses_or_overdue(case: Case, attempt: Attempt) -> None:
    """Art. 8(3): refer once the experts have replied — or, recorded with a reason, once T1 has run out."""
    missing = [e for e in case.panel if e not in case.analyses]
    if not missing:
        return
    t1 = case.open_deadline("expert_analysis")
    overdue = t1 is not None and attempt.at >= t1.due_at
    if overdue and attempt.reason:
        return
    waiting = ", ".join(missing)
    if overdue:
        raise GuardFailed(f"{case.number}: analyses missing from {waiting}; a reason is needed to refer without them",
                          key="analyses_missing_reason_needed", field="reason", number=case.number, experts=missing)
    due = f" before {t1.due_at.isoformat()}" if t1 is not None else ""
    raise GuardFailed(f"{case.number}: waiting for the preliminary analysis of {waiting}{due}",
                      key="analyses_awaited", number=case.number, experts=missing,
                      due=t1.due_at.isoformat() if t1 is not None else None)


def guard_meeting_scheduled(case: Case, attempt: Attempt) -> None:
    if case.meeting is None or case.meeting.get("cancelled"):
        raise GuardFailed(f"{case.number}: no meeting is scheduled", key="meeting_not_scheduled", number=case.number)


def guard_opinions_present(case: Case, attempt: Attempt) -> None:
    if not case.opinions:
        raise GuardFailed(f"{case.number}: no expert has submitted a form", key="opinions_missing",
                          number=case.number)


def guard_all_accounted(case: Case, attempt: Attempt) -> None:
    """Art. 8(6): every panel expert has filled the form or is recorded absent."""
    pending = [e for e in case.panel if e not in case.opinions and e not in case.absences]
    if pending:
        raise GuardFailed(f"{case.number}: no form and no recorded absence for {', '.join(pending)}",
                          key="experts_unaccounted", number=case.number, experts=pending)


def guard_quorum(case: Case, attempt: Attempt) -> None:
    """Quorum: more than half of the panel submitted a form."""
    if not quorum_met(len(case.opinions), len(case.panel)):
        raise GuardFailed(
            f"{case.number}: no quorum — {len(case.opinions)} of {len(case.panel)} experts submitted; more than half must",
            key="no_quorum", number=case.number, submitted=len(case.opinions), panel=len(case.panel),
        )


def guard_minutes_not_issued(case: Case, attempt: Attempt) -> None:
    if case.minutes:
        raise GuardFailed(f"{case.number}: the minutes were issued on {case.minutes['issued_at']}; they are issued once",
                          key="minutes_already_issued", number=case.number, issued_at=case.minutes["issued_at"])


def guard_minutes_issued(case: Case, attempt: Attempt) -> None:
    """Art. 8(7): the minutes are made and cc'd before the case is closed."""
    if not case.minutes:
        raise GuardFailed(f"{case.number}: the minutes are not issued yet", key="minutes_missing",
                          number=case.number)


def guard_reason(case: Case, attempt: Attempt) -> None:
    if not attempt.reason.strip():
        raise GuardFailed(f"{case.number}: a reason is required", key="reason_required", field="reason",
                          number=case.number)


GUARDS: dict[str, Guard] = {
    "product_complete": guard_product_complete,
    "basis": guard_basis,
    "verified": guard_verified,
    "joint_only": guard_joint_only,
    "joint_concurred": guard_joint_concurred,
    "panel": guard_panel,
    "panel_answers": guard_panel_answers,
    "materials": guard_materials,
    "analyses_or_overdue": guard_analyses_or_overdue,
    "meeting_scheduled": guard_meeting_scheduled,
    "opinions_present": guard_opinions_present,
    "all_accounted": guard_all_accounted,
    "quorum": guard_quorum,
    "minutes_not_issued": guard_minutes_not_issued,
    "minutes_issued": guard_minutes_issued,
    "reason": guard_reason,
}
