"""The README's demo, run as a new user runs it: a consultation from draft to archive, verified at the end."""

from __future__ import annotations

import os
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def test_demo_goes_from_drafted_to_archived() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUIZHEN_")}
    r = subprocess.run(["bash", str(ROOT / "scripts" / "demo.sh")], capture_output=True, text=True, env=env,
                       timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    out = r.stdout
    assert "now preliminary_review" in out and "now awaiting_experts" in out and "now archived (已归档)" in out
    assert "2026-10-10 00:00" in out  # T1 counted across the National Day holiday
    assert "decided: 建议开展缺陷调查" in out
    assert "every hash recomputed, every replay matches its case" in out
    assert "meeting scheduled for 2026-10-14 14:00 Beijing time on 腾讯会议" in out
    papers = ROOT / "var" / "demo-papers"
    for name in ("会诊表-E0001.pdf", "会诊表-E0001.docx", "会诊表-空白.pdf", "会议纪要.pdf", "会议纪要.docx"):
        assert (papers / name).stat().st_size > 10_000, name
    assert re.search(r"dossier of YRD-2026-0001 intact: \d+ files, \d+ events, chain verified", out)

    # The dossier checked offline, as an auditor would years later: one flipped byte is named.
    dossier = papers / "YRD-2026-0001-dossier.zip"
    with zipfile.ZipFile(dossier) as zf:
        info = zf.getinfo("minutes/minutes.pdf")
        at = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 100
    raw = bytearray(dossier.read_bytes())
    raw[at] ^= 0xFF
    damaged = papers / "damaged.zip"
    damaged.write_bytes(bytes(raw))
    hz = ROOT / ".venv" / "bin" / "huizhen"
    r = subprocess.run([str(hz), "audit", "dossier-verify", str(damaged)], capture_output=True, text=True,
                       env={**env, "HUIZHEN_DATABASE_URL": "sqlite:////nonexistent/none.db"}, timeout=120)
    assert r.returncode != 0
    assert "minutes/minutes.pdf" in r.stdout + r.stderr
    assert "minutes/minutes.docx" not in r.stdout + r.stderr
