"""Due dates per second: WorkingCalendar.add_working_days vs a chinese_calendar.find_workday loop.

Run: .venv/bin/python benchmarks/bench_calendar.py [--quick] [--reps N]   (prints numbers; the median of N runs)

The same 10,000 random inputs for both: starts in 2025–2026, n in {1, 3, 5, 20}, chosen so that the due date (ours,
and find_workday's, which counts one day more from a rest day) stays within 2026, the package's last year.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import chinese_calendar  # noqa: E402

from scheduler.calendar import WorkingCalendar  # noqa: E402

COUNT = 10_000
SEED = 20261001


def inputs(cal: WorkingCalendar) -> list[tuple[date, int]]:
    rng = random.Random(SEED)
    first, last = date(2025, 1, 1).toordinal(), date(2026, 12, 31).toordinal()
    out: list[tuple[date, int]] = []
    while len(out) < COUNT:
        start = date.fromordinal(rng.randint(first, last))
        n = rng.choice((1, 3, 5, 20))
        if cal.add_working_days(start, n + 1).due.year <= 2026:  # find_workday may go one further
            out.append((start, n))
    return out


def main() -> None:
    global COUNT
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--reps", type=int, default=3)
    args = p.parse_args()
    if args.quick:
        COUNT = 1_000
    t0 = time.perf_counter()
    cal = WorkingCalendar()
    cal.add_working_days(date(2025, 1, 1), 1)  # precompute 2025–2026
    warm = time.perf_counter() - t0
    cases = inputs(cal)

    # Each run on a new calendar (nothing remembered from the run before), turn about with the loop; medians.
    runs_ours, runs_theirs = [], []
    for _ in range(max(3, args.reps)):
        fresh = WorkingCalendar()
        fresh.add_working_days(date(2025, 1, 1), 1)
        fresh.add_working_days(date(2026, 1, 1), 1)
        t0 = time.perf_counter()
        ours = [fresh.add_working_days(s, n).due for s, n in cases]
        runs_ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        theirs = [chinese_calendar.find_workday(n, s) for s, n in cases]
        runs_theirs.append(time.perf_counter() - t0)
    t_ours, t_theirs = statistics.median(runs_ours), statistics.median(runs_theirs)
    # The same inputs again on the last calendar: as a long-running process holds it (its memo filled).
    warm_runs = []
    for _ in range(max(3, args.reps)):
        t0 = time.perf_counter()
        [fresh.add_working_days(s, n) for s, n in cases]
        warm_runs.append(time.perf_counter() - t0)
    t_warm = statistics.median(warm_runs)

    rest_starts = sum(not cal.is_workday(s) for s, _ in cases)
    differ = sum(a != b for a, b in zip(ours, theirs, strict=True))
    per_ours, per_theirs = COUNT / t_ours, COUNT / t_theirs
    print(
        f"inputs: {COUNT} (starts 2025–2026, n in 1/3/5/20, seed {SEED}); {rest_starts} start on a rest day"
    )
    print(f"precompute of the calendar (first call): {warm * 1000:.1f} ms")
    print(
        f"WorkingCalendar.add_working_days: {t_ours * 1000:8.1f} ms  {per_ours:12,.0f} due dates/s "
        f"({t_ours / COUNT * 1e6:.2f} µs each, DueDate with skipped days and due_at)"
    )
    print(
        f"chinese_calendar.find_workday:    {t_theirs * 1000:8.1f} ms  {per_theirs:12,.0f} due dates/s "
        f"({t_theirs / COUNT * 1e6:.2f} µs each)"
    )
    print(f"ratio: {per_ours / per_theirs:.0f}x  (goal >= 500x)")
    print(f"due dates | — | engine {t_ours / COUNT * 1e6:.2f} µs | floor (find_workday) {t_theirs / COUNT * 1e6:.1f} µs"
          f" | ratio {per_ours / per_theirs:.0f}x faster (a new calendar each run)")
    print(f"due dates, warm | — | engine {t_warm / COUNT * 1e6:.2f} µs | floor (find_workday) "
          f"{t_theirs / COUNT * 1e6:.1f} µs | ratio {t_theirs / t_warm:.0f}x faster (the calendar a process holds)")
    print(
        f"answers that differ: {differ} (all rest-day starts: find_workday counts one day too many: "
        f"{'yes' if differ == rest_starts else 'NO'})"
    )


if __name__ == "__main__":
    main()
