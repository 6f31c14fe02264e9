"""Concurrency is the database's job (ARCHITECTURE decision 6): two OS processes racing one transition on the same
SQLite file or PostgreSQL database — exactly one wins, the other exits 6 with one line saying "conflict", and the
history holds the event once. Also: a stale `expected_version` is a Conflict that writes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import CONFIG, World, run_to
from sqlalchemy import select

from states import case as domain
from states.errors import Conflict
from storage import tables as t
from workflow import usecases as uc

HZ = str(Path(sys.executable).with_name("huizhen"))
ROUNDS = 5
CONFLICT_EXIT = 6


def env_for(db_url: str, user: str, now: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUIZHEN_")}
    env.update(HUIZHEN_CONFIG=str(CONFIG), HUIZHEN_DATABASE_URL=db_url, HUIZHEN_USER=user, HUIZHEN_NOW=now)
    return env


def race(args: list[str], env: dict[str, str]) -> list[tuple[int, str, str]]:
    """Start both processes back to back, then collect (exit code, stdout, stderr) of each."""
    procs = [subprocess.Popen([HZ, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=str(CONFIG.parent)) for _ in range(2)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        results.append((p.returncode, out, err))
    return results


def db_rows(world: World) -> dict[str, list[tuple[str, ...]]]:
    out: dict[str, list[tuple[str, ...]]] = {}
    with world.app.engine.connect() as conn:
        for table in (t.events, t.cases, t.deadlines, t.counters):
            out[table.name] = sorted(tuple(repr(v) for v in row) for row in conn.execute(select(table)).all())
    return out


# Each race: the state to build in-process, the command, who runs it, the event it writes, and an instant after
# the last in-process event (run_to's clock stops there; the subprocesses' clock is fixed by HUIZHEN_NOW).
RACES = {
    "convene": ("convening", ["case", "convene"], "js", "CaseConvened", "2026-10-14T14:00:00+08:00"),
    "submit": ("verified_draft", ["case", "submit"], "sh", "CaseSubmitted", "2026-09-24T10:05:00+08:00"),
    "dispatch": ("ready_to_dispatch", ["case", "dispatch"], "sh", "MaterialsDispatched", "2026-09-29T10:00:00+08:00"),
}


def build(world: World, state: str) -> str:
    if state == "verified_draft":  # Art. 7: a draft is verified before it is submitted
        n = run_to(world, "drafted")
        uc.verify(world.svc, "sh", n, "核实无误")
        return n
    if state != "ready_to_dispatch":
        return run_to(world, state)
    n = run_to(world, "preliminary_review")
    world.clock.advance(minutes=5)
    uc.form_panel(world.svc, "sh", n, world.experts[:3])
    uc.attach(world.svc, "sh", n, "report.txt", b"test report", "test_report")
    return n


@pytest.mark.parametrize("which", list(RACES))
def test_two_processes_race_one_transition_exactly_one_wins(world: World, db_url: str, which: str) -> None:
    state, command, user, event_type, now = RACES[which]
    for round_ in range(ROUNDS):
        number = build(world, state)
        last = uc.history(world.svc, "auditor", number)[-1]["occurred_at"]
        assert datetime.fromisoformat(now) > datetime.fromisoformat(last), (now, last)
        version = uc.show_case(world.svc, "auditor", number)["version"]

        results = race([*command, number], env_for(db_url, user, now))
        codes = sorted(code for code, _, _ in results)
        assert codes == [0, CONFLICT_EXIT], (round_, results)
        winner = next(r for r in results if r[0] == 0)
        loser = next(r for r in results if r[0] == CONFLICT_EXIT)
        assert number in winner[1], winner
        lines = loser[2].strip().splitlines()
        assert len(lines) == 1 and "conflict" in lines[0], loser
        assert number in lines[0]

        history = uc.history(world.svc, "auditor", number)
        assert [e["type"] for e in history].count(event_type) == 1, [e["type"] for e in history]
        assert len(history) == version + 1
        assert history[-1]["type"] == event_type and history[-1]["actor"] == user
        shown = uc.show_case(world.svc, "auditor", number)
        assert shown["version"] == version + 1
    assert uc.verify_audit(world.svc, "auditor") == []


def test_expected_version_mismatch_is_a_conflict_that_writes_nothing(world: World) -> None:
    svc = world.svc
    number = run_to(world, "convening")
    version = uc.show_case(svc, "auditor", number)["version"]
    before = db_rows(world)
    world.clock.advance(hours=1)
    ran: list[Any] = []

    def convene(uow: Any, case: Any, user: Any, now: Any) -> list[Any]:
        ran.append(case.number)
        return [domain.convene(case, user.name, now)]

    for stale in (version - 1, version + 1, 0):
        with pytest.raises(Conflict, match="version"):
            uc.act(svc, "js", number, "convene", convene, expected_version=stale)
    assert ran == []  # refused before the command ran
    assert db_rows(world) == before
    case, events = uc.act(svc, "js", number, "convene", convene, expected_version=version)
    assert case.status == "convened" and case.version == version + 1 and [e.type for e in events] == ["CaseConvened"]
    # The same expectation again is now stale.
    with pytest.raises(Conflict):
        uc.act(svc, "js", number, "convene", convene, expected_version=version)
    assert uc.verify_audit(svc, "auditor") == []
