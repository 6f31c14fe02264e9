"""The command catalogue (states/commands.py) is the one answer: the machine, the derived tables and the fold follow
it, and a row registered at run time is known everywhere until it is removed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from states import case as dom
from states import commands, machine
from states.aggregate import Case
from states.commands import COMMANDS, Command, command_of_event, commands_with, registered, simple_commands
from states.deadlines import DEADLINE_RULES, armed_by, resolved_by
from states.errors import GuardFailed, InvalidTransition
from states.events import SPECS, Event
from states.guards import GUARDS
from states.status import CaseStatus

S = CaseStatus
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_every_guard_named_in_the_catalogue_exists() -> None:
    named = {g for c in COMMANDS.values() for g in c.guards}
    assert named <= set(GUARDS)
    assert set(GUARDS) <= named, "a guard no command uses"


def test_every_command_writes_a_known_event_with_a_fold() -> None:
    for c in COMMANDS.values():
        assert c.event in SPECS and SPECS[c.event].fold is not None, c.name
        assert command_of_event(c.event) is c
    assert {s.name for s in SPECS.values()} == {c.event for c in COMMANDS.values()} | {"CaseOpened"}


def test_the_catalogue_and_the_deadline_table_agree() -> None:
    for c in COMMANDS.values():
        arms = armed_by(c.name) + (armed_by(f"{c.name}:continued_attention") if c.name == "decide" else ())
        assert set(c.arms) == set(arms), c.name
        assert set(c.resolves) == set(resolved_by(c.name)), c.name
    for rule in DEADLINE_RULES:
        for name in rule.armed_by + rule.resolved_by:
            assert name.split(":")[0] in COMMANDS


def test_terminal_and_open_states_are_derived_from_the_catalogue() -> None:
    assert machine.TERMINAL_STATES == list(commands.TERMINAL_STATES)
    assert machine.OPEN_STATES == list(commands.OPEN_STATES)


def test_who_may_run_what() -> None:
    assert "decide" in commands_with("lead") and "decide" not in commands_with("applicant")
    assert commands_with("system") == {"recompute_deadlines", "record_delivery"}
    assert {c.name for c in simple_commands()} == {"submit", "dispatch", "refer", "cancel_meeting", "convene",
                                                   "decide", "issue_minutes", "archive", "conclude", "withdraw"}


def _noted(case: Case, ev: Event) -> None:
    case.tracking.append({"note": ev.payload.get("reason", ""), "by": ev.actor, "at": ev.occurred_at.isoformat()})


SUSPEND = Command("suspend_review", "ReviewSuspended", (S.preliminary_review,), (S.withdrawn,), guards=("reason",),
                  who=frozenset({"applicant"}), reason=commands.REASON_REQUIRED, simple=True, slug="suspend")


def test_a_registered_row_is_known_everywhere_and_gone_after() -> None:
    before_table = len(machine.TABLE)
    with registered(SUSPEND, fold=_noted):
        assert "suspend_review" in machine.allowed_triggers(S.preliminary_review)
        assert "suspend_review" not in machine.allowed_triggers(S.drafted)
        assert "suspend_review" in machine.TRIGGERS and len(machine.TABLE) == before_table + 1
        assert "    preliminary_review --> withdrawn: suspend_review" in machine.mermaid().splitlines()
        assert "suspend_review" in commands_with("applicant")
        assert SUSPEND in simple_commands()

        case, _ = dom.open_case("YRD-2026-0001", "SH", {"product": {}, "sources": [], "basis": {}}, "sh", T0)
        with pytest.raises(InvalidTransition):
            dom.run(case, "suspend_review", "暂停", "sh", T0 + timedelta(hours=1))
        dom.apply(case, Event("CaseSubmitted", {"lead": "SH"}, "sh", T0 + timedelta(hours=1)))
        with pytest.raises(GuardFailed) as info:
            dom.run(case, "suspend_review", " ", "sh", T0 + timedelta(hours=2))
        assert info.value.key == "reason_required"
        ev = dom.run(case, "suspend_review", " 企业整改中 ", "sh", T0 + timedelta(hours=3))
        assert (ev.type, ev.payload) == ("ReviewSuspended", {"reason": "企业整改中"})
        assert case.status is S.withdrawn and case.tracking[-1]["note"] == "企业整改中"
        events = [Event("CaseOpened", {"number": "YRD-2026-0001", "applicant": "SH", "product": {}, "sources": []},
                        "sh", T0), Event("CaseSubmitted", {"lead": "SH"}, "sh", T0 + timedelta(hours=1)), ev]
        again = dom.replay(events)
        assert again is not None and again.status is S.withdrawn
    assert "suspend_review" not in COMMANDS and "ReviewSuspended" not in SPECS
    assert "suspend_review" not in machine.TRIGGERS and len(machine.TABLE) == before_table
    assert "suspend_review" not in machine.allowed_triggers(S.preliminary_review)


def test_a_catalogue_row_cannot_be_registered_twice_or_removed() -> None:
    with pytest.raises(ValueError):
        commands.register(COMMANDS["submit"], fold=_noted)
    with pytest.raises(ValueError):
        commands.unregister("submit")


def test_the_dry_run_says_why_not() -> None:
    case, _ = dom.open_case("YRD-2026-0001", "SH", {"product": {}, "sources": [], "basis": {}}, "sh", T0)
    found = dom.blocked(case, "submit", T0)
    assert found is not None and found.key == "product_incomplete"
    assert case.version == 1
    with pytest.raises(InvalidTransition):
        dom.blocked(case, "archive", T0)


def test_stored_snapshots_without_a_version_are_lifted() -> None:
    case, _ = dom.open_case("YRD-2026-0001", "SH", {"product": {}, "sources": [], "basis": {}}, "sh", T0)
    snap = case.to_dict()
    assert snap["snapshot_version"] == dom.SNAPSHOT_VERSION
    old = {k: v for k, v in snap.items() if k != "snapshot_version"}
    assert dom.upcast_snapshot(old) == snap
    assert "snapshot_version" not in old
