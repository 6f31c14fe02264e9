"""What the benchmarks share: a fresh database (SQLite file or PostgreSQL database), the app over it, a small
world of people, many cases made quickly (a template case driven through the use cases, then cloned under new
numbers through the repository: hashed, chained and projected as any case), and the timing (median of runs).

Every script prints `measure | backend | engine | floor | ratio` rows; `--quick` makes the data small (the test
runs every script that way to keep them working, not to time them)."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def parse(description: str, extra: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="small data, few repetitions (keeps the script working)")
    p.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--reps", type=int, default=3, help="runs; the median is printed (at least 3)")
    if extra:
        extra(p)
    args = p.parse_args()
    args.reps = max(3, args.reps)
    return args


def backends(args: argparse.Namespace) -> list[str]:
    wanted = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in wanted and not pg_reachable():
        print("postgresql: not reachable at 127.0.0.1:5432, skipped")
        wanted.remove("postgresql")
    return wanted


def pg_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:  # no server: the PostgreSQL rows are skipped
        return False


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A fresh, empty database of KIND; yields its URL; dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="hz-bench-") as tmp:
            yield f"sqlite:///{tmp}/huizhen.db"
        return
    import psycopg

    name = f"hz_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_app(url: str, config: Path | None = None) -> tuple[Any, Any]:
    """The app over URL (migrated), its fake clock, and the small world of tests/support (admin, a liaison per
    institution, an auditor, five experts)."""
    from support import make_world

    from huizhen.bootstrap import bootstrap
    from workflow.testing import FakeClock

    clock = FakeClock()
    app = bootstrap(config or ROOT / "config.yaml", clock=clock, database_url=url)
    app.init()
    return app, make_world(app, clock)


def clone_cases(world: Any, template: str, count: int, year: int = 2020, batch: int = 500) -> list[str]:
    """COUNT copies of case TEMPLATE under new numbers (YRD-<year>-NNNNN), each hashed and chained as the
    repository writes any case, its snapshot and deadlines projected."""
    from states.case import Event, replay

    svc = world.svc
    with svc.uow(readonly=True) as uow:
        stored = uow.cases.events(template)
    raw = [(s.event.type, json.dumps(s.event.payload, ensure_ascii=False), s.event.actor, s.event.occurred_at,
            s.event.schema_version) for s in stored]
    numbers: list[str] = []
    for start in range(0, count, batch):
        with svc.uow() as uow:
            for i in range(start, min(count, start + batch)):
                number = f"YRD-{year}-{i + 1:05d}"
                events = [Event(type_, json.loads(payload.replace(template, number)), actor, at, version)
                          for type_, payload, actor, at, version in raw]
                case = replay(events)
                assert case is not None
                uow.cases.add(case, events)
                numbers.append(number)
            uow.commit()
    return numbers


def median_time(fn: Callable[[], Any], reps: int, inner: int = 1) -> float:
    """The median over REPS runs of the time per call (each run calls FN INNER times)."""
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times)


def interleaved(engine: Callable[[], Any], floor: Callable[[], Any], reps: int, inner: int = 1) -> tuple[float, float]:
    """Engine and floor timed turn about (so that the load of a shared machine falls on both alike); medians."""
    e_times, f_times = [], []
    for _ in range(reps):
        f_times.append(median_time(floor, 1, inner))
        e_times.append(median_time(engine, 1, inner))
    return statistics.median(e_times), statistics.median(f_times)


def row(measure: str, backend: str, engine: float, floor: float, note: str = "") -> None:
    ratio = engine / floor if floor > 0 else float("inf")
    print(f"{measure} | {backend} | engine {fmt(engine)} | floor {fmt(floor)} | ratio {ratio:.1f}x"
          + (f" | {note}" if note else ""), flush=True)


def fmt(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"
