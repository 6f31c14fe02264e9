"""The clock's hand: APScheduler 3.11 runs the sweep; the database stays the truth.

A heartbeat sweeps every few seconds (coalesced, one instance at a time, never dropped for waking late); one more
job is set at the next due instant; a catch-up sweep runs at start. Several processes may run this: with a leader
lock only one sweeps at a time, and the ledger would keep them honest even without it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from scheduler.sweep import Sweeper, SweepReport

Leader = Callable[[], AbstractContextManager[bool]]
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


class Daemon:
    def __init__(self, sweeper: Sweeper, leader: Leader, heartbeat_seconds: float = 60.0,
                 on_report: Callable[[SweepReport], None] | None = None,
                 before_sweep: Callable[[], None] | None = None,
                 log: Callable[[str, dict[str, Any]], None] | None = None) -> None:
        self.sweeper = sweeper
        self.leader = leader
        self.heartbeat = heartbeat_seconds
        self.on_report = on_report or (lambda r: None)
        self.before_sweep = before_sweep or (lambda: None)
        self.log = log or (lambda msg, ctx: None)
        self.sweeps = 0
        self._lock = threading.Lock()
        # The job store stays in memory: our tables hold the truth, so nothing is lost when this process stops.
        self.scheduler = BlockingScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)

    def tick(self) -> None:
        if not self._lock.acquire(blocking=False):
            return
        try:
            with self.leader() as leading:
                if not leading:
                    self.log("another scheduler holds the lock; standing by", {})
                    return
                self.before_sweep()
                report = self.sweeper.sweep()
                self.sweeps += 1
                self.on_report(report)
            self._arm_next()
        except Exception as exc:  # a failing sweep must not stop the heartbeat; the next tick tries again
            self.log("sweep failed", {"error": f"{type(exc).__name__}: {exc}"})
        finally:
            self._lock.release()

    def nudge(self) -> None:
        """Sweep soon (a commit made something owed: minutes, an invitation); coalesced with a running sweep."""
        if self.scheduler.running:
            self.scheduler.add_job(self.tick, DateTrigger(run_date=datetime.now(UTC) + timedelta(seconds=1)),
                                   id="nudge", replace_existing=True)

    def _arm_next(self) -> None:
        """One job at the next due instant, when it comes before the next heartbeat would notice it."""
        if not self.scheduler.running:
            return
        now = self.sweeper.clock.now()
        nxt = self.sweeper.next_wakeup(now)
        if nxt is None:
            return
        delay = nxt - now  # measured on our clock, run on APScheduler's: the two agree in production
        if delay <= timedelta(0) or delay > timedelta(seconds=self.heartbeat * 2):
            return  # the heartbeat will get there
        run_at = datetime.now(UTC) + delay + timedelta(seconds=1)
        self.scheduler.add_job(self.tick, DateTrigger(run_date=run_at), id="next-due", replace_existing=True)

    def run(self, stop: threading.Event | None = None) -> None:
        self.scheduler.add_job(self.tick, IntervalTrigger(seconds=self.heartbeat), id="heartbeat",
                               next_run_time=datetime.now(UTC))  # the catch-up sweep at start
        if stop is not None:
            threading.Thread(target=lambda: (stop.wait(), self.scheduler.shutdown(wait=False)), daemon=True).start()
        self.scheduler.start()
