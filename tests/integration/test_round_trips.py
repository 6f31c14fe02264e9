"""Round trips (issue 17, PostgreSQL): a command is a handful of statements whatever the case, and `audit verify`
reads the whole database in a few queries whatever the number of cases. Counted with SQLAlchemy's
`before_cursor_execute`; the rows written are checked against what the statements skipped re-reading."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from conftest import World, run_to
from sqlalchemy import event, select

from states.aggregate import SNAPSHOT_VERSION
from storage import tables as t
from workflow import usecases as uc


@contextmanager
def statements(world: World) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE: PostgreSQL's BEGIN is not a statement here
            seen.append(" ".join(statement.split())[:80])

    event.listen(world.app.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(world.app.engine, "before_cursor_execute", count)


def test_a_command_is_five_statements_and_a_commit(world: World) -> None:
    number = run_to(world, "preliminary_review")
    uc.verify(world.svc, "sh", number, "补充核实")  # warm: the first run may read what a process keeps
    world.clock.advance(seconds=1)
    with statements(world) as seen:
        uc.verify(world.svc, "sh", number, "再次核实")
    # The user, the case row with its chain head, the event, the case row, the summary (SQLite also rewrites the
    # summary's search entry: two more). No notice is owed by `verify`, so nothing is read after the commit.
    extra = 2 if world.app.engine.dialect.name == "sqlite" else 0
    assert len(seen) <= 5 + extra, seen
    assert uc.verify_audit(world.svc, "auditor", number) == []


def test_the_deadline_rows_follow_the_snapshot_without_being_read(world: World) -> None:
    for target in ["awaiting_experts", "convening", "decided", "archived"]:
        number = run_to(world, target)
        with world.app.engine.connect() as conn:
            snap = conn.execute(select(t.cases.c.snapshot).where(t.cases.c.number == number)).scalar_one()
            rows = conn.execute(select(t.deadlines.c.id, t.deadlines.c.status, t.deadlines.c.due_date,
                                       t.deadlines.c.provisional).where(t.deadlines.c.case_number == number)
                                ).all()
        stored = json.loads(snap)
        assert stored["snapshot_version"] == SNAPSHOT_VERSION
        assert stored["deadlines"], target
        assert {(r.id, r.status, r.due_date, bool(r.provisional)) for r in rows} == {
            (d["id"], d["status"], d["due_date"], bool(d["provisional"])) for d in stored["deadlines"]}, target


def test_audit_verify_reads_a_few_queries_whatever_the_number_of_cases(world: World) -> None:
    run_to(world, "archived")
    with statements(world) as one:
        assert uc.verify_audit(world.svc, "auditor") == []
    for target in ["drafted", "convening", "decided"]:
        run_to(world, target)
    with statements(world) as four:
        assert uc.verify_audit(world.svc, "auditor") == []
    assert len(four) == len(one), (one, four)


def test_a_checkpoint_reads_the_heads_in_a_few_queries_whatever_the_number_of_cases(world: World) -> None:
    """The scheduler issues one each working day (issue 15): it must not read every case's events each time."""
    from workflow import reading

    first = run_to(world, "archived")
    with statements(world) as one:
        heads = reading.system_chain_heads(world.svc)
    assert [h["number"] for h in heads["cases"]] == [first]
    assert heads["cases"][0]["version"] == len(uc.history(world.svc, "auditor", first))
    for target in ["drafted", "convening", "decided"]:
        run_to(world, target)
    with statements(world) as four:
        heads = reading.system_chain_heads(world.svc)
    assert len(heads["cases"]) == 4 and len(four) == len(one), (one, four)
