"""One command (`verify`) against its floor, one INSERT + COMMIT of an event row, in a database of many cases;
and the same command on a case with 200 events against one with 10 (issue 17, goals ≤ 5× / ≤ 2× and ≤ 1.2×).

Run: .venv/bin/python benchmarks/bench_command.py [--quick] [--backend sqlite|postgresql|both] [--cases N]
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime

from _bench import backends, clone_cases, database, interleaved, make_app, parse, row
from sqlalchemy import insert

from storage import tables as t


def grow(world, number: str, events: int) -> None:  # type: ignore[no-untyped-def]
    from workflow import usecases as uc

    with world.svc.uow(readonly=True) as uow:
        have = len(uow.cases.events(number))
    for i in range(have, events):
        world.clock.advance(seconds=1)
        uc.verify(world.svc, "sh", number, f"补充核实 {i}")


def main() -> None:
    args = parse(__doc__ or "", lambda p: p.add_argument("--cases", type=int, default=None))
    for kind in backends(args):
        run(kind, args)


def run(kind: str, args: argparse.Namespace) -> None:
    from support import run_to

    from workflow import usecases as uc

    cases = args.cases or (50 if args.quick else 10_000)
    inner = 5 if args.quick else 20
    with database(kind) as url:
        app, world = make_app(url)
        t10 = run_to(world, "preliminary_review")
        grow(world, t10, 10)
        t200 = run_to(world, "preliminary_review")
        grow(world, t200, 200)
        clone_cases(world, t10, cases)
        c10 = iter(clone_cases(world, t10, inner * args.reps * 2, year=2021))
        c200 = iter(clone_cases(world, t200, inner * args.reps, year=2022))
        seq = itertools.count(1)

        def command(numbers: Iterator[str] = c10) -> None:
            world.clock.advance(seconds=1)
            uc.verify(world.svc, "sh", next(numbers), "补充核实")

        def floor() -> None:
            with app.engine.begin() as conn:
                conn.execute(insert(t.events).values(
                    case_number="FLOOR", seq=next(seq), type="VerificationRecorded", schema_version=2,
                    actor="sh", occurred_at=datetime.now(UTC), recorded_at=datetime.now(UTC),
                    payload='{"addition":true,"note":"补充核实"}', prev_hash="0" * 64, hash="0" * 64,
                    key_id=None))

        engine, base = interleaved(command, floor, args.reps, inner)
        row(f"one command (verify), {cases} cases", kind, engine, base, "floor: INSERT + COMMIT of an event row")
        two_hundred, ten = interleaved(lambda: command(c200), command, args.reps, inner)
        row("command on a 200-event case vs a 10-event case", kind, two_hundred, ten, "floor: the 10-event case")
        app.engine.dispose()


if __name__ == "__main__":
    main()
