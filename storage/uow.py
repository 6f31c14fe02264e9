"""The unit of work and its repositories, over SQLAlchemy Core.

One unit of work is one database transaction: BEGIN IMMEDIATE on SQLite, row locks (FOR UPDATE) on PostgreSQL.
It rolls back unless `commit()` was called, so a refusal anywhere leaves nothing half-written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError

from states.case import Case, Event, replay
from states.errors import Conflict, DomainError
from storage import tables as t
from storage.chain import GENESIS, TOMBSTONE_FIELDS, canonical_json, event_hash, tombstone_hash
from storage.db import READONLY
from workflow.ports import Expert, StoredEvent, User

WallClock = Callable[[], datetime]


def _wall() -> datetime:
    return datetime.now(UTC)


class SqlCaseRepository:
    def __init__(self, conn: Connection, recorded_clock: WallClock) -> None:
        self.conn = conn
        self.recorded_clock = recorded_clock
        self.pg = conn.dialect.name == "postgresql"

    # -- reading --------------------------------------------------------------------------------------------
    def load(self, number: str, *, lock: bool = True) -> Case | None:
        stmt = select(t.cases.c.version).where(t.cases.c.number == number)
        if lock and self.pg:
            stmt = stmt.with_for_update()
        if self.conn.execute(stmt).first() is None:
            return None
        return replay(s.event for s in self.events(number))

    def events(self, number: str) -> list[StoredEvent]:
        rows = self.conn.execute(
            select(t.events).where(t.events.c.case_number == number).order_by(t.events.c.seq, t.events.c.id)
        ).mappings()
        return [self._stored(r) for r in rows]

    @staticmethod
    def _stored(r: Any) -> StoredEvent:
        ev = Event(type=r["type"], payload=json.loads(r["payload"]), actor=r["actor"], occurred_at=r["occurred_at"],
                   schema_version=r["schema_version"])
        return StoredEvent(r["case_number"], r["seq"], ev, r["recorded_at"], r["prev_hash"], r["hash"])

    def snapshot(self, number: str) -> dict[str, Any] | None:
        raw = self.conn.execute(select(t.cases.c.snapshot).where(t.cases.c.number == number)).scalar()
        return json.loads(raw) if raw else None

    def columns(self, number: str) -> dict[str, Any] | None:
        c = t.cases.c
        row = self.conn.execute(
            select(c.status, c.applicant, c.lead, c.outcome, c.version, c.last_hash).where(c.number == number)
        ).mappings().first()
        return dict(row) if row else None

    def summaries(self, status: str | None = None) -> list[dict[str, Any]]:
        stmt = select(t.cases.c.snapshot).order_by(t.cases.c.created_at, t.cases.c.number)
        if status:
            stmt = stmt.where(t.cases.c.status == status)
        return [json.loads(raw) for raw in self.conn.execute(stmt).scalars()]

    def numbers(self) -> list[str]:
        found = set(self.conn.execute(select(t.cases.c.number)).scalars())
        found |= set(self.conn.execute(select(t.events.c.case_number).distinct()).scalars())
        return sorted(found)

    def chain_findings(self, number: str) -> list[str]:
        rows = list(
            self.conn.execute(
                select(t.events).where(t.events.c.case_number == number).order_by(t.events.c.seq, t.events.c.id)
            ).mappings()
        )
        findings: list[str] = []
        prev = GENESIS
        expected_seq = 1
        for r in rows:
            if r["seq"] != expected_seq:
                what = "missing (deleted?)" if r["seq"] > expected_seq else "duplicated"
                findings.append(f"{number} event {expected_seq}: {what}; the log jumps to seq {r['seq']}")
                expected_seq = r["seq"]
            if r["prev_hash"] != prev:
                findings.append(
                    f"{number} event {r['seq']} ({r['type']}): previous hash does not match event "
                    f"{r['seq'] - 1} — an event before it was edited, deleted or reordered"
                )
            recomputed = event_hash(
                case_number=r["case_number"], seq=r["seq"], type_=r["type"], schema_version=r["schema_version"],
                actor=r["actor"], occurred_at=r["occurred_at"], recorded_at=r["recorded_at"], payload=r["payload"],
                prev_hash=r["prev_hash"],
            )
            if recomputed != r["hash"]:
                findings.append(f"{number} event {r['seq']} ({r['type']}): content does not match its hash — edited")
            prev = r["hash"]
            expected_seq += 1
        row = self.conn.execute(
            select(t.cases.c.version, t.cases.c.last_hash).where(t.cases.c.number == number)
        ).first()
        if row is not None and rows:
            if row.version != rows[-1]["seq"]:
                findings.append(
                    f"{number} event {row.version}: the case is at version {row.version} but the log ends at "
                    f"event {rows[-1]['seq']} — events deleted or added behind its back"
                )
            elif row.last_hash != rows[-1]["hash"]:
                findings.append(f"{number} event {row.version}: the last event's hash is not the one the case recorded")
        return findings

    # -- writing --------------------------------------------------------------------------------------------
    def _append(self, case_number: str, start_seq: int, prev_hash: str, new: Sequence[Event]) -> str:
        recorded_at = self.recorded_clock()
        rows = []
        for i, ev in enumerate(new):
            seq = start_seq + i
            payload = canonical_json(ev.payload)
            h = event_hash(case_number=case_number, seq=seq, type_=ev.type, schema_version=ev.schema_version,
                           actor=ev.actor, occurred_at=ev.occurred_at, recorded_at=recorded_at, payload=payload,
                           prev_hash=prev_hash)
            rows.append(dict(case_number=case_number, seq=seq, type=ev.type, schema_version=ev.schema_version,
                             actor=ev.actor, occurred_at=ev.occurred_at, recorded_at=recorded_at, payload=payload,
                             prev_hash=prev_hash, hash=h))
            prev_hash = h
        try:
            self.conn.execute(insert(t.events), rows)
        except IntegrityError as exc:
            raise Conflict(f"conflict: {case_number} was changed by someone else; nothing written") from exc
        return prev_hash

    def add(self, case: Case, events: Sequence[Event]) -> None:
        last = self._append(case.number, 1, GENESIS, events)
        now = self.recorded_clock()
        self.conn.execute(insert(t.cases).values(
            number=case.number, status=str(case.status), applicant=case.applicant, lead=case.lead,
            outcome=str(case.outcome) if case.outcome else None, version=case.version, last_hash=last,
            snapshot=canonical_json(case.to_dict()), created_at=case.created_at or now, updated_at=now,
        ))
        self._project_deadlines(case)

    def save(self, case: Case, events: Sequence[Event], expected_version: int) -> None:
        if not events:
            return
        prev = self.conn.execute(
            select(t.cases.c.last_hash).where(t.cases.c.number == case.number)
        ).scalar_one()
        last = self._append(case.number, expected_version + 1, prev, events)
        result = self.conn.execute(
            update(t.cases)
            .where(t.cases.c.number == case.number, t.cases.c.version == expected_version)
            .values(status=str(case.status), lead=case.lead, outcome=str(case.outcome) if case.outcome else None,
                    version=case.version, last_hash=last, snapshot=canonical_json(case.to_dict()),
                    updated_at=self.recorded_clock())
        )
        if result.rowcount != 1:
            raise Conflict(f"conflict: {case.number} changed while you were acting; nothing written")
        self._project_deadlines(case)

    def _project_deadlines(self, case: Case) -> None:
        """Deadlines as rows, in the same transaction as the transition that armed or resolved them."""
        existing = set(
            self.conn.execute(select(t.deadlines.c.id).where(t.deadlines.c.case_number == case.number)).scalars()
        )
        for d in case.deadlines:
            values = dict(case_number=case.number, kind=d.kind, start_at=d.start_at, working_days=d.working_days,
                          due_at=d.due_at, due_date=d.due_date, calendar_version=d.calendar_version,
                          provisional=d.provisional, status=d.status, explanation=d.explanation,
                          resolved_at=d.resolved_at, supersedes=d.supersedes)
            if d.id in existing:
                self.conn.execute(update(t.deadlines).where(t.deadlines.c.id == d.id).values(**values))
            else:
                self.conn.execute(insert(t.deadlines).values(id=d.id, **values))

    def next_number(self, prefix: str, year: int) -> str:
        return f"{prefix}-{year}-{_next(self.conn, f'case:{prefix}:{year}'):04d}"


def _next(conn: Connection, name: str) -> int:
    ins = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(t.counters)
    conn.execute(ins.values(name=name, value=0).on_conflict_do_nothing(index_elements=["name"]))
    return int(conn.execute(
        update(t.counters).where(t.counters.c.name == name).values(value=t.counters.c.value + 1)
        .returning(t.counters.c.value)
    ).scalar_one())


class SqlUserRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @staticmethod
    def _user(r: Any) -> User:
        return User(name=r["name"], role=r["role"], institution=r["institution"], expert_id=r["expert_id"],
                    display_name=r["display_name"], email=r["email"])

    def get(self, name: str) -> User | None:
        r = self.conn.execute(select(t.users).where(t.users.c.name == name)).mappings().first()
        return self._user(r) if r else None

    def add(self, user: User, password_hash: str | None = None) -> None:
        self.conn.execute(insert(t.users).values(
            name=user.name, role=user.role, institution=user.institution, expert_id=user.expert_id,
            email=user.email, display_name=user.display_name or user.name, password_hash=password_hash,
            created_at=_wall(),
        ))

    def all(self) -> list[User]:
        return [self._user(r) for r in self.conn.execute(select(t.users).order_by(t.users.c.name)).mappings()]

    def liaisons_of(self, institution: str) -> list[User]:
        rows = self.conn.execute(
            select(t.users).where(t.users.c.role == "liaison", t.users.c.institution == institution)
            .order_by(t.users.c.name)
        ).mappings()
        return [self._user(r) for r in rows]

    def count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(t.users)).scalar_one())


class SqlExpertRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @staticmethod
    def _expert(r: Any) -> Expert:
        return Expert(id=r["id"], name=r["name"], field=r["field"], employer=r["employer"], title=r["title"],
                      province=r["province"], active=r["active"])

    def get(self, expert_id: str) -> Expert | None:
        r = self.conn.execute(select(t.experts).where(t.experts.c.id == expert_id)).mappings().first()
        return self._expert(r) if r else None

    def add(self, expert: Expert) -> None:
        self.conn.execute(insert(t.experts).values(
            id=expert.id, name=expert.name, field=expert.field, employer=expert.employer, title=expert.title,
            province=expert.province, active=expert.active, created_at=_wall(),
        ))

    def all(self) -> list[Expert]:
        return [self._expert(r) for r in self.conn.execute(select(t.experts).order_by(t.experts.c.id)).mappings()]

    def next_id(self) -> str:
        return f"E{_next(self.conn, 'expert'):04d}"


def sync_institutions(engine: Engine, members: Sequence[tuple[str, str, str]]) -> int:
    """Load the member institutions named in config.yaml (code, name, province); returns how many."""
    with engine.begin() as conn:
        for code, name, province in members:
            ins = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(t.institutions)
            values = dict(code=code, name=name, province=province, updated_at=_wall())
            conn.execute(ins.values(**values).on_conflict_do_update(index_elements=["code"], set_=values))
    return len(members)


class SqlBlobStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def put(self, sha256: str, data: bytes) -> None:
        exists = self.conn.execute(select(t.blobs.c.sha256).where(t.blobs.c.sha256 == sha256)).first()
        if not exists:
            self.conn.execute(insert(t.blobs).values(sha256=sha256, size=len(data), data=data, created_at=_wall()))

    def get(self, sha256: str) -> bytes | None:
        return self.conn.execute(select(t.blobs.c.data).where(t.blobs.c.sha256 == sha256)).scalar()


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


class SqlReminderLedger:
    """Each reminder is claimed by inserting a row with a unique key before it is sent: never sent twice."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _insert(self, table: Any) -> Any:
        return (postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert)(table)

    def claim(self, row: dict[str, Any]) -> int | None:
        """Insert the claim; the id when this caller won it, None when someone already had it."""
        stmt = self._insert(t.reminders).values(**row, status="claimed", attempts=1).on_conflict_do_nothing(
            index_elements=["key"]
        ).returning(t.reminders.c.id)
        return self.conn.execute(stmt).scalar()

    def known_keys(self, prefix: str) -> set[str]:
        return set(self.conn.execute(select(t.reminders.c.key).where(t.reminders.c.key.startswith(prefix))).scalars())

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
                         retry_before: datetime | None = None) -> list[int]:
        failed = t.reminders.c.status == "failed"
        if retry_before is not None:
            failed = failed & (t.reminders.c.claimed_at <= retry_before)
        stmt = select(t.reminders.c.id).where(
            t.reminders.c.attempts < max_attempts,
            failed | ((t.reminders.c.status == "claimed") & (t.reminders.c.claimed_at < stale_before)),
        ).order_by(t.reminders.c.scheduled_at, t.reminders.c.id)
        return list(self.conn.execute(stmt).scalars())

    def mark_sent(self, reminder_id: int, at: datetime) -> None:
        self.conn.execute(update(t.reminders).where(t.reminders.c.id == reminder_id)
                          .values(status="sent", sent_at=at, last_error=None))

    def mark_failed(self, reminder_id: int, error: str, give_up: bool = False) -> None:
        self.conn.execute(update(t.reminders).where(t.reminders.c.id == reminder_id)
                          .values(status="abandoned" if give_up else "failed", last_error=error[:2000]))

    def list(self, case_number: str | None = None) -> list[dict[str, Any]]:
        stmt = select(t.reminders).order_by(t.reminders.c.scheduled_at, t.reminders.c.id)
        if case_number:
            stmt = stmt.where(t.reminders.c.case_number == case_number)
        return [dict(r) for r in self.conn.execute(stmt).mappings()]


