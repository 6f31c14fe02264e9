"""`huizhen audit checkpoint / public-key / verify --checkpoint` as an auditor drives them, in a folder of its own
(config, database, key files): the keys are 0600 files made by `init`, a checkpoint verifies offline with the public
key, and a case deleted behind the application's back makes `verify --checkpoint` exit 1 naming it."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from storage.chain import canonical_json

ROOT = Path(__file__).resolve().parents[2]
HZ = str(Path(sys.executable).with_name("huizhen"))
pytestmark = pytest.mark.e2e


def run(tmp: Path, *args: str, user: str | None = "auditor") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUIZHEN_")}
    env.update(HUIZHEN_CONFIG=str(tmp / "config.yaml"), HUIZHEN_NOW="2026-09-24T10:00:00+08:00")
    if user:
        env["HUIZHEN_USER"] = user
    return subprocess.run([HZ, *args], capture_output=True, text=True, env=env, cwd=tmp, timeout=120)


def test_checkpoint_from_the_command_line(tmp_path: Path) -> None:
    text = (ROOT / "config.yaml").read_text(encoding="utf-8").replace("years_dir: official-years", "years_dir: null")
    (tmp_path / "config.yaml").write_text(text, encoding="utf-8")
    assert run(tmp_path, "init", "--admin", "admin", user=None).returncode == 0
    for path in ("var/audit.key", "var/checkpoint.key"):
        assert stat.S_IMODE((tmp_path / path).stat().st_mode) == 0o600, path
    assert run(tmp_path, "users", "add", "auditor", "--role", "auditor", user="admin").returncode == 0
    assert run(tmp_path, "users", "add", "sh", "--role", "liaison", "--institution", "SH", user="admin").returncode == 0
    made = run(tmp_path, "case", "new", str(ROOT / "examples" / "case.yaml"), user="sh")
    assert made.returncode == 0, made.stderr
    number = made.stdout.strip().splitlines()[-1]

    refused = run(tmp_path, "audit", "checkpoint", "--out", str(tmp_path / "x.json"), user="sh")
    assert refused.returncode != 0 and not (tmp_path / "x.json").exists()
    r = run(tmp_path, "audit", "checkpoint", "--out", str(tmp_path / "cp.json"))
    assert r.returncode == 0, r.stderr
    pem = run(tmp_path, "audit", "public-key").stdout
    cp = json.loads((tmp_path / "cp.json").read_text(encoding="utf-8"))
    # Offline, with the public key alone: the signature holds.
    load_pem_public_key(pem.encode()).verify(base64.b64decode(cp["signature"]),  # type: ignore[union-attr]
                                             canonical_json(cp["statement"]).encode())
    assert [c["number"] for c in cp["statement"]["cases"]] == [number]

    ok = run(tmp_path, "audit", "verify", "--checkpoint", str(tmp_path / "cp.json"))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "older unkeyed kind" in ok.stdout or "older" in ok.stdout

    with sqlite3.connect(tmp_path / "var" / "huizhen.db") as db:
        db.execute("DELETE FROM deadlines WHERE case_number = ?", (number,))
        db.execute("DELETE FROM events WHERE case_number = ?", (number,))
        db.execute("DELETE FROM cases WHERE number = ?", (number,))
        db.execute("UPDATE counters SET value = value - 1 WHERE name LIKE 'case:%'")
    bad = run(tmp_path, "audit", "verify", "--checkpoint", str(tmp_path / "cp.json"))
    assert bad.returncode == 1
    assert any(line.startswith(f"{number}: deleted") for line in bad.stdout.splitlines()), bad.stdout
