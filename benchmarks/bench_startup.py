"""`huizhen calendar due` start-up against `python -c pass` (issue 17, goal ≤ 8×), and which heavy packages the
quick commands import (none of SQLAlchemy, alembic, APScheduler).

Run: .venv/bin/python benchmarks/bench_startup.py [--quick]
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _bench import ROOT, interleaved, parse, row

HEAVY = ("sqlalchemy", "alembic", "apscheduler")
QUICK = [["calendar", "due", "2026-09-29", "3"], ["rotation", "lead", "2026-01-05"], ["--help"]]


def run(argv: list[str], env: dict[str, str]) -> None:
    subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cpu(argv: list[str], env: dict[str, str]) -> float:
    """User + system time of one run of ARGV (its own, from the children's resource usage)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run(argv, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    args = parse(__doc__ or "")
    huizhen = str(Path(sys.executable).with_name("huizhen"))
    with tempfile.TemporaryDirectory() as tmp:
        # A configuration whose database does not exist: the command needs none.
        config = Path(tmp) / "config.yaml"
        config.write_text((ROOT / "config.yaml").read_text(encoding="utf-8").replace(
            "database_url: var/huizhen.db", f"database_url: {tmp}/none.db").replace(
            "years_dir: official-years", f"years_dir: {ROOT / 'official-years'}"), encoding="utf-8")
        env = dict(os.environ, HUIZHEN_CONFIG=str(config))
        env.pop("HUIZHEN_DATABASE_URL", None)
        inner = 2 if args.quick else 5
        due, floor = [huizhen, *QUICK[0]], [sys.executable, "-c", "pass"]
        e, f = interleaved(lambda: run(due, env), lambda: run(floor, env), args.reps, inner)
        row("huizhen calendar due start-up (wall)", "—", e, f, "floor: python -c pass")
        # The processor time of the child alone: on a shared machine the wall clock also counts the others' work.
        e, f = statistics.median(cpu(due, env) for _ in range(args.reps * inner)), statistics.median(
            cpu(floor, env) for _ in range(args.reps * inner))
        row("huizhen calendar due start-up (CPU)", "—", e, f, "floor: python -c pass")
        probe = ("import sys, runpy; sys.argv = ['huizhen'] + sys.argv[1:]\n"
                 "from huizhen.cli.main import main\n"
                 "try:\n    main()\nexcept SystemExit:\n    pass\n"
                 f"print('HEAVY', [m for m in {HEAVY!r} if m in sys.modules])")
        for argv in QUICK:
            out = subprocess.run([sys.executable, "-c", probe, *argv], env=env, capture_output=True, text=True)
            heavy = next((line for line in out.stdout.splitlines() if line.startswith("HEAVY")), "HEAVY ?")
            print(f"huizhen {' '.join(argv)}: imports of {', '.join(HEAVY)}: {heavy.removeprefix('HEAVY ')}")


if __name__ == "__main__":
    main()
