"""Issue 12 from the shell: `case remind` (催办) once a working day with a refusal naming the expert and the last
chase, and `users prefs NAME --email on|off`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import World, run_to

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
HZ = str(Path(sys.executable).with_name("huizhen"))


def hz(db: str, *args: str, user: str, now: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUIZHEN_")}
    env.update(HUIZHEN_CONFIG=str(ROOT / "config.yaml"), HUIZHEN_DATABASE_URL=db, HUIZHEN_USER=user)
    if now:
        env["HUIZHEN_NOW"] = now
    return subprocess.run([HZ, *args], capture_output=True, text=True, env=env, timeout=120)


def test_remind_and_prefs_from_the_shell(world: World, db_url: str) -> None:
    number = run_to(world, "awaiting_experts")
    expert = world.experts[1]
    now = "2026-10-09T10:00:00+08:00"
    r = hz(db_url, "case", "remind", number, "--expert", expert, "--note", "请今日提交", user="sh", now=now)
    assert r.returncode == 0, r.stderr
    again = hz(db_url, "case", "remind", number, "--expert", expert, user="sh", now="2026-10-09T15:00:00+08:00")
    lines = again.stderr.strip().splitlines()
    assert again.returncode != 0 and len(lines) == 1, again.stderr
    assert "--expert" in lines[0] and expert in lines[0] and "2026-10-09 10:00 Beijing time" in lines[0]
    wrong = hz(db_url, "case", "remind", number, "--expert", expert, user="js", now="2026-10-12T10:00:00+08:00")
    assert wrong.returncode != 0
    history = json.loads(hz(db_url, "case", "history", number, "--json", user="auditor").stdout)
    assert [e["payload"]["note"] for e in history if e["type"] == "ExpertChased"] == ["请今日提交"]

    r = hz(db_url, "users", "prefs", "x2", "--email", "off", user="x2")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["email"] is False
    bad = hz(db_url, "users", "prefs", "x2", "--email", "maybe", user="x2")
    assert bad.returncode != 0 and "--email" in bad.stderr
    assert hz(db_url, "users", "prefs", "x2", "--email", "on", user="x1").returncode != 0
