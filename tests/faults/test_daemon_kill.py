"""Findings 5 and 6 of issue 16: `kill -9` of the scheduler daemon while the SMTP server has accepted a mail and
not yet answered. Nothing owed is lost: after the lease a sweep sends what the dead daemon had claimed; the inbox
holds each message exactly once; a mail may arrive twice (at least once) but always with its one Message-ID; the
audit chain verifies afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CONFIG, World, run_to
from faultkit import SmtpSink
from sqlalchemy import select

from storage import tables as t

ROOT = Path(__file__).resolve().parents[2]
DUE = "2026-10-09T09:30:00+08:00"
AFTER_LEASE = "2026-10-09T09:45:00+08:00"


def _config(world: World, tmp_path: Path, port: int) -> Path:
    raw = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    settings = world.app.settings  # the copy keeps the world's audit key: relative to tmp_path it would be a new one
    raw.setdefault("audit", {})["key_file"] = str(settings.resolve(settings.audit.key_file))
    raw["calendar"]["years_dir"] = str(ROOT / "official-years")
    raw["log_file"] = None
    raw["reminders"]["heartbeat_seconds"] = 1
    raw["notifications"]["email"].update({"enabled": True, "port": port, "timeout_seconds": 20})
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def _env(world: World, config: Path, now: str) -> dict[str, str]:
    url = world.app.engine.url.render_as_string(hide_password=False)
    return {**os.environ, "HUIZHEN_DATABASE_URL": url, "HUIZHEN_CONFIG": str(config), "HUIZHEN_NOW": now,
            "HUIZHEN_USER": "auditor"}


def _rows(world: World, table: Any) -> list[dict[str, Any]]:
    with world.app.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table)).mappings()]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_kill_9_mid_send_loses_nothing_and_a_resent_mail_keeps_its_message_id(world: World, tmp_path: Path) -> None:
    numbers = [run_to(world, "awaiting_experts") for _ in range(2)]
    sink = SmtpSink(hold=30)  # has the message, holds its 250: the daemon dies between acceptance and its ledger
    try:
        config = _config(world, tmp_path, sink.port)
        daemon = subprocess.Popen([sys.executable, "-m", "huizhen", "scheduler", "run"], cwd=ROOT,
                                  env=_env(world, config, DUE), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 40
            while not sink.messages and time.monotonic() < deadline and daemon.poll() is None:
                time.sleep(0.1)
            assert sink.messages, "the daemon sent nothing"
        finally:
            os.kill(daemon.pid, signal.SIGKILL)
            daemon.wait(10)
        claimed = [r for r in _rows(world, t.reminders) if r["channel"] == "email"]
        assert claimed and any(r["status"] == "claimed" for r in claimed)
        sink.hold = 0
        done = subprocess.run([sys.executable, "-m", "huizhen", "scheduler", "sweep"], cwd=ROOT,
                              env=_env(world, config, AFTER_LEASE), capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    finally:
        sink.close()
    reminders = _rows(world, t.reminders)
    assert {r["status"] for r in reminders} == {"sent"}
    emails = {r["key"] for r in reminders if r["channel"] == "email"}
    # One due-day reminder to the applicant's liaison per case, besides the experts' notices and reminders (issue 12).
    assert len({k for k in emails if "|before|" in k and k.endswith("|sh|email")}) == len(numbers)
    ids: dict[str, set[str]] = defaultdict(set)
    for key, message_id in zip(sink.keys(), sink.message_ids(), strict=True):
        ids[key].add(message_id)
    assert set(ids) == emails, "every owed mail arrived"
    assert all(len(v) == 1 for v in ids.values()), "a resent mail keeps its Message-ID"
    inbox = [r["key"] for r in _rows(world, t.inbox)]
    assert len(inbox) == len(set(inbox)) == len([r for r in reminders if r["channel"] == "inbox"]), \
        "the inbox holds each message exactly once"
    assert len([k for k in inbox if "|before|" in k and k.endswith("|sh|inbox")]) == len(numbers)
    verify = subprocess.run([sys.executable, "-m", "huizhen", "audit", "verify"], cwd=ROOT,
                            env=_env(world, config, AFTER_LEASE), capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0, verify.stdout + verify.stderr
