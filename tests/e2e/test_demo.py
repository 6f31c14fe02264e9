"""The README's demo, run as a new user runs it: a consultation from draft to archive, verified at the end."""

from __future__ import annotations

import os
import subprocess
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
