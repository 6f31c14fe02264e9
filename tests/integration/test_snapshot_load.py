"""Commands load the case from its stored snapshot (issue 17): the case the snapshot gives is the case the replay
gives, at every step of the lifecycle; a snapshot that does not name the chain head, or is of an older shape, is not
trusted (the case is replayed)."""

from __future__ import annotations

import json

from conftest import World, run_to
from sqlalchemy import select, update

from states.case import replay
from storage import tables as t
from workflow import usecases as uc

TARGETS = ["drafted", "preliminary_review", "awaiting_experts", "convening", "convened", "decided", "archived"]


def _both(world: World, number: str) -> tuple[dict, dict, object, object]:
    with world.svc.uow() as uow:
        loaded = uow.cases.load(number)
        replayed = replay(s.event for s in uow.cases.events(number))
    assert loaded is not None and replayed is not None
    return loaded.to_dict(), replayed.to_dict(), loaded.last_event_at, replayed.last_event_at


def test_the_snapshot_gives_the_replayed_case_at_every_state(world: World) -> None:
    for target in TARGETS:
        number = run_to(world, target)
        loaded, replayed, loaded_last, replayed_last = _both(world, number)
        assert loaded == replayed, target
        assert loaded_last == replayed_last, target
    assert uc.verify_audit(world.svc, "auditor") == []


def test_a_snapshot_behind_the_chain_head_is_not_trusted(world: World) -> None:
    number = run_to(world, "preliminary_review")
    with world.app.engine.begin() as conn:
        snap = json.loads(conn.execute(select(t.cases.c.snapshot).where(t.cases.c.number == number)).scalar_one())
        snap["status"] = "drafted"
        snap["version"] = snap["version"] - 1  # a stale snapshot: it no longer names the last event
        conn.execute(update(t.cases).where(t.cases.c.number == number).values(snapshot=json.dumps(snap)))
    with world.svc.uow() as uow:
        case = uow.cases.load(number)
    assert case is not None and str(case.status) == "preliminary_review"


def test_an_older_snapshot_version_is_replayed(world: World) -> None:
    number = run_to(world, "preliminary_review")
    with world.app.engine.begin() as conn:
        snap = json.loads(conn.execute(select(t.cases.c.snapshot).where(t.cases.c.number == number)).scalar_one())
        del snap["snapshot_version"]
        snap["lead"] = "nobody"  # only a replay gives the true lead
        conn.execute(update(t.cases).where(t.cases.c.number == number).values(snapshot=json.dumps(snap)))
    with world.svc.uow() as uow:
        case = uow.cases.load(number)
    assert case is not None and case.lead == "JS"
