"""The ports the use cases need, as Protocols; storage/, scheduler/ and the shell provide them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from states.case import Case, Event
from workflow.listing import CaseSummaries


class Clock(Protocol):
    def now(self) -> datetime: ...


class DueDateLike(Protocol):
    due: date
    due_at: datetime
    provisional: bool
    calendar_version: str

    def explain(self) -> str: ...


class YearLike(Protocol):
    year: int
    notice: str
    source: str

    @property
    def digest(self) -> str: ...

    def canonical(self) -> str: ...


class WorkingCalendarPort(Protocol):
    @property
    def version(self) -> str: ...

    def due_from(self, start_at: datetime, n: int) -> DueDateLike: ...

    def load(self, year: Any) -> None: ...

    def is_workday(self, d: date) -> bool: ...


@dataclass(frozen=True)
class User:
    name: str
    role: str  # liaison | expert | auditor | admin
    institution: str | None = None
    expert_id: str | None = None
    display_name: str = ""
    email: str | None = None
    email_notices: bool = True  # the person's preference (issue 12): mail on or off; the inbox is always on
    phone: str | None = None
    active: bool = True  # a disabled user signs in nowhere (CLI, pages, API) until enabled again


@dataclass(frozen=True)
class Expert:
    id: str
    name: str
    field: str
    employer: str
    title: str
    province: str
    active: bool = True


@dataclass(frozen=True)
class AuditedCase:
    """One case as `audit verify` reads it: its events in order, what its hash chain says, and its row (snapshot and
    columns; None when the row is missing). Read for every case in a few streamed queries, not per case (issue 17)."""

    number: str
    events: list[StoredEvent]
    chain_findings: list[str]
    snapshot: dict[str, Any] | None
    columns: dict[str, Any] | None


@dataclass(frozen=True)
class StoredEvent:
    """An event as the log keeps it: the domain event plus its place in the chain."""

    case_number: str
    seq: int
    event: Event
    recorded_at: datetime
    prev_hash: str
    hash: str
    key_id: str | None = None  # the audit key of an HMAC; None: the older, unkeyed SHA-256


@dataclass(frozen=True)
class Policy:
    """What the regulation leaves to configuration (members, rotation, timers): frozen, validated by the shell."""

    members: Mapping[str, str]  # code -> name
    rotation_order: Sequence[str]
    first_term_start: date
    term_months: int = 12
    timers: Mapping[str, int] = field(default_factory=lambda: {"expert_analysis": 3, "convening": 5, "tracking": 20})
    case_prefix: str = "YRD"
    minutes_title: str = "长三角缺陷消费品专家会诊会议纪要"
    provinces: Mapping[str, str] = field(default_factory=dict)  # code -> 上海市, for the printed papers
    retention_years: int = 5  # Art. 9: records kept this long after the case is closed, then appraised


class CaseRepository(Protocol):
    def load(self, number: str, *, lock: bool = True) -> Case | None: ...

    def add(self, case: Case, events: Sequence[Event]) -> None: ...

    def save(self, case: Case, events: Sequence[Event], expected_version: int) -> None: ...

    def events(self, number: str) -> list[StoredEvent]: ...

    def snapshot(self, number: str) -> dict[str, Any] | None: ...

    def columns(self, number: str) -> dict[str, Any] | None:
        """The case row's own columns (status, applicant, lead, outcome, version, last_hash) that lists filter on."""
        ...

    def summaries(self, status: str | None = None) -> list[dict[str, Any]]: ...

    def next_number(self, prefix: str, year: int) -> str: ...

    def owed_deliveries(self) -> list[dict[str, Any]]: ...

    def settle_delivery(self, number: str, what: str, owed_at: datetime) -> None: ...

    def numbers(self) -> list[str]: ...

    def heads(self) -> list[tuple[str, int, str]]:
        """Every case's log head (number, last seq, last hash), in number order: one query, not a read of every
        case's events (a daily checkpoint states it)."""
        ...

    def chain_findings(self, number: str) -> list[str]:
        """Recompute the hash chain of one case; one line per broken, missing or reordered event."""
        ...

    def audited(self, number: str | None = None) -> Iterator[AuditedCase]:
        """Every case (or the one named), in number order, with its events, chain findings and row: what `audit
        verify` checks, streamed in a few queries whatever the number of cases."""
        ...

    def hash_kinds(self) -> dict[str, int]:
        """How many events are keyed (HMAC under the audit key) and how many of the older, unkeyed kind."""
        ...


class UserRepository(Protocol):
    def get(self, name: str) -> User | None: ...

    def add(self, user: User, password_hash: str | None = None) -> None: ...

    def all(self) -> list[User]: ...

    def liaisons_of(self, institution: str) -> list[User]: ...

    def set_email_notices(self, name: str, on: bool) -> None: ...

    def update(self, user: User) -> None:
        """Keep USER's role, institution, expert id, display name, email, phone and active flag (not the password)."""
        ...

    def log_action(self, at: datetime, actor: str, action: str, target: str, detail: Mapping[str, Any]) -> None:
        """One line of the admin's trail (people, the pool, the calendar)."""
        ...

    def actions(self, limit: int = 200) -> list[dict[str, Any]]:
        """The admin's trail, newest first."""
        ...


