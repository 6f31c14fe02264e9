"""What every use case stands on: the services the shell assembles, the acting person resolved once, and `act`,
which runs one command on one case inside one transaction.

Nothing is written unless everything succeeds: a refusal leaves the database as it was.

The commands whose only input is the case (and a reason) are registered here as *steps* (`reason_step`), keyed by
the catalogue's command name: the use case, "what may this person do now"'s dry run and the shell's derived
commands all run the same step (`run_reason_command`, `dry_run`), so such a command is written once.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from states import case as domain
from states.beijing import BEIJING, beijing_day
from states.case import Case, Deadline, Event
from states.commands import COMMANDS
from states.errors import Conflict, DomainError, InvalidTransition
from states.rotation import lead_on
from workflow.actors import SYSTEM, Actor, resolve
from workflow.errors import NotFound
from workflow.permissions import Someone, require_act, require_view
from workflow.ports import Clock, Policy, UnitOfWork, UnitOfWorkFactory, WorkingCalendarPort

__all__ = ["BEIJING", "beijing_day"]  # re-exported: the shell reads them here

MAX_MATERIAL_BYTES = 50 * 1024 * 1024
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


def _user(uow: UnitOfWork, name: str | None) -> Actor:
    """The acting person (kept under this name for the modules that call it)."""
    return resolve(uow, name)


def lead_on_day(svc: Services, day: date) -> str:
    """The lead institution on a Beijing calendar day (Art. 3's rotation)."""
    return lead_on(day, svc.policy.rotation_order, svc.policy.first_term_start, svc.policy.term_months)


def lead_for(svc: Services, when: datetime) -> str:
    return lead_on_day(svc, beijing_day(when))


def visible_snapshot(uow: UnitOfWork, user: Someone, number: str) -> dict[str, Any]:
    """The case's snapshot for someone who may see it: not found, or not permitted, otherwise."""
    snap = uow.cases.snapshot(number)
    if snap is None:
        raise NotFound(f"case {number} does not exist", key="case_missing", number=number)
    require_view(user, snap)
    return snap


def load(uow: UnitOfWork, number: str, *, lock: bool = True) -> Case:
    case = uow.cases.load(number, lock=lock)
    if case is None:
        raise NotFound(f"case {number} does not exist", key="case_missing", number=number)
    return case


def notify(svc: Services, number: str, events: Sequence[Event]) -> None:
    for handler in svc.after_commit:
        handler(number, events, svc)


def _conflict_or(exc: InvalidTransition, uow: UnitOfWork, case: Case, action: str) -> Exception:
    """Someone else just ran the same transition (its event is the last one): a conflict, not a wrong state.
    A command that leaves the state as it is cannot be refused by its own last run."""
    row = COMMANDS.get(action)
    history = uow.cases.events(case.number)
    if row is not None and row.dest and history and history[-1].event.type == row.event:
        last = history[-1]
        return Conflict(
            f"conflict: {last.event.actor} already did this ({action.replace('_', ' ')}) on {case.number} at "
            f"{last.event.occurred_at.isoformat()}, so it is now {case.status}; nothing was written",
            key="already_done", number=case.number, command=action, by=last.event.actor,
            at=last.event.occurred_at.isoformat(), status=str(case.status),
        )
    return exc


Step = Callable[[UnitOfWork, Case, Actor, datetime], list[Event]]


def act(svc: Services, actor: str | None, number: str, action: str, fn: Step, *, expert: str | None = None,
        expected_version: int | None = None) -> tuple[Case, list[Event]]:
    """Run one command of a person on one case inside one transaction."""
    with svc.uow() as uow:
        case, events = _act(svc, uow, resolve(uow, actor), number, action, fn, expert, expected_version)
    notify(svc, number, events)
    return case, events


def act_as_system(svc: Services, number: str, action: str, fn: Step) -> tuple[Case, list[Event]]:
    """Run one of the system's own commands (the catalogue gives it to `system`)."""
    with svc.uow() as uow:
        case, events = _act(svc, uow, SYSTEM, number, action, fn, None, None)
    notify(svc, number, events)
    return case, events


def _act(svc: Services, uow: UnitOfWork, who: Actor, number: str, action: str, fn: Step, expert: str | None,
         expected_version: int | None) -> tuple[Case, list[Event]]:
    case = load(uow, number)
    # What the permission reads of the case (not its whole stored shape: a command costs the same on a long case).
    seen = {"number": case.number, "applicant": case.applicant, "lead": case.lead, "status": str(case.status),
            "basis": case.basis, "cross_province": case.cross_province, "panel": case.panel}
    require_view(who, seen)  # a case one may not see answers as a missing one, before any other refusal
    require_act(who, action, seen, expert)
    version = case.version
    if expected_version is not None and expected_version != version:
        raise Conflict(f"conflict: {number} is at version {version}, not {expected_version}; reload and retry",
                       key="version_moved", number=number, version=version, expected=expected_version)
    now = svc.clock.now()
    try:
        domain.ensure_allowed(case, action)
        events = fn(uow, case, who, now)
    except InvalidTransition as exc:
        raise _conflict_or(exc, uow, case, action) from None
    uow.cases.save(case, events, version)
    uow.commit()
    return case, events


# --- commands whose only input is a reason ----------------------------------------------------------------------


@dataclass
class Doing:
    """One run of a reason-only command: what its step may read and what it leaves for `act` to store.
    A dry run (what may this person do now) never takes a case number and never stores anything."""

    svc: Services
    uow: UnitOfWork
    actor: Actor
    now: datetime
    reason: str = ""
    dry_run: bool = False
    created: list[tuple[Case, Event]] = field(default_factory=list)  # new cases the command opens (reopen)

    def new_number(self, like: str) -> str:
        if self.dry_run:
            return f"{like}-dry-run"
        return self.uow.cases.next_number(self.svc.policy.case_prefix, self.now.astimezone(BEIJING).year)


ReasonStep = Callable[[Doing, Case], list[Event]]
REASON_STEPS: dict[str, ReasonStep] = {}


def reason_step(name: str) -> Callable[[ReasonStep], ReasonStep]:
    """Register the step of a catalogue command whose only input is a reason (a test may register its own row's)."""

    def register(fn: ReasonStep) -> ReasonStep:
        if name not in COMMANDS:
            raise KeyError(f"{name} is not in the command catalogue")
        REASON_STEPS[name] = fn
        return fn

    return register


def _generic_step(name: str) -> ReasonStep:
    """A simple catalogue row with no step of its own runs through the domain's generic command (states `run`)."""

    def step(doing: Doing, case: Case) -> list[Event]:
        return [domain.run(case, name, doing.reason, doing.actor.name, doing.now, doing.svc.planner())]

    return step


def step_of(name: str) -> ReasonStep | None:
    """The step of a reason-only command: its registered one, else the generic one for a simple catalogue row."""
    if name in REASON_STEPS:
        return REASON_STEPS[name]
    row = COMMANDS.get(name)
    return _generic_step(name) if row is not None and row.simple else None


def reason_only(name: str) -> bool:
    """A command of the catalogue whose only input is the case and a reason (a registered step, or a simple row)."""
    return name in COMMANDS and step_of(name) is not None


def run_reason_command(svc: Services, actor: str | None, number: str, name: str,
                       reason: str = "") -> tuple[Case, list[Case]]:
    """Run a reason-only command as the use case; returns the case and any case it opened."""
    step = step_of(name)
    if step is None:
        raise KeyError(f"{name} is not a reason-only command")
    opened: list[Case] = []

    def run(uow: UnitOfWork, case: Case, who: Actor, now: datetime) -> list[Event]:
        doing = Doing(svc, uow, who, now, reason)
        events = step(doing, case)
        for new_case, event in doing.created:
            uow.cases.add(new_case, [event])
            opened.append(new_case)
        return events

    case, _ = act(svc, actor, number, name, run)
    return case, opened


def dry_run(svc: Services, uow: UnitOfWork, case: Case, who: Actor, name: str, now: datetime) -> DomainError | None:
    """Run a reason-only command on a copy, never stored: the regulation's refusal (or None when it would go
    through). The reason is a placeholder: whether one is given is the form's business, not a blocker."""
    step, row = step_of(name), COMMANDS.get(name)
    if step is None or row is None:
        return None
    if case.status not in row.source:
        return InvalidTransition(f"{case.number}: cannot {name.replace('_', ' ')} a case that is {case.status}",
                                 key="wrong_state", number=case.number, command=name, status=str(case.status))
    try:
        step(Doing(svc, uow, who, now, "(reason)", dry_run=True), copy.deepcopy(case))
    except DomainError as exc:
        return exc
    return None
