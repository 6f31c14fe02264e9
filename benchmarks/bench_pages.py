"""Pages that page (issue 17 item 3): the dashboard and GET /api/v1/cases with 10,000 cases, p95, against a bare
FastAPI endpoint that SELECTs one page (50 rows) of the same summary rows and returns them as JSON — in the same
process, the same run, SQLite and PostgreSQL. Goal: engine p95 ≤ 5× the floor's p95.

Run: .venv/bin/python benchmarks/bench_pages.py [--quick] [--db sqlite|postgresql|both] [--cases N] [--reps N]
     (--quick: 300 cases, 8 requests a measure: keeps the script working, not a measurement; a test runs it.)

The cases: two real cases opened through the use cases (a draft, and one whose experts' analysis runs, with its
T1 deadline), cloned into N rows of `cases` with varied numbers, products, producers, report numbers and due dates,
and their summary rows written by the same code that writes them with each event (storage.projections.put_summary).
Events are not cloned: lists read only the projection. Requests go through the whole app (sign-in cookie or API
token, permissions, templates) as the liaison `sh` (who sees every submitted case and SH's drafts).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get("HUIZHEN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PRODUCERS = ["浙江某某电器有限公司", "江苏某某智能科技有限公司", "上海某某玩具厂", "安徽某某家电股份有限公司",
             "宁波某某厨具有限公司", "苏州某某电子有限公司", "合肥某某车业有限公司"]
NAMES = ["电热水壶", "儿童电动滑板车", "燃气灶", "电暖器", "充电宝", "婴儿推车", "电动自行车"]
DEFECTS = ["温控器失效导致干烧", "锁止销可能脱出", "熄火保护失效", "倾倒开关失灵", "电芯过热", "刹车失灵"]


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def timed(fn: Callable[[], Any], floor: Callable[[], Any], reps: int, warm: int = 3) -> tuple[list[float], list[float]]:
    """FN and FLOOR called in turn, REPS times each: a busy machine slows both alike (the machine is shared)."""
    for _ in range(warm):
        fn()
        floor()
    out: tuple[list[float], list[float]] = ([], [])
    for _ in range(reps):
        for f, samples in ((fn, out[0]), (floor, out[1])):
            t0 = time.perf_counter()
            f()
            samples.append(time.perf_counter() - t0)
    return out


def _pg_exec(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def seed(app: Any, clock: Any, count: int) -> None:
    """Users, two real template cases, and COUNT cloned cases with their summary rows."""
    from sqlalchemy import insert

    from states.beijing import beijing_day
    from storage import tables as t
    from storage.chain import canonical_json
    from storage.projections import put_summary
    from workflow import usecases as uc

    svc = app.services
    uc.add_user(svc, None, "admin", "admin", bootstrap=True)
    uc.add_user(svc, "admin", "sh", "liaison", "SH", email="sh@example.org")
    experts = []
    for i, prov in enumerate(["SH", "JS", "ZJ"], start=1):
        ex = uc.add_expert(svc, "admin", f"专家{i}", "机械安全", f"单位{i}", "高级工程师", prov)
        experts.append(ex.id)
    case_file = {"product": {"name": "电热水壶", "model": "DR-1", "brand": "某牌", "producer": PRODUCERS[0],
                             "registered_province": "SH", "production_province": "ZJ", "test_basis": "GB 4706.19",
                             "report_numbers": ["SH-2026-0001"], "suspected_defect": DEFECTS[0]},
                 "sources": ["spot_check"]}
    clock.set("2026-09-24T10:00:00+08:00")
    draft = uc.new_case(svc, "sh", case_file).number
    running = uc.new_case(svc, "sh", case_file).number
    uc.verify(svc, "sh", running, "核实无误")
    uc.submit(svc, "sh", running)
    uc.form_panel(svc, "sh", running, experts)
    uc.attach(svc, "sh", running, "report.txt", b"test report", "test_report")
    clock.set("2026-09-29T10:00:00+08:00")
    uc.dispatch(svc, "sh", running)
    with svc.uow(readonly=True) as uow:
        templates = [uow.cases.snapshot(draft), uow.cases.snapshot(running)]
    now = clock.now()
    with app.engine.begin() as conn:
        for i in range(count):
            # Three in four cases are past the draft (the liaison sees them all); due dates spread over 40 days.
            snap = copy.deepcopy(templates[0 if i % 4 == 0 else 1])
            number = f"YRD-{2025 + i % 2}-{10000 + i:05d}"
            snap["number"] = number
            snap["product"].update(name=f"{NAMES[i % len(NAMES)]}{i}", model=f"M-{i:05d}",
                                   producer=PRODUCERS[i % len(PRODUCERS)], report_numbers=[f"RPT-{i:05d}"],
                                   suspected_defect=DEFECTS[i % len(DEFECTS)])
            for d in snap.get("deadlines", []):
                due = (now + timedelta(days=i % 40 - 5)).isoformat()
                d["due_at"] = due
                d["due_date"] = beijing_day(now + timedelta(days=i % 40 - 5)).isoformat()
            conn.execute(insert(t.cases).values(
                number=number, status=snap["status"], applicant=snap["applicant"], lead=snap.get("lead"),
                outcome=None, version=snap["version"], last_hash="0" * 64, snapshot=canonical_json(snap),
                created_at=now, updated_at=now))
            put_summary(conn, snap, now, now + timedelta(seconds=i))


def bare_app(engine: Any) -> Any:
    """The floor: one page of the same summary rows, selected and returned as JSON, nothing else."""
    from fastapi import FastAPI
    from sqlalchemy import select

    from storage.summary_tables import case_summaries as cs

    floor = FastAPI()

    @floor.get("/rows")
    def rows() -> list[dict[str, Any]]:
        with engine.connect() as conn:
            found = conn.execute(select(cs).order_by(cs.c.due_sort, cs.c.number)
                                 .limit(50)).mappings().all()
        return [dict(r) for r in found]

    return floor


def run(kind: str, count: int, reps: int) -> list[tuple[str, str, float, float]]:
    from fastapi.testclient import TestClient

    from huizhen.bootstrap import bootstrap
    from huizhen.web import create_app
    from huizhen.web.auth import SESSION_COOKIE, fingerprint, make_hasher
    from workflow import web_usecases as wu
    from workflow.testing import FakeClock

    tmp = Path(tempfile.mkdtemp(prefix="bench_pages_"))
    pg_name = None
    if kind == "sqlite":
        url = f"sqlite:///{tmp / 'huizhen.db'}"
    else:
        pg_name = f"bench_pages_{uuid.uuid4().hex[:8]}"
        _pg_exec(f'CREATE DATABASE "{pg_name}"')
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{pg_name}"
    clock = FakeClock()
    app = bootstrap(ROOT / "config.yaml", clock=clock, database_url=url)
    try:
        app.init()
        t0 = time.perf_counter()
        seed(app, clock, count)
        print(f"[{kind}] seeded {count} cases in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        clock.set("2026-09-30T10:00:00+08:00")
        web = create_app(app, secret="b" * 40, fast_hash=True)
        w = web.state.web
        hashed = make_hasher(fast=True).hash("bench pages 7")
        w.store.set_password_hash("sh", hashed)
        page = TestClient(web, follow_redirects=False).__enter__()
        page.cookies.set(SESSION_COOKIE, w.sessions.dumps("sh", "csrf-sh", fingerprint(hashed)))
        api = TestClient(web, follow_redirects=False).__enter__()
        api.headers["Authorization"] = f"Bearer {wu.issue_token(app.services, w.store, 'admin', 'sh', 'bench')}"
        floor = TestClient(bare_app(app.engine)).__enter__()

        def get(client: Any, path: str, want: str) -> Callable[[], None]:
            def go() -> None:
                r = client.get(path)
                assert r.status_code == 200 and want in r.text, (path, r.status_code, r.text[:300])
            return go

        body = api.get("/api/v1/cases").json()
        assert body["total"] >= count * 3 // 4 and len(body["items"]) == 50, body["total"]
        bare = get(floor, "/rows", "number")
        measures = [
            ("dashboard (50 a page)", get(page, "/dashboard", "data-case=")),
            ("/api/v1/cases (50 a page)", get(api, "/api/v1/cases", '"items"')),
            ("dashboard search 某电器 (trigram)", get(page, "/dashboard?q=%E6%9F%90%E7%94%B5%E5%99%A8",
                                                    "data-case=")),
            ("dashboard search 电器 (2 chars: LIKE)", get(page, "/dashboard?q=%E7%94%B5%E5%99%A8", "data-case=")),
            ("/api/v1/cases?mine=institution&sort=updated", get(api, "/api/v1/cases?mine=institution&sort=updated",
                                                                '"items"')),
        ]
        out = []
        for name, fn in measures:
            engine_s, floor_s = timed(fn, bare, reps)
            out.append((kind, name, p95(engine_s) * 1000, p95(floor_s) * 1000))
            print(f"[{kind}] {name}: median {statistics.median(engine_s) * 1000:.1f} ms, floor median "
                  f"{statistics.median(floor_s) * 1000:.1f} ms", file=sys.stderr)
        size = len(api.get("/api/v1/cases").content)
        print(f"[{kind}] /api/v1/cases response: {size / 1024:.1f} KiB a page", file=sys.stderr)
        for c in (page, api, floor):
            c.__exit__(None, None, None)
        return out
    finally:
        app.engine.dispose()
        if pg_name:
            _pg_exec(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="300 cases, 8 requests a measure (keeps the script working)")
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--cases", type=int, default=None)
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--json", action="store_true", help="print the rows as JSON too")
    args = ap.parse_args(argv)
    count = args.cases or (300 if args.quick else 10_000)
    reps = args.reps or (8 if args.quick else 60)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    rows = []
    for kind in kinds:
        rows += run(kind, count, reps)
    print(f"{count} cases, {reps} requests a measure, p95 (ms); floor: a bare FastAPI endpoint returning one page")
    print(f"{'database':<11} {'measure':<46} {'engine':>8} {'floor':>8} {'ratio':>7}")
    for kind, name, engine_ms, floor_ms in rows:
        print(f"{kind:<11} {name:<46} {engine_ms:>8.1f} {floor_ms:>8.1f} {engine_ms / floor_ms:>6.1f}×")
    if args.json:
        print(json.dumps([{"db": k, "measure": n, "engine_ms": e, "floor_ms": f, "ratio": e / f}
                          for k, n, e, f in rows], ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
