"""Finding 6 of issue 16 (and the admins' view of finding 1): the web worker records what is owed and sends
nothing; the scheduler's sweep sends it, so a worker that dies after answering loses nothing; `serve
--no-scheduler` says at start that the daemon must run; abandoned deliveries are shown to admins."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import CONFIG, World, run_to
from fastapi.testclient import TestClient
from faultkit import free_port
from sqlalchemy import select, update

from storage import tables as t
from workflow import usecases as uc
from workflow import web_usecases as wu

ROOT = Path(__file__).resolve().parents[2]


def _ledger(world: World) -> list[dict[str, Any]]:
    with world.app.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(t.reminders)).mappings()]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_web_worker_records_what_is_owed_and_the_scheduler_sends_it(world: World) -> None:
    from huizhen.web import create_app

    nudged: list[int] = []
    create_app(world.app, secret="t" * 40, fast_hash=True, deliveries_nudge=lambda: nudged.append(1))
    number = run_to(world, "convening")
    world.clock.advance(minutes=5)
    uc.schedule_meeting(world.svc, "js", number, datetime.fromisoformat("2026-10-14T14:00:00+08:00"), "腾讯会议")
    assert nudged, "the commit wakes the scheduler"
    assert [r for r in _ledger(world) if r["reminder_kind"] == "invitation"] == []  # the worker sent nothing
    # The worker may die here: the event is committed, and the scheduler's next sweep derives what it owes.
    world.app.before_sweep()
    invitations = [r for r in _ledger(world) if r["reminder_kind"] == "invitation"]
    assert invitations and {r["status"] for r in invitations} == {"sent"}
    world.app.before_sweep()
    assert len([r for r in _ledger(world) if r["reminder_kind"] == "invitation"]) == len(invitations)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_admins_see_abandoned_deliveries_on_a_page_and_in_the_api(world: World) -> None:
    from huizhen.web import create_app
    from huizhen.web.auth import SESSION_COOKIE, fingerprint, make_hasher

    number = run_to(world, "awaiting_experts")
    world.clock.set("2026-10-09T09:30:00+08:00")
    world.app.sweeper().sweep()
    with world.app.engine.begin() as conn:
        # One delivery given up: the liaison's due-day reminder (the experts' notices of issue 12 stay sent).
        abandoned = conn.execute(update(t.reminders).where(t.reminders.c.recipient == "sh",
                                                           t.reminders.c.reminder_kind == "before")
                                 .values(status="abandoned", last_error="SMTPConnectError: refused"))
        assert abandoned.rowcount == 1
    web = create_app(world.app, secret="t" * 40, fast_hash=True)
    store = web.state.web.store
    hashed = make_hasher(fast=True).hash("correct horse 7")
    store.set_password_hash("admin", hashed)
    with TestClient(web, follow_redirects=False) as page:
        page.cookies.set(SESSION_COOKIE, web.state.web.sessions.dumps("admin", "csrf-a", fingerprint(hashed)))
        shown = page.get("/deliveries")
        assert shown.status_code == 200 and number in shown.text and "SMTPConnectError: refused" in shown.text
        assert "重新发送" in shown.text
    with TestClient(web) as api:
        api.headers["Authorization"] = f"Bearer {wu.issue_token(world.svc, store, 'admin', 'admin', 't')}"
        (row,) = api.get("/api/v1/deliveries/abandoned").json()
        assert row["case"] == number and row["last_error"] == "SMTPConnectError: refused"


def test_serve_without_the_scheduler_says_the_daemon_must_run(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'hz.db'}"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("HUIZHEN_")},
           "HUIZHEN_CONFIG": str(CONFIG), "HUIZHEN_DATABASE_URL": db}
    hz = [sys.executable, "-m", "huizhen"]
    assert subprocess.run([*hz, "init", "--admin", "admin"], env=env, cwd=ROOT, capture_output=True,
                          timeout=120).returncode == 0
    proc = subprocess.Popen([*hz, "serve", "--no-scheduler", "--port", str(free_port())], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        lines = []
        for _ in range(20):
            line = proc.stdout.readline()
            lines.append(line)
            if line.startswith("scheduler:") or not line:
                break
    finally:
        proc.kill()
        proc.wait(10)
    assert "the daemon must run" in lines[-1] and "huizhen scheduler run" in lines[-1], lines
