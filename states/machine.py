"""The one shared state machine, built from the command catalogue (states.commands), and the tables derived from it.

Built with `model=None`, `auto_transitions=False`, `model_attribute="status"`. A command hands the machine a probe
(the case's state and the case to ask) for one trigger (`fire`): the machine says whether the trigger exists in
that state (InvalidTransition) and runs the row's guards by name in catalogue order (GuardFailed); the probe's
status is then the destination. The case itself is never moved by the machine: the fold sets the state from the
stored event (states.fold), so replay never runs a guard.

Internal commands (no destination) change a case's data without moving it; they live in the same table so that
"which command may run in which state" has a single answer. `register` in states.commands rebuilds the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from transitions import EventData, Machine, MachineError

from states.aggregate import Case
from states.commands import COMMANDS, Command, subscribe
from states.errors import GuardFailed, InvalidTransition
from states.guards import GUARDS, Attempt
from states.status import STATUS_LABELS, CaseStatus

S = CaseStatus


def _moving(commands: list[Command]) -> list[Command]:
    return [c for c in commands if c.dest]


def _terminal(commands: list[Command]) -> list[CaseStatus]:
    """The states no command leads out of (in CaseStatus order)."""
    left = {s for c in _moving(commands) for s in c.source}
    return [s for s in CaseStatus if s not in left]


TERMINAL_STATES: list[CaseStatus] = _terminal(list(COMMANDS.values()))
OPEN_STATES: list[CaseStatus] = [s for s in CaseStatus if s not in TERMINAL_STATES]


@dataclass
class Probe:
    """What the machine moves for one trigger: a state, and the case (read only) its guards ask."""

    status: CaseStatus
    case: Case


def _guard(name: str) -> Callable[[EventData], bool]:
    def condition(ev: EventData) -> bool:
        # Looked up when it runs, not when the table is built: a test may swap a rule in place.
        probe = cast(Probe, ev.model)  # transitions types the model as object
        GUARDS[name](probe.case, ev.kwargs["attempt"])
        return True

    condition.__name__ = f"guard_{name}"
    return condition


def _outcome_is(state: CaseStatus, first: bool, others: tuple[CaseStatus, ...]) -> Callable[[EventData], bool]:
    """A row of a command with several destinations is taken when the attempt's outcome names its state (the first
    row also when the outcome names none of them), as states.commands.destination decides for the fold."""

    def condition(ev: EventData) -> bool:
        outcome = ev.kwargs["attempt"].outcome
        if outcome == str(state):
            return True
        return first and outcome not in {str(s) for s in others}

    return condition


def rows(commands: list[Command]) -> list[dict[str, Any]]:
    """The `transitions` table of these commands: one row per (command, destination)."""
    out: list[dict[str, Any]] = []
    for c in commands:
        conditions = [_guard(g) for g in c.guards]
        if not c.dest:
            out.append({"trigger": c.name, "source": list(c.source), "dest": None, "conditions": conditions})
            continue
        for i, dest in enumerate(c.dest):
            extra = [_outcome_is(dest, i == 0, c.dest)] if len(c.dest) > 1 else []
            out.append({"trigger": c.name, "source": list(c.source), "dest": dest, "conditions": conditions + extra})
    return out


# Mutated in place on every change of the catalogue, so `from states.machine import TABLE, TRIGGERS` stays live.
TABLE: list[dict[str, Any]] = []
TRIGGERS: list[str] = []
_MACHINE: list[Machine] = []


def _build() -> None:
    commands = list(COMMANDS.values())
    TABLE[:] = rows(commands)
    TRIGGERS[:] = [c.name for c in commands]
    _MACHINE[:] = [Machine(model=None, states=CaseStatus, transitions=[dict(r) for r in TABLE], initial=None,
                           auto_transitions=False, model_attribute="status", send_event=True)]


_build()
subscribe(_build)


def machine() -> Machine:
    return _MACHINE[0]


def allowed_triggers(status: CaseStatus) -> list[str]:
    """The commands that exist from a state (guards not evaluated), in catalogue order."""
    return [c.name for c in COMMANDS.values() if status in c.source]


def refusal(number: str, status: CaseStatus, trigger: str) -> InvalidTransition:
    label = STATUS_LABELS.get(str(status), str(status))
    return InvalidTransition(f"{number}: cannot {trigger.replace('_', ' ')} a case that is {status} ({label})",
                             key="not_in_this_state", number=number, status=str(status), command=trigger)


def fire(case: Case, trigger: str, attempt: Attempt) -> CaseStatus:
    """Ask the machine whether TRIGGER may run on CASE now: the state first (InvalidTransition), then the row's
    guards (GuardFailed). Returns the state the command leads to (the case's own for an internal command).
    The case is not changed."""
    probe = Probe(case.status, case)
    if trigger not in machine().events:
        raise refusal(case.number, case.status, trigger)
    try:
        ok = machine().events[trigger].trigger(probe, attempt=attempt)
    except MachineError:
        raise refusal(case.number, case.status, trigger) from None
    if not ok:  # no row's condition held without a guard saying why: keep the contract of one clear line
        raise GuardFailed(f"{case.number}: {trigger} is not possible now", key="not_possible_now",
                          number=case.number, command=trigger)
    return probe.status


def mermaid() -> str:
    """The state diagram in Mermaid, from the same table (no graphviz needed)."""
    lines = ["stateDiagram-v2", f"    [*] --> {S.drafted}"]
    for row in TABLE:
        if row["dest"] is None:
            continue
        for src in row["source"]:
            lines.append(f"    {src} --> {row['dest']}: {row['trigger']}")
    lines += [f"    {s} --> [*]" for s in TERMINAL_STATES]
    return "\n".join(lines)
