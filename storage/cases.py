"""Cases: the case rows with their snapshots, the append-only hash-chained event log, the deadline rows projected
in the same transaction, and the materials' blobs."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from states.aggregate import Deadline
from states.case import SNAPSHOT_VERSION, Case, Event, replay
from states.errors import Conflict
from storage import tables as t
from storage.chain import GENESIS, Keyring, canonical_json, event_hash
from storage.common import WallClock, next_value, upsert, wall
from storage.projections import put_summary
from storage.seals import OlderRows, older_rows
from workflow.ports import AuditedCase, StoredEvent

# The events that owe a delivery after their commit (huizhen.outbox sends it), by what they owe.
OWES_DELIVERY = {"MeetingScheduled": "invitation", "MeetingCancelled": "invitation", "MinutesIssued": "minutes",
                 "MinutesCorrected": "minutes"}


# The case row's update of every command, built once: its values go as parameters (issue 17: building a statement
# around the values, the snapshot among them, cost about as much as its round trip).
_SAVE_CASE = (
    update(t.cases)
    .where(t.cases.c.number == bindparam("b_number"), t.cases.c.version == bindparam("b_expected"))
    .values(status=bindparam("b_status"), lead=bindparam("b_lead"), outcome=bindparam("b_outcome"),
            version=bindparam("b_version"), last_hash=bindparam("b_last_hash"), snapshot=bindparam("b_snapshot"),
            updated_at=bindparam("b_updated_at"))
)


class SqlCaseRepository:
    def __init__(self, conn: Connection, recorded_clock: WallClock, keyring: Keyring | None = None) -> None:
        self.conn = conn
        self.recorded_clock = recorded_clock
        self.keyring = keyring
        self.pg = conn.dialect.name == "postgresql"
        self._older: OlderRows | None = None
        self._last_rows: tuple[str, list[Any]] | None = None
        # What `load` (locked) read of a case: its row's last hash and its deadlines' values (None: replayed).
        self._loaded: dict[str, tuple[str, dict[str, dict[str, Any]] | None]] = {}

    def older(self) -> OlderRows | None:
        """The seal's list of older (unkeyed) rows, read once per unit of work; None without a keyring."""
        if self.keyring is None:
            return None
        if self._older is None:
            self._older = older_rows(self.conn, self.keyring)
        return self._older

    def hash_kinds(self) -> dict[str, int]:
        """How many events carry each kind of hash: keyed (HMAC under the audit key) and older (plain SHA-256)."""
        rows = self.conn.execute(select(t.events.c.key_id)).scalars().all()
        older = sum(1 for k in rows if k is None)
        return {"keyed": len(rows) - older, "older": older}

    # -- reading --------------------------------------------------------------------------------------------
    def load(self, number: str, *, lock: bool = True) -> Case | None:
        """The case from its stored snapshot, verified against the chain head it names (its version and last hash
        are the last event's): a command costs the same on the 10th event as on the 200th. A snapshot of an older
        shape, or one that does not name the head (written behind the log's back), is not trusted: the case is
        replayed from its events, as `audit verify` does. The row and the head come in one query (a round trip
        saved per command: issue 17)."""
        c, e = t.cases.c, t.events.c
        last_seq = (select(func.max(e.seq)).where(e.case_number == c.number).correlate(t.cases)
                    .scalar_subquery())
        stmt = (select(c.version, c.last_hash, c.snapshot, e.seq, e.hash, e.occurred_at)
                .select_from(t.cases.outerjoin(t.events, and_(e.case_number == c.number, e.seq == last_seq)))
                .where(c.number == number))
        if lock and self.pg:
            stmt = stmt.with_for_update(of=t.cases)
        row = self.conn.execute(stmt).first()
        if row is None:
            return None
        if row.seq is not None and row.snapshot and row.seq == row.version and row.hash == row.last_hash:
            snap = json.loads(row.snapshot)
            if int(snap.get("snapshot_version", 1)) == SNAPSHOT_VERSION and snap.get("version") == row.version:
                case = Case.from_dict(snap, last_event_at=row.occurred_at, owned=True)
                if lock:
                    # The snapshot's deadlines are the rows (both written in the same transaction), so `save` need
                    # neither re-read the last hash nor the deadline rows of a case this transaction holds.
                    self._loaded[number] = (row.last_hash, {d.id: _deadline_values(number, d) for d in case.deadlines})
                return case
        if lock:
            self._loaded[number] = (row.last_hash, None)
        return replay(s.event for s in self.events(number))

    def events(self, number: str) -> list[StoredEvent]:
        return [self._stored(r) for r in self._rows(number)]

    def _rows(self, number: str) -> list[Any]:
        """The case's event rows in order. The last case read is kept until this unit of work appends: `audit
        verify` checks the chain and replays the same rows, read once."""
        if self._last_rows is not None and self._last_rows[0] == number:
            return self._last_rows[1]
        rows = list(self.conn.execute(
            select(t.events).where(t.events.c.case_number == number).order_by(t.events.c.seq, t.events.c.id)
        ).mappings())
        self._last_rows = (number, rows)
        return rows

    @staticmethod
    def _stored(r: Any) -> StoredEvent:
        ev = Event(type=r["type"], payload=json.loads(r["payload"]), actor=r["actor"], occurred_at=r["occurred_at"],
                   schema_version=r["schema_version"])
        return StoredEvent(r["case_number"], r["seq"], ev, r["recorded_at"], r["prev_hash"], r["hash"],
                           r["key_id"])

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

    def heads(self) -> list[tuple[str, int, str]]:
        e = t.events.c
        last = select(e.case_number, func.max(e.seq).label("seq")).group_by(e.case_number).subquery()
        stmt = (select(e.case_number, e.seq, e.hash)
                .join(last, (e.case_number == last.c.case_number) & (e.seq == last.c.seq)))
        return sorted((r.case_number, int(r.seq), r.hash) for r in self.conn.execute(stmt))

    def chain_findings(self, number: str) -> list[str]:
        c = t.cases.c
        row = self.conn.execute(select(c.version, c.last_hash).where(c.number == number)).mappings().first()
        return self._chain_findings(number, self._rows(number), row)

    def audited(self, number: str | None = None) -> Iterator[AuditedCase]:
        """Every case's events and row in two streamed queries, joined here by number (both ordered by number the
        same byte-wise way), instead of four queries per case: on PostgreSQL the round trips were most of the
        audit's time (issue 17). Server-side cursors on PostgreSQL keep memory to one case at a time."""
        self.older()  # read before the cursors open: the seal's list is needed for every older event
        e, c = t.events.c, t.cases.c
        ev_key = e.case_number.collate("C") if self.pg else e.case_number
        case_key = c.number.collate("C") if self.pg else c.number
        events = select(t.events).order_by(ev_key, e.seq, e.id)
        cases = select(c.number, c.status, c.applicant, c.lead, c.outcome, c.version, c.last_hash,
                       c.snapshot).order_by(case_key)
        if number is not None:
            events, cases = events.where(e.case_number == number), cases.where(c.number == number)
        opts: dict[str, Any] = {"yield_per": 1000} if self.pg else {}
        event_groups = groupby(self.conn.execute(events.execution_options(**opts)).mappings(),
                               key=lambda r: r["case_number"])
        case_rows = iter(self.conn.execute(cases.execution_options(**opts)).mappings())
        group = next(event_groups, None)
        case_row = next(case_rows, None)
        while group is not None or case_row is not None:
            if case_row is None or (group is not None and group[0] < case_row["number"]):
                n = group[0] if group is not None else ""
            else:
                n = case_row["number"]
            rows: list[Any] = []
            if group is not None and group[0] == n:
                rows = list(group[1])
                group = next(event_groups, None)
            row = None
            if case_row is not None and case_row["number"] == n:
                row, case_row = case_row, next(case_rows, None)
            snapshot = json.loads(row["snapshot"]) if row is not None and row["snapshot"] else None
            columns = {k: row[k] for k in ("status", "applicant", "lead", "outcome", "version", "last_hash")} \
                if row is not None else None
            yield AuditedCase(n, [self._stored(r) for r in rows], self._chain_findings(n, rows, row), snapshot,
                              columns)

    def _chain_findings(self, number: str, rows: Sequence[Any], row: Any) -> list[str]:
        """The chain of one case's event rows (in order) and the case row's version and last hash against it."""
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
            findings.extend(self._hash_findings(number, r))
            prev = r["hash"]
            expected_seq += 1
        if row is not None and rows:
            if row["version"] != rows[-1]["seq"]:
                findings.append(
                    f"{number} event {row['version']}: the case is at version {row['version']} but the log ends at "
                    f"event {rows[-1]['seq']} — events deleted or added behind its back"
                )
            elif row["last_hash"] != rows[-1]["hash"]:
                findings.append(f"{number} event {row['version']}: the last event's hash is not the one the case "
                                "recorded")
        return findings

    def _hash_findings(self, number: str, r: Any) -> list[str]:
        where = f"{number} event {r['seq']} ({r['type']})"
        key: bytes | None = None
        older = self.older()
        if r["key_id"] is not None:
            if self.keyring is None or (key := self.keyring.secret(r["key_id"])) is None:
                return [f"{where}: hashed with audit key {r['key_id']}, which this server does not hold — cannot "
                        "be checked"]
        elif older is not None:
            if not older.sealed:
                return [f"{where}: hashed the older, unkeyed way, but {older.problem}"]
            if older.events.get((number, r["seq"])) != r["hash"]:
                return [f"{where}: hashed the older, unkeyed way but not as sealed when the audit key was "
                        "introduced — rewritten and rehashed"]
        recomputed = event_hash(
            case_number=r["case_number"], seq=r["seq"], type_=r["type"], schema_version=r["schema_version"],
            actor=r["actor"], occurred_at=r["occurred_at"], recorded_at=r["recorded_at"], payload=r["payload"],
            prev_hash=r["prev_hash"], key=key,
        )
        if recomputed != r["hash"]:
            return [f"{where}: content does not match its hash — edited"]
        return []

    # -- writing --------------------------------------------------------------------------------------------
    def _append(self, case_number: str, start_seq: int, prev_hash: str, new: Sequence[Event]) -> str:
        self._last_rows = None
        recorded_at = self.recorded_clock()
        key = self.keyring.current if self.keyring else None
        key_id = self.keyring.current_id if self.keyring else None
        rows = []
        for i, ev in enumerate(new):
            seq = start_seq + i
            payload = canonical_json(ev.payload)
            h = event_hash(case_number=case_number, seq=seq, type_=ev.type, schema_version=ev.schema_version,
                           actor=ev.actor, occurred_at=ev.occurred_at, recorded_at=recorded_at, payload=payload,
                           prev_hash=prev_hash, key=key)
            rows.append(dict(case_number=case_number, seq=seq, type=ev.type, schema_version=ev.schema_version,
                             actor=ev.actor, occurred_at=ev.occurred_at, recorded_at=recorded_at, payload=payload,
                             prev_hash=prev_hash, hash=h, key_id=key_id))
            prev_hash = h
        try:
            self.conn.execute(insert(t.events), rows)
        except IntegrityError as exc:
            raise Conflict(f"conflict: {case_number} was changed by someone else; nothing written",
                           key="changed_meanwhile", number=case_number) from exc
        return prev_hash

    def add(self, case: Case, events: Sequence[Event]) -> None:
        last = self._append(case.number, 1, GENESIS, events)
        now = self.recorded_clock()
        self.conn.execute(insert(t.cases).values(
            number=case.number, status=str(case.status), applicant=case.applicant, lead=case.lead,
            outcome=str(case.outcome) if case.outcome else None, version=case.version, last_hash=last,
            snapshot=canonical_json(case.to_dict(shared=True)), created_at=case.created_at or now, updated_at=now,
        ))
        self._project_deadlines(case)
        put_summary(self.conn, case.to_dict(shared=True), case.created_at or now, now)  # same transaction (issue 17)

    def save(self, case: Case, events: Sequence[Event], expected_version: int) -> None:
        if not events:
            return
        loaded = self._loaded.pop(case.number, None)
        if loaded is not None:
            prev = loaded[0]
        else:
            prev = self.conn.execute(
                select(t.cases.c.last_hash).where(t.cases.c.number == case.number)
            ).scalar_one()
        last = self._append(case.number, expected_version + 1, prev, events)
        snap = case.to_dict(shared=True)  # encoded at once (the snapshot) and read once (the summary)
        result = self.conn.execute(_SAVE_CASE, dict(
            b_number=case.number, b_expected=expected_version, b_status=str(case.status), b_lead=case.lead,
            b_outcome=str(case.outcome) if case.outcome else None, b_version=case.version, b_last_hash=last,
            b_snapshot=canonical_json(snap), b_updated_at=self.recorded_clock()))
        if result.rowcount != 1:
            raise Conflict(f"conflict: {case.number} changed while you were acting; nothing written",
                           key="changed_meanwhile", number=case.number)
        self._project_deadlines(case, loaded[1] if loaded is not None else None)
        self._owe_deliveries(case.number, events)
        now = self.recorded_clock()
        put_summary(self.conn, snap, case.created_at or now, now)  # same transaction (issue 17)

    def _owe_deliveries(self, number: str, events: Sequence[Event]) -> None:
        """The pending-delivery rows, in the same transaction as the event that owes the delivery."""
        for ev in events:
            what = OWES_DELIVERY.get(ev.type)
            if what is None:
                continue
            values = {"owed_at": ev.occurred_at}
            self.conn.execute(upsert(self.conn, t.pending_deliveries)
                              .values(case_number=number, what=what, **values)
                              .on_conflict_do_update(index_elements=["case_number", "what"], set_=values))

    def owed_deliveries(self) -> list[dict[str, Any]]:
        """What may still be owed to be sent (case_number, what, owed_at): a few rows, whatever the archive holds."""
        p = t.pending_deliveries.c
        stmt = select(p.case_number, p.what, p.owed_at).order_by(p.owed_at, p.case_number, p.what)
        return [dict(r) for r in self.conn.execute(stmt).mappings()]

    def settle_delivery(self, number: str, what: str, owed_at: datetime) -> None:
        """Nothing more is owed for that row (unless a later event owed it again: its owed_at moved on)."""
        p = t.pending_deliveries.c
        self.conn.execute(delete(t.pending_deliveries).where(p.case_number == number, p.what == what,
                                                             p.owed_at == owed_at))

    def _project_deadlines(self, case: Case, known: dict[str, dict[str, Any]] | None = None) -> None:
        """Deadlines as rows, in the same transaction as the transition that armed or resolved them. KNOWN: the rows
        as the locked load found them (its snapshot's deadlines); only what differs is written, without reading."""
        if known is None:
            known = {i: {} for i in self.conn.execute(
                select(t.deadlines.c.id).where(t.deadlines.c.case_number == case.number)).scalars()}
        for d in case.deadlines:
            values = _deadline_values(case.number, d)
            if d.id not in known:
                self.conn.execute(insert(t.deadlines).values(id=d.id, **values))
            elif known[d.id] != values:
                self.conn.execute(update(t.deadlines).where(t.deadlines.c.id == d.id).values(**values))

    def next_number(self, prefix: str, year: int) -> str:
        return f"{prefix}-{year}-{next_value(self.conn, f'case:{prefix}:{year}'):04d}"


def _deadline_values(number: str, d: Deadline) -> dict[str, Any]:
    return dict(case_number=number, kind=d.kind, start_at=d.start_at, working_days=d.working_days, due_at=d.due_at,
                due_date=d.due_date, calendar_version=d.calendar_version, provisional=d.provisional, status=d.status,
                explanation=d.explanation, resolved_at=d.resolved_at, supersedes=d.supersedes)


class SqlBlobStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def put(self, sha256: str, data: bytes) -> None:
        """Insert-or-ignore: two cases attaching the same bytes at the same moment both succeed (the content is the
        key, so whichever row lands is the right one)."""
        exists = self.conn.execute(select(t.blobs.c.sha256).where(t.blobs.c.sha256 == sha256)).first()
        if not exists:
            self.conn.execute(upsert(self.conn, t.blobs).values(sha256=sha256, size=len(data), data=data,
                                                                created_at=wall())
                              .on_conflict_do_nothing(index_elements=["sha256"]))

    def get(self, sha256: str) -> bytes | None:
        return self.conn.execute(select(t.blobs.c.data).where(t.blobs.c.sha256 == sha256)).scalar()
