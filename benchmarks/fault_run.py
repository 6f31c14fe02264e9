"""A longer fault run by hand (issue 16): PostgreSQL behind a TCP proxy that is cut for CUT seconds while CLIENTS
threads read and write through the web API; then an SMTP outage of OUTAGE minutes (fake clock, a sweep a minute)
over CASES cases' reminders. Prints the figures: requests and their statuses during the cut, and deliveries owed,
delivered, duplicated (per Message-ID) and abandoned.

    .venv/bin/python benchmarks/fault_run.py [--cut 60] [--clients 8] [--outage 30] [--cases 20]

Needs PostgreSQL on 127.0.0.1:5432 (HUIZHEN_TEST_PG as for the tests). Everything else is on loopback.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "faults")]

from faultkit import SmtpSink, TcpProxy, refusing_port  # noqa: E402
from support import CONFIG, FakeClock, fresh_database, make_world, run_to  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--cut", type=float, default=60)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--outage", type=int, default=30)
    p.add_argument("--cases", type=int, default=20)
    a = p.parse_args()

    from fastapi.testclient import TestClient
    from loguru import logger
    from sqlalchemy import select
    from sqlalchemy.engine import make_url

    from huizhen.bootstrap import App, bootstrap
    from huizhen.config import load_settings
    from huizhen.web import create_app
    from storage import tables as t
    from workflow import usecases as uc
    from workflow import web_usecases as wu

    logger.remove()
    logged: list[str] = []
    logger.add(lambda m: logged.append(str(m)), level="WARNING", format="{message}")
    clock = FakeClock()
    with tempfile.TemporaryDirectory() as tmp:
        gen = fresh_database("postgresql", Path(tmp), "hz_run")
        url = next(gen)
        parsed = make_url(url)
        proxy = TcpProxy((parsed.host or "127.0.0.1", parsed.port or 5432))
        through = url.replace(f"{parsed.host}:{parsed.port or 5432}", f"127.0.0.1:{proxy.port}")
        base = load_settings(CONFIG)
        settings = base.model_copy(update={"database": base.database.model_copy(update={
            "connect_timeout_seconds": 2, "statement_timeout_seconds": 5})})
        hz = bootstrap(CONFIG, clock=clock, database_url=through, settings=settings)
        hz.init()
        world = make_world(hz, clock)
        numbers = [run_to(world, "awaiting_experts") for _ in range(a.cases)]

        # --- the database cut under load ---------------------------------------------------------------------
        web = create_app(hz, secret="t" * 40, fast_hash=True, papers_in_background=False)
        token = wu.issue_token(world.svc, web.state.web.store, "admin", "sh", "run")
        statuses: Counter[str] = Counter()
        slowest = [0.0]
        stop = threading.Event()
        cut_on = threading.Event()

        def client(i: int) -> None:
            with TestClient(web, raise_server_exceptions=False) as c:
                c.headers["Authorization"] = f"Bearer {token}"
                n = 0
                while not stop.is_set():
                    n += 1
                    number = numbers[(i + n) % len(numbers)]
                    started = time.monotonic()
                    if n % 4 == 0:
                        r = c.post(f"/api/v1/cases/{number}/materials", files={"file": ("same.txt", b"same bytes")},
                                   data={"kind": "other"})
                    else:
                        r = c.get(f"/api/v1/cases/{number}")
                    took = time.monotonic() - started
                    slowest[0] = max(slowest[0], took)
                    phase = "cut" if cut_on.is_set() else "up"
                    statuses[f"{phase} {r.status_code}"] += 1

        threads = [threading.Thread(target=client, args=(i,)) for i in range(a.clients)]
        for th in threads:
            th.start()
        time.sleep(5)
        cut_on.set()
        proxy.cut()
        time.sleep(a.cut)
        proxy.heal()
        cut_on.clear()
        time.sleep(5)
        stop.set()
        for th in threads:
            th.join(30)
        tracebacks = sum("Traceback" in m for m in logged)
        print(f"database cut {a.cut:.0f} s, {a.clients} clients: {dict(sorted(statuses.items()))}; "
              f"slowest request {slowest[0]:.2f} s; log lines {len(logged)}, tracebacks {tracebacks}")
        findings = uc.verify_audit(world.svc, "auditor", None)
        print(f"audit verify after the cut: {len(findings)} finding(s)")

        # --- an SMTP outage of OUTAGE minutes, a sweep a minute ------------------------------------------------
        port = refusing_port()
        s = hz.settings
        email = s.notifications.email.model_copy(update={"enabled": True, "port": port, "timeout_seconds": 2})
        mailing = App(settings=s.model_copy(update={"notifications": s.notifications.model_copy(
            update={"email": email})}), engine=hz.engine, services=hz.services)
        sweeper = mailing.sweeper()
        clock.at = datetime.fromisoformat("2026-10-09T09:30:00+08:00")
        for _ in range(a.outage):
            sweeper.sweep()
            clock.advance(minutes=1)
        sink = SmtpSink(port=port)
        for _ in range(120):  # two hours after the server is back
            sweeper.sweep()
            clock.advance(minutes=1)
        sink.close()
        with hz.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(select(t.reminders)).mappings()]
            inbox = list(conn.execute(select(t.inbox.c.key)).scalars())
        mails = [r for r in rows if r["channel"] == "email"]
        ids = Counter(sink.message_ids())
        print(f"SMTP outage {a.outage} min over {a.cases} cases: mails owed {len(mails)}, delivered "
              f"{len(set(sink.keys()))}, copies {len(sink.messages)}, duplicated Message-IDs "
              f"{sum(1 for v in ids.values() if v > 1)}, abandoned {sum(r['status'] == 'abandoned' for r in mails)}, "
              f"still failing {sum(r['status'] == 'failed' for r in mails)}; inbox {len(inbox)} messages, "
              f"{len(inbox) - len(set(inbox))} duplicated")
        proxy.close()
        hz.engine.dispose()
        next(gen, None)


if __name__ == "__main__":
    main()