class SqlInbox:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def deliver(self, key: str, recipient: str, case_number: str | None, subject: str, body: str,
                at: datetime) -> bool:
        ins = (postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert)(t.inbox)
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


class SqlCalendarYears:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def put(self, year: int, notice: str, digest: str, content: str, source: str, loaded_by: str,
            at: datetime) -> None:
        values = dict(notice=notice, digest=digest, content=content, source=source, loaded_at=at, loaded_by=loaded_by)
        ins = (postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert)(t.calendar_years)
        self.conn.execute(ins.values(year=year, **values).on_conflict_do_update(index_elements=["year"], set_=values))

    def all(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(select(t.calendar_years).order_by(t.calendar_years.c.year)).mappings()]

    def fingerprint(self) -> str:
        rows = self.conn.execute(select(t.calendar_years.c.year, t.calendar_years.c.digest)
                                 .order_by(t.calendar_years.c.year)).all()
        return ",".join(f"{y}:{d}" for y, d in rows)


class SqlRetentionStore:
    """Retention (Art. 9): tombstones, the destruction lists' batch numbers, and the deletion of a purged case."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

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
        return f"{year}-{_next(self.conn, f'destruction:{year}'):03d}"

    def add_tombstone(self, row: dict[str, Any]) -> dict[str, Any]:
        """Append a tombstone to the tombstones' own chain. A concurrent purge that read the same last hash loses
        on the unique prev_hash and gets a conflict (nothing written)."""
        prev = self.conn.execute(
            select(t.tombstones.c.hash).order_by(t.tombstones.c.id.desc()).limit(1)
        ).scalar() or GENESIS
        values = {k: row[k] for k in TOMBSTONE_FIELDS}
        values.update(prev_hash=prev, hash=tombstone_hash(values, prev))
        try:
            self.conn.execute(insert(t.tombstones).values(**values))
        except IntegrityError as exc:
            raise Conflict(f"conflict: {row['number']} is being purged by someone else; nothing written") from exc
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
        for row in self.tombstones():
            n = row["number"]
            if row["prev_hash"] != prev:
                found.append(f"{n} tombstone: previous hash does not match the tombstone before it — a tombstone "
                             "was deleted, edited or reordered")
            if tombstone_hash(row, row["prev_hash"]) != row["hash"]:
                found.append(f"{n} tombstone: content does not match its hash — edited")
            prev = row["hash"]
            left = self.conn.execute(select(func.count()).select_from(t.events)
                                     .where(t.events.c.case_number == n)).scalar_one()
            row_left = self.conn.execute(select(t.cases.c.number).where(t.cases.c.number == n)).first()
            if left or row_left is not None:
                found.append(f"{n} tombstone: the case was purged but {left} event(s)"
                             f"{' and its case row' if row_left is not None else ''} are still stored")
        return found


class SqlUnitOfWork:
    def __init__(self, engine: Engine, *, readonly: bool = False, recorded_clock: WallClock = _wall) -> None:
        self.engine = engine
        self.readonly = readonly
        self.recorded_clock = recorded_clock
        self._committed = False

    def __enter__(self) -> SqlUnitOfWork:
        try:
            self.conn = self.engine.connect()
        except OperationalError as exc:
            raise StorageUnavailable(f"database: cannot connect ({str(exc.orig).strip().splitlines()[0]})") from exc
        if self.readonly:
            self.conn = self.conn.execution_options(**{READONLY: True})
        self.tx = self.conn.begin()
        self.cases = SqlCaseRepository(self.conn, self.recorded_clock)
        self.users = SqlUserRepository(self.conn)
        self.experts = SqlExpertRepository(self.conn)
        self.blobs = SqlBlobStore(self.conn)
        self.deadlines = SqlDeadlineQueries(self.conn)
        self.reminders = SqlReminderLedger(self.conn)
        self.inbox = SqlInbox(self.conn)
        self.calendar_years = SqlCalendarYears(self.conn)
        self.retention = SqlRetentionStore(self.conn)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.tx.is_active:
                self.tx.rollback()
        finally:
            self.conn.close()

    def commit(self) -> None:
        self.tx.commit()
        self._committed = True

    def rollback(self) -> None:
        self.tx.rollback()


class StorageUnavailable(DomainError):
    code = "storage_unavailable"


class UnitOfWorkFactory:
    def __init__(self, engine: Engine, recorded_clock: WallClock = _wall) -> None:
        self.engine = engine
        self.recorded_clock = recorded_clock

    def __call__(self, readonly: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, readonly=readonly, recorded_clock=self.recorded_clock)
