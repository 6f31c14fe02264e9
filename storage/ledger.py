"""The ledger of time: armed deadlines for the sweep, the reminder ledger (claimed before sent, never twice) and
the in-app inbox (exactly once)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from storage import tables as t
from storage.common import upsert

# Keys per `IN (...)`: well under SQLite's bound-parameter limit.
KEY_CHUNK = 500


class SqlDeadlineQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def armed(self, due_before: datetime | None = None) -> list[dict[str, Any]]:
        """Armed deadlines with what a reminder needs: the case's applicant and lead."""
        stmt = (
            select(t.deadlines, t.cases.c.applicant, t.cases.c.lead, t.cases.c.status.label("case_status"))
            .join(t.cases, t.cases.c.number == t.deadlines.c.case_number)
            .where(t.deadlines.c.status == "armed")
            .order_by(t.deadlines.c.due_at, t.deadlines.c.id)
        )
        if due_before is not None:
            stmt = stmt.where(t.deadlines.c.due_at <= due_before)
        return [dict(r) for r in self.conn.execute(stmt).mappings()]

    def next_due_after(self, after: datetime) -> datetime | None:
        return self.conn.execute(
            select(func.min(t.deadlines.c.due_at)).where(t.deadlines.c.status == "armed", t.deadlines.c.due_at > after)
        ).scalar()

    def open_cases(self) -> list[str]:
        return list(self.conn.execute(
            select(t.deadlines.c.case_number).where(t.deadlines.c.status == "armed").distinct()
            .order_by(t.deadlines.c.case_number)
        ).scalars())


    def corrections_owed(self) -> list[dict[str, Any]]:
        """Overdue reminders that no longer hold: their deadline was superseded by one due later than the reminder
        went out (a calendar change moved it). One row per (old deadline, recipient, channel) told it was overdue."""
        old, new, r = t.deadlines.alias("old"), t.deadlines.alias("new"), t.reminders
        stmt = (
            select(old.c.id.label("old_id"), new.c.case_number, new.c.kind, new.c.due_at, r.c.recipient,
                   r.c.channel).distinct()
            .join(old, old.c.id == r.c.deadline_id)
            .join(new, new.c.supersedes == old.c.id)
            .where(r.c.reminder_kind == "overdue", r.c.status == "sent", old.c.status == "superseded",
                   new.c.status == "armed", new.c.due_at > r.c.scheduled_at)
            .order_by(old.c.id, r.c.recipient, r.c.channel)
        )
        return [dict(row) for row in self.conn.execute(stmt).mappings()]