class ExpertRepository(Protocol):
    def get(self, expert_id: str) -> Expert | None: ...

    def add(self, expert: Expert) -> None: ...

    def all(self) -> list[Expert]: ...

    def next_id(self) -> str: ...

    def update(self, expert: Expert) -> None: ...


class BlobStore(Protocol):
    def put(self, sha256: str, data: bytes) -> None: ...

    def get(self, sha256: str) -> bytes | None: ...


class DeadlineQueries(Protocol):
    def armed(self, due_before: datetime | None = None) -> list[dict[str, Any]]: ...

    def next_due_after(self, after: datetime) -> datetime | None: ...

    def open_cases(self) -> list[str]: ...

    def corrections_owed(self) -> list[dict[str, Any]]: ...


class ReminderLedger(Protocol):
    def claim(self, row: dict[str, Any]) -> int | None: ...

    def known_keys(self, prefix: str) -> set[str]: ...

    def present(self, keys: Iterable[str]) -> set[str]: ...

    def reclaim(self, reminder_id: int, now: datetime, stale_before: datetime, max_attempts: int,
                retry_before: datetime | None = None) -> dict[str, Any] | None: ...

    def retry_candidates(self, stale_before: datetime, max_attempts: int,
                         retry_before: datetime | None = None, with_times: bool = False) -> list[Any]: ...

    def revive(self, ids: Sequence[int] | None, now: datetime) -> list[int]: ...

    def mark_sent(self, reminder_id: int, at: datetime) -> None: ...

    def mark_failed(self, reminder_id: int, error: str, give_up: bool = False) -> None: ...

    def list(self, case_number: str | None = None, status: str | None = None) -> list[dict[str, Any]]: ...


class Inbox(Protocol):
    def deliver(self, key: str, recipient: str, case_number: str | None, subject: str, body: str,
                at: datetime) -> bool: ...

    def of(self, recipient: str) -> list[dict[str, Any]]: ...

    def mark_read(self, recipient: str, at: datetime) -> int: ...


class CalendarYears(Protocol):
    def put(self, year: int, notice: str, digest: str, content: str, source: str, loaded_by: str,
            at: datetime) -> None: ...

    def all(self) -> list[dict[str, Any]]: ...

    def fingerprint(self) -> str: ...


class RetentionStore(Protocol):
    """Tombstones of purged cases (their own hash chain) and the deletion of a purged case's rows."""

    def tombstone(self, number: str) -> dict[str, Any] | None: ...

    def tombstones(self, batch: str | None = None) -> list[dict[str, Any]]: ...

    def next_batch(self, year: int) -> str: ...

    def add_tombstone(self, row: dict[str, Any]) -> dict[str, Any]: ...

    def delete_case(self, number: str) -> dict[str, int]: ...

    def issued_numbers(self, prefix: str) -> list[str]: ...

    def findings(self) -> list[str]: ...


class ReadLog(Protocol):
    """Who opened or downloaded which paper, material or expert record (issue 14); not in any event chain."""

    def add(self, row: dict[str, Any]) -> None: ...

    def list(self, case_number: str | None = None, user_name: str | None = None, since: datetime | None = None,
             until: datetime | None = None, limit: int = 5000) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Attachment:
    filename: str
    mime: str  # e.g. "application/pdf", "text/calendar; method=REQUEST"
    data: bytes


@dataclass(frozen=True)
class Message:
    """One message (a reminder, an invitation, the minutes) to one person over one channel.
    `key` is the ledger's unique key, and doubles as the receiver's idempotency key."""

    key: str
    recipient: User
    case_number: str
    subject: str
    body: str
    deadline_kind: str  # "" when the message is not about a deadline
    reminder_kind: str  # before | overdue | invitation | minutes
    due_at: datetime
    attachments: tuple[Attachment, ...] = ()


class Channel(Protocol):
    """A way to reach people (email, webhook). The in-app inbox is written in the ledger's own transaction."""

    name: str

    def accepts(self, user: User) -> bool: ...

    def send(self, message: Message) -> None:
        """Deliver or raise; a raise is logged and retried by the next sweep."""
        ...


class UnitOfWork(Protocol):
    cases: CaseRepository
    users: UserRepository
    experts: ExpertRepository
    blobs: BlobStore
    deadlines: DeadlineQueries
    reminders: ReminderLedger
    inbox: Inbox
    calendar_years: CalendarYears
    retention: RetentionStore
    reads: ReadLog
    summaries: CaseSummaries

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(self, *exc: object) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, readonly: bool = False) -> UnitOfWork: ...

