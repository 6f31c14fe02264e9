"""Databases made by earlier releases upgrade and keep verifying (the product keeps records for five years).

Each fixture in tests/fixtures/releases is copied, `huizhen init` runs on it twice (the second run must be harmless),
then `audit verify` must exit 0 and every case must list, show and give its history with every stored event: no old
event may be lost or refused by today's code.

Driven through the installed `huizhen` command, as an administrator upgrading a deployment would: init (twice),
audit verify and case list each in a process of their own; the `case show` / `case history` of every case go
through the same entry point (the console script's `main`) in ONE further process per fixture, one call after the
other, because a process per call cost about a minute of interpreter start-ups and proved nothing more.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "releases"
HZ = str(Path(sys.executable).with_name("huizhen"))
AUDITORS = {"cli-demo-v1.db": "审计员", "web-demo-v1.db": "auditor", "web-demo-purged-v1.db": "auditor"}

pytestmark = pytest.mark.e2e

# Runs in a child process: calls the `huizhen` console script's entry point once per argv read from stdin (a JSON
# list of argv lists) and prints, as JSON, each call's exit code, stdout and stderr.
DRIVER = r"""
import contextlib, io, json, sys
from importlib.metadata import entry_points

(script,) = entry_points(group="console_scripts", name="huizhen")
main = script.load()
results = []
for argv in json.load(sys.stdin):
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    results.append({"argv": argv, "code": code, "stdout": out.getvalue(), "stderr": err.getvalue()})
sys.__stdout__.write(json.dumps(results, ensure_ascii=False))
"""


def _env(db: Path, user: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUIZHEN_")}
    env["HUIZHEN_CONFIG"] = str(ROOT / "config.yaml")
    env["HUIZHEN_DATABASE_URL"] = f"sqlite:///{db}"
    if user:
        env["HUIZHEN_USER"] = user
    return env


def _run(db: Path, *args: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HZ, *args], capture_output=True, text=True, env=_env(db, user), timeout=180)


def _run_in_one_process(db: Path, calls: list[list[str]], user: str) -> list[dict[str, Any]]:
    r = subprocess.run([sys.executable, "-c", DRIVER], input=json.dumps(calls), capture_output=True, text=True,
                       env=_env(db, user), timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    results: list[dict[str, Any]] = json.loads(r.stdout)
    assert [x["argv"] for x in results] == calls
    return results


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

    numbers = sorted(stored)
    calls = [[verb, number, "--json"] for number in numbers for verb in ("show", "history")]
    results = _run_in_one_process(db, [["case", *call] for call in calls], auditor)
    for number, show, history in zip(numbers, results[0::2], results[1::2], strict=True):
        assert show["code"] == 0, f"{number}: {show['stderr']}"
        assert json.loads(show["stdout"])["number"] == number
        assert history["code"] == 0, f"{number}: {history['stderr']}"
        assert len(json.loads(history["stdout"])) == stored[number], f"{number}: an event was lost or refused"