class SqlReminderLedger:
    """Each reminder is claimed by inserting a row with a unique key before it is sent: never sent twice."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def claim(self, row: dict[str, Any]) -> int | None:
        """Insert the claim; the id when this caller won it, None when someone already had it."""
        # A row may come with its own status: "skipped" (a reminder recorded as not sent, never retried).
        stmt = upsert(self.conn, t.reminders).values(**({"status": "claimed", "attempts": 1} | row)).on_conflict_do_nothing(
            index_elements=["key"]
        ).returning(t.reminders.c.id)
        return self.conn.execute(stmt).scalar()

    def known_keys(self, prefix: str) -> set[str]:
        """Every key that starts with PREFIX. A LIKE no index serves (a scan of the ledger): the sweep and the
        catch-up ask `present` with the exact keys instead."""
        return set(self.conn.execute(select(t.reminders.c.key).where(t.reminders.c.key.startswith(prefix))).scalars())

    def present(self, keys: Iterable[str]) -> set[str]:
        """Which of these exact keys the ledger holds: lookups in the unique index on key, in chunks."""
        wanted = sorted(set(keys))
        found: set[str] = set()
        for i in range(0, len(wanted), KEY_CHUNK):
            chunk = wanted[i:i + KEY_CHUNK]
            found.update(self.conn.execute(select(t.reminders.c.key).where(t.reminders.c.key.in_(chunk))).scalars())
        return found

    def reclaim(self, reminder_id: int, now: datetime, stale_before: datetime, max_attempts: int,
                retry_before: datetime | None = None) -> dict[str, Any] | None:
        """Take over a failed send (after its back-off), or a claim whose sender died (older than the lease):
        compare-and-set, so only one sweeper wins it."""
        row = self.conn.execute(select(t.reminders).where(t.reminders.c.id == reminder_id)).mappings().first()
        if row is None or row["attempts"] >= max_attempts:
            return None
        retry_before = retry_before or now
        retryable = (row["status"] == "failed" and row["claimed_at"] <= retry_before) or (
            row["status"] == "claimed" and row["claimed_at"] < stale_before)
        if not retryable:
            return None
        result = self.conn.execute(
            update(t.reminders)
            .where(t.reminders.c.id == reminder_id, t.reminders.c.status == row["status"],
                   t.reminders.c.attempts == row["attempts"])
            .values(status="claimed", attempts=row["attempts"] + 1, claimed_at=now)
        )
        return dict(row) | {"attempts": row["attempts"] + 1} if result.rowcount == 1 else None

    def retry_candidates(self, stale_before: datetime, max_attempts: int,
                         retry_before: datetime | None = None, with_times: bool = False) -> list[Any]:
        """Failed sends past `retry_before` and claims older than the lease: their ids, or with `with_times`
        (id, key, status, attempts, claimed_at) so the caller can apply each one's back-off."""
        failed = t.reminders.c.status == "failed"
        if retry_before is not None:
            failed = failed & (t.reminders.c.claimed_at <= retry_before)
        r = t.reminders.c
        columns = [r.id, r.key, r.status, r.attempts, r.claimed_at] if with_times else [r.id]
        stmt = select(*columns).where(
            t.reminders.c.attempts < max_attempts,
            failed | ((t.reminders.c.status == "claimed") & (t.reminders.c.claimed_at < stale_before)),
        ).order_by(t.reminders.c.scheduled_at, t.reminders.c.id)
        if with_times:
            return [tuple(row) for row in self.conn.execute(stmt)]
        return list(self.conn.execute(stmt).scalars())

    def revive(self, ids: Sequence[int] | None, now: datetime) -> list[int]:
        """Abandoned sends (all, or those ids) made failed again, due for a try at once; the ids revived."""
        stmt = select(t.reminders.c.id).where(t.reminders.c.status == "abandoned")
        if ids:
            stmt = stmt.where(t.reminders.c.id.in_(list(ids)))
        found = list(self.conn.execute(stmt.order_by(t.reminders.c.id)).scalars())
        if found:
            self.conn.execute(update(t.reminders).where(t.reminders.c.id.in_(found),
                                                        t.reminders.c.status == "abandoned")
                              .values(status="failed", claimed_at=now))
        return found

    def mark_sent(self, reminder_id: int, at: datetime) -> None:
        self.conn.execute(update(t.reminders).where(t.reminders.c.id == reminder_id)
                          .values(status="sent", sent_at=at, last_error=None))

    def mark_failed(self, reminder_id: int, error: str, give_up: bool = False) -> None:
        self.conn.execute(update(t.reminders).where(t.reminders.c.id == reminder_id)
                          .values(status="abandoned" if give_up else "failed", last_error=error[:2000]))

    def list(self, case_number: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        stmt = select(t.reminders).order_by(t.reminders.c.scheduled_at, t.reminders.c.id)
        if case_number:
            stmt = stmt.where(t.reminders.c.case_number == case_number)
        if status:
            stmt = stmt.where(t.reminders.c.status == status)
        return [dict(r) for r in self.conn.execute(stmt).mappings()]


class SqlInbox:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def deliver(self, key: str, recipient: str, case_number: str | None, subject: str, body: str,
                at: datetime) -> bool:
        ins = upsert(self.conn, t.inbox)
        stmt = ins.values(key=key, recipient=recipient, case_number=case_number, subject=subject, body=body,
                          created_at=at).on_conflict_do_nothing(index_elements=["key"]).returning(t.inbox.c.id)
        return self.conn.execute(stmt).scalar() is not None

    def of(self, recipient: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(t.inbox).where(t.inbox.c.recipient == recipient).order_by(t.inbox.c.created_at, t.inbox.c.id)
        ).mappings()
        return [dict(r) for r in rows]

    def mark_read(self, recipient: str, at: datetime) -> int:
        return self.conn.execute(
            update(t.inbox).where(t.inbox.c.recipient == recipient, t.inbox.c.read_at.is_(None)).values(read_at=at)
        ).rowcount
