"""Retention (Art. 9): tombstones of purged cases in their own hash chain, the destruction lists' numbers, and the
deletion of a purged case's rows."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from states.errors import Conflict
from storage import tables as t
from storage.chain import GENESIS, TOMBSTONE_FIELDS, Keyring, tombstone_hash
from storage.common import next_value
from storage.projections import forget_summary
from storage.seals import older_rows


class SqlRetentionStore:
    """Retention (Art. 9): tombstones, the destruction lists' batch numbers, and the deletion of a purged case."""

    def __init__(self, conn: Connection, keyring: Keyring | None = None) -> None:
        self.conn = conn
        self.keyring = keyring

    def tombstone(self, number: str) -> dict[str, Any] | None:
        r = self.conn.execute(select(t.tombstones).where(t.tombstones.c.number == number)).mappings().first()
        return dict(r) if r else None

    def tombstones(self, batch: str | None = None) -> list[dict[str, Any]]:
        stmt = select(t.tombstones).order_by(t.tombstones.c.id)
        if batch is not None:
            stmt = stmt.where(t.tombstones.c.batch == batch)
        return [dict(r) for r in self.conn.execute(stmt).mappings()]

    def next_batch(self, year: int) -> str:
        """The next destruction list's number in a year: 2031-001, 2031-002, ..."""
        return f"{year}-{next_value(self.conn, f'destruction:{year}'):03d}"

    def add_tombstone(self, row: dict[str, Any]) -> dict[str, Any]:
        """Append a tombstone to the tombstones' own chain. A concurrent purge that read the same last hash loses
        on the unique prev_hash and gets a conflict (nothing written)."""
        prev = self.conn.execute(
            select(t.tombstones.c.hash).order_by(t.tombstones.c.id.desc()).limit(1)
        ).scalar() or GENESIS
        values = {k: row[k] for k in TOMBSTONE_FIELDS}
        key = self.keyring.current if self.keyring else None
        values.update(prev_hash=prev, hash=tombstone_hash(values, prev, key),
                      key_id=self.keyring.current_id if self.keyring else None)
        try:
            self.conn.execute(insert(t.tombstones).values(**values))
        except IntegrityError as exc:
            raise Conflict(f"conflict: {row['number']} is being purged by someone else; nothing written",
                           key="purge_meanwhile", number=row["number"]) from exc
        return values

    def delete_case(self, number: str) -> dict[str, int]:
        """Delete every row of one case: deadlines, reminder ledger, inbox messages about it, events, the case row,
        and the blobs (materials, outbox attachments) that no remaining case or reminder references."""
        shas = set()
        for raw in self.conn.execute(
            select(t.events.c.payload).where(t.events.c.case_number == number, t.events.c.type == "MaterialAttached")
        ).scalars():
            shas.add(json.loads(raw)["sha256"])
        for raw in self.conn.execute(
            select(t.reminders.c.attachments).where(t.reminders.c.case_number == number,
                                                    t.reminders.c.attachments.is_not(None))
        ).scalars():
            for a in json.loads(raw) or []:
                if a.get("sha256"):
                    shas.add(a["sha256"])
        self.conn.execute(delete(t.pending_deliveries).where(t.pending_deliveries.c.case_number == number))
        forget_summary(self.conn, number)
        counts = {
            "deadlines": self.conn.execute(delete(t.deadlines).where(t.deadlines.c.case_number == number)).rowcount,
            "reminders": self.conn.execute(delete(t.reminders).where(t.reminders.c.case_number == number)).rowcount,
            "inbox": self.conn.execute(delete(t.inbox).where(t.inbox.c.case_number == number)).rowcount,
            "events": self.conn.execute(delete(t.events).where(t.events.c.case_number == number)).rowcount,
            "cases": self.conn.execute(delete(t.cases).where(t.cases.c.number == number)).rowcount,
        }
        removed = 0
        for sha in sorted(shas):
            if self._blob_referenced(sha):
                continue
            removed += self.conn.execute(delete(t.blobs).where(t.blobs.c.sha256 == sha)).rowcount
        counts["blobs"] = removed
        return counts

    def _blob_referenced(self, sha: str) -> bool:
        pattern = f"%{sha}%"
        used = self.conn.execute(
            select(t.events.c.id).where(t.events.c.type == "MaterialAttached", t.events.c.payload.like(pattern))
            .limit(1)
        ).first()
        if used is not None:
            return True
        return self.conn.execute(
            select(t.reminders.c.id).where(t.reminders.c.attachments.like(pattern)).limit(1)
        ).first() is not None

    def issued_numbers(self, prefix: str) -> list[str]:
        """Every case number the counters have handed out (YRD-2026-0001 ... up to each year's counter)."""
        rows = self.conn.execute(
            select(t.counters.c.name, t.counters.c.value).where(t.counters.c.name.startswith(f"case:{prefix}:"))
        ).all()
        out: list[str] = []
        for name, value in rows:
            year = name.rsplit(":", 1)[-1]
            out.extend(f"{prefix}-{year}-{n:04d}" for n in range(1, int(value) + 1))
        return sorted(out)

    def findings(self) -> list[str]:
        """The tombstones' chain recomputed, and no row left behind for a purged case."""
        found: list[str] = []
        prev = GENESIS
        older = older_rows(self.conn, self.keyring) if self.keyring else None
        for row in self.tombstones():
            n = row["number"]
            if row["prev_hash"] != prev:
                found.append(f"{n} tombstone: previous hash does not match the tombstone before it — a tombstone "
                             "was deleted, edited or reordered")
            key: bytes | None = None
            problem = None
            if row.get("key_id") is not None:
                key = self.keyring.secret(row["key_id"]) if self.keyring else None
                if key is None:
                    problem = f"hashed with audit key {row['key_id']}, which this server does not hold"
            elif older is not None:
                if not older.sealed:
                    problem = f"hashed the older, unkeyed way, but {older.problem}"
                elif older.tombstones.get(n) != row["hash"]:
                    problem = ("hashed the older, unkeyed way but not as sealed when the audit key was introduced "
                               "— rewritten and rehashed")
            if problem:
                found.append(f"{n} tombstone: {problem}")
            elif tombstone_hash(row, row["prev_hash"], key) != row["hash"]:
                found.append(f"{n} tombstone: content does not match its hash — edited")
            prev = row["hash"]
            left = self.conn.execute(select(func.count()).select_from(t.events)
                                     .where(t.events.c.case_number == n)).scalar_one()
            row_left = self.conn.execute(select(t.cases.c.number).where(t.cases.c.number == n)).first()
            if left or row_left is not None:
                found.append(f"{n} tombstone: the case was purged but {left} event(s)"
                             f"{' and its case row' if row_left is not None else ''} are still stored")
        return found
