"""The sweep with many open deadlines (1% due) against its floor, the indexed SELECT of the due rows; and the
outbox's catch-up (run before every sweep) with 0 and with many archived cases (issue 17: ≤ 20×; ±20%).

The deadlines and cases are inserted as rows (a sweep reads rows, not histories). The sweep timed is the steady
one (every reminder due already claimed by a first sweep), as the daemon runs it every minute.

Run: .venv/bin/python benchmarks/bench_sweep.py [--quick] [--backend ...] [--open 10000,100000] [--archived N]
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta

from _bench import backends, clone_cases, database, interleaved, make_app, parse, row
from sqlalchemy import insert, select

from storage import tables as t

NOW = datetime(2026, 10, 14, 2, 0, tzinfo=UTC)  # 10:00 in Beijing, a working Wednesday
TODAY_ENDS = datetime(2026, 10, 14, 16, 0, tzinfo=UTC)  # 24:00 in Beijing


def main() -> None:
    def extra(p: argparse.ArgumentParser) -> None:
        p.add_argument("--open", default=None, help="open deadlines, comma-separated (default 10000,100000)")
        p.add_argument("--archived", type=int, default=None, help="archived cases for the catch-up (default 10000)")

    args = parse(__doc__ or "", extra)
    for kind in backends(args):
        sizes = [int(x) for x in (args.open or ("300" if args.quick else "10000,100000")).split(",")]
        for size in sizes:
            sweep(kind, size, args)
        catch_up(kind, args)


def _open_deadlines(conn: object, count: int, prefix: str) -> None:
    """COUNT convening cases, each with one armed T2: 1% due today, the rest next year."""
    rows_c, rows_d = [], []
    for i in range(count):
        number = f"{prefix}-{i:06d}"
        due = TODAY_ENDS if i % 100 == 0 else TODAY_ENDS + timedelta(days=300)
        rows_c.append(dict(number=number, status="convening", applicant="SH", lead="JS", outcome=None, version=1,
                           last_hash="0" * 64, snapshot=json.dumps({"number": number}), created_at=NOW,
                           updated_at=NOW))
        rows_d.append(dict(id=f"{number}/D1", case_number=number, kind="convening", start_at=NOW - timedelta(days=5),
                           working_days=5, due_at=due, due_date=(due - timedelta(hours=1)).date().isoformat(),
                           calendar_version="cc", provisional=False, status="armed", explanation="—",
                           resolved_at=None, supersedes=None))
        if len(rows_c) == 5000 or i == count - 1:
            conn.execute(insert(t.cases), rows_c)  # type: ignore[attr-defined]
            conn.execute(insert(t.deadlines), rows_d)  # type: ignore[attr-defined]
            rows_c, rows_d = [], []


def sweep(kind: str, size: int, args: argparse.Namespace) -> None:
    with database(kind) as url:
        app, world = make_app(url)
        world.clock.at = NOW
        with app.engine.begin() as conn:
            _open_deadlines(conn, size, "SWP")
        sweeper = app.sweeper()
        first = sweeper.sweep()
        claimed = len(first.sent)
        due = select(t.deadlines, t.cases.c.applicant, t.cases.c.lead).join(
            t.cases, t.cases.c.number == t.deadlines.c.case_number).where(
            t.deadlines.c.status == "armed", t.deadlines.c.due_at <= NOW + timedelta(days=3))

        def floor() -> None:
            with app.engine.connect() as conn:
                conn.execute(due).all()

        e, f = interleaved(sweeper.sweep, floor, args.reps, inner=3 if args.quick else 10)
        row(f"sweep, {size} open deadlines (1% due)", kind, e, f,
            f"floor: SELECT of the due rows; first sweep sent {claimed} reminders")
        app.engine.dispose()


def catch_up(kind: str, args: argparse.Namespace) -> None:
    from support import run_to

    archived = args.archived if args.archived is not None else (50 if args.quick else 10_000)
    with database(kind) as url:
        app, world = make_app(url)
        template = run_to(world, "archived")
        # Two months on: the template's minutes are past the catch-up's window, as an archive's are.
        world.clock.advance(days=60)
        outbox = app.outbox

        def once() -> None:
            outbox.catch_up(world.svc)

        outbox.catch_up(world.svc)
        with_none, _ = interleaved(once, once, args.reps, inner=20)
        clone_cases(world, template, archived)
        with app.engine.connect() as conn:
            n = len(conn.execute(select(t.cases.c.number).where(t.cases.c.status == "archived")).all())
        outbox.catch_up(world.svc)
        with_many, _ = interleaved(once, once, args.reps, inner=20)
        row(f"catch-up, {n} vs 1 archived cases", kind, with_many, with_none, "floor: the same with 1 archived case")
        app.engine.dispose()


if __name__ == "__main__":
    main()
