"""Databases made by earlier releases upgrade and keep verifying (the product keeps records for five years).

Each fixture in tests/fixtures/releases is copied, `huizhen init` runs on it twice (the second run must be harmless),
then `audit verify` must exit 0 and every case must list, show and give its history with every stored event: no old
event may be lost or refused by today's code. Driven through the command line, one process per command, as an
administrator upgrading a deployment would.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "releases"
HZ = str(Path(sys.executable).with_name("huizhen"))
AUDITORS = {"cli-demo-v1.db": "审计员", "web-demo-v1.db": "auditor", "web-demo-purged-v1.db": "auditor"}

pytestmark = pytest.mark.e2e


def _run(db: Path, *args: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUIZHEN_")}
    env["HUIZHEN_CONFIG"] = str(ROOT / "config.yaml")
    env["HUIZHEN_DATABASE_URL"] = f"sqlite:///{db}"
    if user:
        env["HUIZHEN_USER"] = user
    return subprocess.run([HZ, *args], capture_output=True, text=True, env=env, timeout=180)


def _stored_events(db: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT case_number, count(*) FROM events "
                            "GROUP BY case_number").fetchall()
    return {str(n): int(k) for n, k in rows}


def test_every_release_fixture_is_listed() -> None:
    assert sorted(p.name for p in FIXTURES.glob("*.db")) == sorted(AUDITORS)


@pytest.mark.parametrize("fixture", sorted(AUDITORS))
def test_release_database_upgrades_and_verifies(fixture: str, tmp_path: Path) -> None:
    db = tmp_path / fixture
    shutil.copyfile(FIXTURES / fixture, db)
    stored = _stored_events(db)
    assert stored, "the fixture holds cases"
    for attempt in (1, 2):
        r = _run(db, "init")
        assert r.returncode == 0, f"init #{attempt}: {r.stderr}"
    auditor = AUDITORS[fixture]

    r = _run(db, "audit", "verify", "--json", user=auditor)
    assert r.returncode == 0, r.stdout + r.stderr
    report = json.loads(r.stdout)
    assert report["ok"] is True
    assert report["cases"] == len(stored)

    r = _run(db, "case", "list", "--json", user=auditor)
    assert r.returncode == 0, r.stderr
    assert sorted(c["number"] for c in json.loads(r.stdout)) == sorted(stored)

    def show_and_history(number: str) -> tuple[str, subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
        return (number, _run(db, "case", "show", number, "--json", user=auditor),
                _run(db, "case", "history", number, "--json", user=auditor))

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(show_and_history, sorted(stored)))
    for number, show, history in results:
        assert show.returncode == 0, f"{number}: {show.stderr}"
        assert json.loads(show.stdout)["number"] == number
        assert history.returncode == 0, f"{number}: {history.stderr}"
        assert len(json.loads(history.stdout)) == stored[number], f"{number}: an event was lost or refused"
