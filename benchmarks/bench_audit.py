"""`audit verify` of a whole database against its floor: reading the same event rows and SHA-256 (HMAC) over the
same bytes (issue 17, goal ≤ 10×).

Run: .venv/bin/python benchmarks/bench_audit.py [--quick] [--backend sqlite|postgresql|both] [--events N]
"""

from __future__ import annotations

import argparse

from _bench import backends, clone_cases, database, interleaved, make_app, parse, row
from sqlalchemy import select

from storage import tables as t
from storage.chain import event_hash


def main() -> None:
    args = parse(__doc__ or "", lambda p: p.add_argument("--events", type=int, default=None))
    for kind in backends(args):
        run(kind, args)


def run(kind: str, args: argparse.Namespace) -> None:
    from support import run_to

    from workflow import usecases as uc

    events = args.events or (400 if args.quick else 20_000)
    with database(kind) as url:
        app, world = make_app(url)
        template = run_to(world, "archived")
        with world.svc.uow(readonly=True) as uow:
            per_case = len(uow.cases.events(template))
        clone_cases(world, template, max(1, events // per_case))
        with app.engine.connect() as conn:
            total = len(conn.execute(select(t.events.c.id)).all())
        key = world.svc.uow.keyring.current if world.svc.uow.keyring else None

        def engine() -> None:
            assert uc.verify_audit(world.svc, "auditor") == []

        def floor() -> None:
            # The same rows read in the same order, the same canonical bytes hashed (storage.chain.event_hash).
            with app.engine.connect() as conn:
                for r in conn.execute(select(t.events).order_by(t.events.c.case_number, t.events.c.seq)).mappings():
                    event_hash(case_number=r["case_number"], seq=r["seq"], type_=r["type"],
                               schema_version=r["schema_version"], actor=r["actor"], occurred_at=r["occurred_at"],
                               recorded_at=r["recorded_at"], payload=r["payload"], prev_hash=r["prev_hash"],
                               key=key)

        e, f = interleaved(engine, floor, args.reps)
        row(f"audit verify, {total} events", kind, e, f, f"{total / e:,.0f} events/s; floor: read rows + hash")
        app.engine.dispose()


if __name__ == "__main__":
    main()
