"""An in-memory unit of work satisfying workflow.ports: use cases and permission rules run in milliseconds, without
a database (tests/unit). It ships beside the ports so anyone who writes a use case can test it the same way.

Like the real one, a unit of work is all or nothing: it works on a copy of the store and writes the copy back only
on `commit()`, so a refusal leaves the store exactly as it was. The event chain is hashed with plain SHA-256 (the
keyed hash is storage's business); `chain_findings` recomputes it.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from states.beijing import BEIJING
from states.case import Case, Event
from states.errors import Conflict
from states.status import CaseStatus
from workflow.listing import ListQuery, Page, ViewScope, summary_of
from workflow.ports import AuditedCase, Expert, Policy, StoredEvent, User

GENESIS = "0" * 64


def _hash(number: str, seq: int, event: Event, prev: str) -> str:
    body = json.dumps([number, seq, event.type, event.schema_version, event.actor, event.occurred_at.isoformat(),
                       event.payload, prev], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass
class FakeData:
    """Everything a fake database holds."""

    cases: dict[str, Case] = field(default_factory=dict)
    events: dict[str, list[StoredEvent]] = field(default_factory=dict)
    users: dict[str, tuple[User, str | None]] = field(default_factory=dict)
    experts: dict[str, Expert] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    reminders: list[dict[str, Any]] = field(default_factory=list)
    inbox: list[dict[str, Any]] = field(default_factory=list)
    calendar_years: dict[int, dict[str, Any]] = field(default_factory=dict)
    tombstones: list[dict[str, Any]] = field(default_factory=list)
    admin_actions: list[dict[str, Any]] = field(default_factory=list)
    reads: list[dict[str, Any]] = field(default_factory=list)
    pending: dict[tuple[str, str], datetime] = field(default_factory=dict)

    def next(self, name: str) -> int:
        self.counters[name] = self.counters.get(name, 0) + 1
        return self.counters[name]


class FakeCases:
    def __init__(self, data: FakeData, now: datetime) -> None:
        self.data = data
        self.now = now

    def load(self, number: str, *, lock: bool = True) -> Case | None:
        found = self.data.cases.get(number)
        return copy.deepcopy(found) if found is not None else None

    def _append(self, number: str, events: Sequence[Event]) -> None:
        stored = self.data.events.setdefault(number, [])
        prev = stored[-1].hash if stored else GENESIS
        for ev in events:
            seq = len(stored) + 1
            h = _hash(number, seq, ev, prev)
            stored.append(StoredEvent(number, seq, ev, self.now, prev, h))
            prev = h

    def add(self, case: Case, events: Sequence[Event]) -> None:
        if case.number in self.data.cases:
            raise Conflict(f"conflict: {case.number} exists already", key="changed_meanwhile", number=case.number)
        self._append(case.number, events)
        self.data.cases[case.number] = copy.deepcopy(case)

    def save(self, case: Case, events: Sequence[Event], expected_version: int) -> None:
        if not events:
            return
        stored = self.data.cases[case.number]
        if stored.version != expected_version:
            raise Conflict(f"conflict: {case.number} changed while you were acting; nothing written",
                           key="changed_meanwhile", number=case.number)
        self._append(case.number, events)
        self.data.cases[case.number] = copy.deepcopy(case)
        owes = {"MeetingScheduled": "invitation", "MeetingCancelled": "invitation", "MinutesIssued": "minutes"}
        for ev in events:
            if ev.type in owes:
                self.data.pending[(case.number, owes[ev.type])] = ev.occurred_at

    def owed_deliveries(self) -> list[dict[str, Any]]:
        return [{"case_number": n, "what": w, "owed_at": at} for (n, w), at in sorted(self.data.pending.items())]

    def settle_delivery(self, number: str, what: str, owed_at: datetime) -> None:
        if self.data.pending.get((number, what)) == owed_at:
            del self.data.pending[(number, what)]

    def events(self, number: str) -> list[StoredEvent]:
        return list(self.data.events.get(number, []))

    def snapshot(self, number: str) -> dict[str, Any] | None:
        found = self.data.cases.get(number)
        return found.to_dict() if found is not None else None

    def columns(self, number: str) -> dict[str, Any] | None:
        found = self.data.cases.get(number)
        if found is None:
            return None
        stored = self.data.events.get(number, [])
        return {"status": str(found.status), "applicant": found.applicant, "lead": found.lead,
                "outcome": str(found.outcome) if found.outcome else None, "version": found.version,
                "last_hash": stored[-1].hash if stored else None}

    def summaries(self, status: str | None = None) -> list[dict[str, Any]]:
        return [c.to_dict() for n, c in sorted(self.data.cases.items()) if status is None or str(c.status) == status]

    def next_number(self, prefix: str, year: int) -> str:
        return f"{prefix}-{year}-{self.data.next(f'case:{prefix}:{year}'):04d}"

    def numbers(self) -> list[str]:
        return sorted(set(self.data.cases) | set(self.data.events))

    def heads(self) -> list[tuple[str, int, str]]:
        return [(n, ev[-1].seq, ev[-1].hash) for n, ev in sorted(self.data.events.items()) if ev]

    def hash_kinds(self) -> dict[str, int]:
        return {"keyed": 0, "older": sum(len(v) for v in self.data.events.values())}

    def audited(self, number: str | None = None) -> Iterator[AuditedCase]:
        for n in [number] if number else self.numbers():
            yield AuditedCase(n, self.events(n), self.chain_findings(n), self.snapshot(n), self.columns(n))

    def chain_findings(self, number: str) -> list[str]:
        prev, found = GENESIS, []
        for s in self.data.events.get(number, []):
            if s.prev_hash != prev or _hash(number, s.seq, s.event, s.prev_hash) != s.hash:
                found.append(f"{number} event {s.seq}: does not match its hash")
            prev = s.hash
        return found


class FakeSummaries:
    """The summary projection computed from the cases on each read (the SQL one is written with each event)."""

    def __init__(self, data: FakeData) -> None:
        self.data = data

    def _rows(self) -> list[dict[str, Any]]:
        from workflow.queries import responsible, waiting_on  # the dashboard's words

        out = []
        for c in self.data.cases.values():
            snap = c.to_dict()
            at = c.created_at or datetime(2000, 1, 1, tzinfo=UTC)
            out.append(summary_of(snap, responsible(snap), waiting_on(snap)) | {"created_at": at, "updated_at": at})
        return out

    def page(self, query: ListQuery, total: int | None = None) -> Page:
        rows = query.order([r for r in self._rows() if query.admits(r)])
        shown = rows[query.offset:query.offset + query.limit] if query.limit else rows
        return Page(shown, len(rows) if total is None else total)

    def counts(self, query: ListQuery, now: datetime, soon: date) -> tuple[dict[str, int], dict[str, int]]:
        by_status = {str(s): 0 for s in CaseStatus}
        urgency = {"overdue": 0, "due_soon": 0, "on_track": 0}
        for r in self._rows():
            if query.admits(r, with_status=False):
                by_status[r["status"]] += 1
            if query.admits(r) and r["next_due_at"] is not None:
                key = ("overdue" if r["next_due_at"] <= now else
                       "due_soon" if r["next_due_date"] < soon.isoformat() else "on_track")
                urgency[key] += 1
        return by_status, urgency

    def years(self, scope: ViewScope) -> list[str]:
        return sorted({r["year"] for r in self._rows() if scope.admits(r) and r["year"]}, reverse=True)

    def similar(self, scope: ViewScope, producer: str, model: str, reports: Sequence[str],
                exclude: str | None = None) -> list[dict[str, Any]]:
        wanted = {f"\n{r.strip()}\n" for r in reports if r.strip()}
        return [r for r in sorted(self._rows(), key=lambda r: r["number"])
                if scope.admits(r) and r["number"] != exclude
                and ((producer.strip() and r["producer"] == producer.strip())
                     or (model.strip() and r["model"] == model.strip())
                     or any(w in r["report_numbers"] for w in wanted))][:20]


class FakeUsers:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def get(self, name: str) -> User | None:
        found = self.data.users.get(name)
        return found[0] if found else None

    def add(self, user: User, password_hash: str | None = None) -> None:
        if user.name in self.data.users:
            raise Conflict(f"conflict: user {user.name!r} exists already", key="user_exists", name=user.name)
        self.data.users[user.name] = (user, password_hash)

    def all(self) -> list[User]:
        return [u for _, (u, _h) in sorted(self.data.users.items())]

    def liaisons_of(self, institution: str) -> list[User]:
        return [u for u in self.all() if u.role == "liaison" and u.institution == institution and u.active]

    def set_email_notices(self, name: str, on: bool) -> None:
        user, password_hash = self.data.users[name]
        self.data.users[name] = (replace(user, email_notices=on), password_hash)

    def update(self, user: User) -> None:
        _old, password_hash = self.data.users[user.name]
        self.data.users[user.name] = (user, password_hash)

    def log_action(self, at: datetime, actor: str, action: str, target: str, detail: Mapping[str, Any]) -> None:
        self.data.admin_actions.append({"id": len(self.data.admin_actions) + 1, "at": at, "actor": actor,
                                        "action": action, "target": target, "detail": dict(detail)})

    def actions(self, limit: int = 200) -> list[dict[str, Any]]:
        return list(reversed(self.data.admin_actions))[:limit]


class FakeExperts:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def get(self, expert_id: str) -> Expert | None:
        return self.data.experts.get(expert_id)

    def add(self, expert: Expert) -> None:
        self.data.experts[expert.id] = expert

    def all(self) -> list[Expert]:
        return [e for _, e in sorted(self.data.experts.items())]

    def next_id(self) -> str:
        return f"E{self.data.next('expert'):04d}"

    def update(self, expert: Expert) -> None:
        self.data.experts[expert.id] = expert


class FakeBlobs:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def put(self, sha256: str, data: bytes) -> None:
        self.data.blobs.setdefault(sha256, data)

    def get(self, sha256: str) -> bytes | None:
        return self.data.blobs.get(sha256)


class FakeDeadlines:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def armed(self, due_before: datetime | None = None) -> list[dict[str, Any]]:
        rows = []
        for case in self.data.cases.values():
            for d in case.deadlines:
                if d.status == "armed" and (due_before is None or d.due_at <= due_before):
                    rows.append(d.to_dict() | {"case_number": case.number, "applicant": case.applicant,
                                               "lead": case.lead, "case_status": str(case.status),
                                               "due_at": d.due_at, "start_at": d.start_at})
        return sorted(rows, key=lambda r: (r["due_at"], r["id"]))

    def next_due_after(self, after: datetime) -> datetime | None:
        later = [r["due_at"] for r in self.armed() if r["due_at"] > after]
        return min(later) if later else None

    def corrections_owed(self) -> list[dict[str, Any]]:
        return []

    def open_cases(self) -> list[str]:
        return sorted({r["case_number"] for r in self.armed()})


class FakeReminders:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def claim(self, row: dict[str, Any]) -> int | None:
        if any(r["key"] == row["key"] for r in self.data.reminders):
            return None
        rid = len(self.data.reminders) + 1
        self.data.reminders.append({"status": "claimed", "attempts": 1, "last_error": None} | row | {"id": rid})
        return rid

    def known_keys(self, prefix: str) -> set[str]:
        return {r["key"] for r in self.data.reminders if str(r["key"]).startswith(prefix)}

    def present(self, keys: Iterable[str]) -> set[str]:
        return set(keys) & {r["key"] for r in self.data.reminders}

    def reclaim(self, reminder_id: int, now: datetime, stale_before: datetime, max_attempts: int,
                retry_before: datetime | None = None) -> dict[str, Any] | None:
        return None

    def retry_candidates(self, stale_before: datetime, max_attempts: int,
                         retry_before: datetime | None = None, with_times: bool = False) -> list[Any]:
        return []

    def revive(self, ids: Sequence[int] | None, now: datetime) -> list[int]:
        return []

    def mark_sent(self, reminder_id: int, at: datetime) -> None:
        self.data.reminders[reminder_id - 1].update(status="sent", sent_at=at)

    def mark_failed(self, reminder_id: int, error: str, give_up: bool = False) -> None:
        self.data.reminders[reminder_id - 1].update(status="abandoned" if give_up else "failed", last_error=error)

    def list(self, case_number: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        return [dict(r) for r in self.data.reminders if (case_number is None or r.get("case_number") == case_number)
                and (status is None or r.get("status") == status)]


class FakeInbox:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def deliver(self, key: str, recipient: str, case_number: str | None, subject: str, body: str,
                at: datetime) -> bool:
        if any(m["key"] == key for m in self.data.inbox):
            return False
        self.data.inbox.append({"key": key, "recipient": recipient, "case_number": case_number, "subject": subject,
                                "body": body, "created_at": at, "read_at": None})
        return True

    def of(self, recipient: str) -> list[dict[str, Any]]:
        return [dict(m) for m in self.data.inbox if m["recipient"] == recipient]

    def mark_read(self, recipient: str, at: datetime) -> int:
        unread = [m for m in self.data.inbox if m["recipient"] == recipient and m["read_at"] is None]
        for m in unread:
            m["read_at"] = at
        return len(unread)


class FakeCalendarYears:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def put(self, year: int, notice: str, digest: str, content: str, source: str, loaded_by: str,
            at: datetime) -> None:
        self.data.calendar_years[year] = {"year": year, "notice": notice, "digest": digest, "content": content,
                                          "source": source, "loaded_by": loaded_by, "loaded_at": at}

    def all(self) -> list[dict[str, Any]]:
        return [dict(v) for _, v in sorted(self.data.calendar_years.items())]

    def fingerprint(self) -> str:
        return ",".join(f"{y}:{v['digest']}" for y, v in sorted(self.data.calendar_years.items()))


class FakeRetention:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def tombstone(self, number: str) -> dict[str, Any] | None:
        return next((dict(t) for t in self.data.tombstones if t["number"] == number), None)

    def tombstones(self, batch: str | None = None) -> list[dict[str, Any]]:
        return [dict(t) for t in self.data.tombstones if batch is None or t["batch"] == batch]

    def next_batch(self, year: int) -> str:
        return f"{year}-{self.data.next(f'destruction:{year}'):03d}"

    def add_tombstone(self, row: dict[str, Any]) -> dict[str, Any]:
        self.data.tombstones.append(dict(row))
        return dict(row)

    def delete_case(self, number: str) -> dict[str, int]:
        events = len(self.data.events.pop(number, []))
        cases = 1 if self.data.cases.pop(number, None) is not None else 0
        return {"events": events, "cases": cases}

    def issued_numbers(self, prefix: str) -> list[str]:
        out: list[str] = []
        for name, value in self.data.counters.items():
            if name.startswith(f"case:{prefix}:"):
                year = name.rsplit(":", 1)[-1]
                out.extend(f"{prefix}-{year}-{n:04d}" for n in range(1, value + 1))
        return sorted(out)

    def findings(self) -> list[str]:
        return []


class FakeReads:
    def __init__(self, data: FakeData) -> None:
        self.data = data

    def add(self, row: dict[str, Any]) -> None:
        self.data.reads.append({"id": len(self.data.reads) + 1, **row})

    def list(self, case_number: str | None = None, user_name: str | None = None, since: datetime | None = None,
             until: datetime | None = None, limit: int = 5000) -> list[dict[str, Any]]:
        rows = [dict(r) for r in reversed(self.data.reads)
                if (not case_number or r["case_number"] == case_number) and (not user_name or r["user_name"] == user_name)
                and (since is None or r["at"] >= since) and (until is None or r["at"] < until)]
        return rows[:limit]


class FakeUnitOfWork:
    """One transaction over a copy of the store; `commit()` writes the copy back."""

    def __init__(self, store: FakeStore, readonly: bool) -> None:
        self.store = store
        self.readonly = readonly

    def __enter__(self) -> FakeUnitOfWork:
        self.store.opened += 1
        self.work = copy.deepcopy(self.store.data)
        now = self.store.recorded_at()
        self.cases = FakeCases(self.work, now)
        self.users = FakeUsers(self.work)
        self.experts = FakeExperts(self.work)
        self.blobs = FakeBlobs(self.work)
        self.deadlines = FakeDeadlines(self.work)
        self.reminders = FakeReminders(self.work)
        self.inbox = FakeInbox(self.work)
        self.calendar_years = FakeCalendarYears(self.work)
        self.retention = FakeRetention(self.work)
        self.reads = FakeReads(self.work)
        self.summaries = FakeSummaries(self.work)
        return self

    def __exit__(self, *exc: object) -> None:
        self.work = FakeData()  # whatever was not committed is gone

    def commit(self) -> None:
        if self.readonly:
            raise RuntimeError("a read-only unit of work does not commit")
        self.store.data = self.work
        self.store.commits += 1

    def rollback(self) -> None:
        self.work = copy.deepcopy(self.store.data)


@dataclass
class FakeStore:
    """The fake database and its unit-of-work factory (`Services.uow`). `opened`/`commits` count transactions."""

    data: FakeData = field(default_factory=FakeData)
    opened: int = 0
    commits: int = 0
    clock_at: datetime = field(default_factory=lambda: datetime(2026, 9, 24, 2, 0, tzinfo=UTC))

    def recorded_at(self) -> datetime:
        return self.clock_at

    def __call__(self, readonly: bool = False) -> FakeUnitOfWork:
        return FakeUnitOfWork(self, readonly)


@dataclass
class FakeClock:
    at: datetime = field(default_factory=lambda: datetime(2026, 9, 24, 2, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.at

    def set(self, iso: str) -> None:
        self.at = datetime.fromisoformat(iso).astimezone(UTC)

    def advance(self, **kw: float) -> None:
        self.at = self.at + timedelta(**kw)


@dataclass(frozen=True)
class FakeDue:
    due: date
    due_at: datetime
    provisional: bool = False
    calendar_version: str = "weekdays"

    def explain(self) -> str:
        return f"{self.due.isoformat()} (Monday to Friday, no holidays)"


class WeekdayCalendar:
    """Monday to Friday are working days; the n-th working day after the start day ends at 24:00 Beijing time."""

    version = "weekdays"

    def is_workday(self, d: date) -> bool:
        return d.weekday() < 5

    def load(self, year: Any) -> None:
        return None

    def due_from(self, start_at: datetime, n: int) -> FakeDue:
        day = start_at.astimezone(BEIJING).date()
        left = n
        while left:
            day += timedelta(days=1)
            if self.is_workday(day):
                left -= 1
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=BEIJING)
        return FakeDue(day, end.astimezone(UTC))


MEMBERS = {"SH": "上海市缺陷消费品召回技术机构", "JS": "江苏省缺陷产品召回技术机构", "ZJ": "浙江省缺陷产品召回技术机构",
           "AH": "安徽省缺陷产品召回技术机构"}


def policy() -> Policy:
    """The three provinces and one city; Jiangsu leads in the term that holds 2026 (as in config.yaml)."""
    return Policy(members=MEMBERS, rotation_order=("SH", "JS", "ZJ", "AH"), first_term_start=date(2025, 1, 1))
