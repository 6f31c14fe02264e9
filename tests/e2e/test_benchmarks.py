"""Every benchmark script runs (issue 17): each with --quick, as a subprocess, printing its ratio rows. This keeps
the scripts working; it does not time anything (docs/performance.md has the figures of full runs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"
# One backend per script keeps the whole run near a minute; bench_sweep runs on PostgreSQL too, the others
# share its code (benchmarks/_bench.py).
SCRIPTS = [
    ("bench_calendar.py", []),
    ("bench_startup.py", []),
    ("bench_command.py", ["--backend", "sqlite", "--cases", "20"]),
    ("bench_audit.py", ["--backend", "sqlite", "--events", "100"]),
    ("bench_sweep.py", ["--backend", "both", "--open", "200", "--archived", "10"]),
    ("simulate.py", ["--backend", "sqlite", "--cases", "3", "--members", "31"]),
    ("bench_pages.py", ["--db", "sqlite", "--cases", "120", "--reps", "3"]),
]

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("script", "extra"), SCRIPTS, ids=[s for s, _ in SCRIPTS])
def test_every_benchmark_runs_quick(script: str, extra: list[str]) -> None:
    done = subprocess.run([sys.executable, str(BENCH / script), "--quick", *extra], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ratio" in done.stdout or "exactly once" in done.stdout or "×" in done.stdout, done.stdout


def test_there_is_a_script_per_measure() -> None:
    found = {p.name for p in BENCH.glob("*.py") if not p.name.startswith("_") and p.name != "fault_run.py"}
    assert found == {s for s, _ in SCRIPTS}
