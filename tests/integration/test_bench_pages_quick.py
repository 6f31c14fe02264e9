"""benchmarks/bench_pages.py --quick runs to the end on SQLite (keeps the script working; it times nothing here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_pages_quick_runs() -> None:
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_pages.py"), "--quick", "--db", "sqlite",
                        "--cases", "120", "--reps", "3"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "dashboard (50 a page)" in r.stdout and "×" in r.stdout
