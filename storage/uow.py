"""The unit of work over SQLAlchemy Core: one unit of work is one database transaction (BEGIN IMMEDIATE on
SQLite, row locks FOR UPDATE on PostgreSQL). It rolls back unless `commit()` was called, so a refusal anywhere
leaves nothing half-written.

The repositories live by concern: storage.cases (cases, the event chain, blobs), storage.people (users, experts,
institutions), storage.ledger (deadlines, reminders, inbox), storage.retention, storage.calendar_years. The names
the shell imports from here stay here.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from states.errors import Conflict, DomainError
from storage.calendar_years import SqlCalendarYears
from storage.cases import SqlBlobStore, SqlCaseRepository
from storage.chain import Keyring
from storage.common import WallClock, wall
from storage.db import READONLY
from storage.ledger import SqlDeadlineQueries, SqlInbox, SqlReminderLedger
from storage.people import SqlExpertRepository, SqlUserRepository, sync_institutions
from storage.projections import SqlCaseSummaries
from storage.reads import SqlReadLog
from storage.retention import SqlRetentionStore

__all__ = [
    "SqlBlobStore", "SqlCalendarYears", "SqlCaseRepository", "SqlDeadlineQueries", "SqlExpertRepository", "SqlInbox",
    "SqlReminderLedger", "SqlRetentionStore", "SqlUnitOfWork", "SqlUserRepository", "StorageUnavailable",
    "UnitOfWorkFactory", "as_refusal", "as_unavailable", "sync_institutions",
]


DATABASE_ERRORS: tuple[type[Exception], ...] = (DBAPIError,)  # what the web catches as "maybe the database went away"


class StorageUnavailable(DomainError):
    code = "storage_unavailable"


def as_unavailable(exc: BaseException) -> StorageUnavailable | None:
    """The database went away (refused, reset, timed out, a statement cancelled by its timeout, locked too long):
    the one refusal the shell shows as 数据库暂不可用 (503, exit 7). None for anything else (a bug stays a bug)."""
    if isinstance(exc, StorageUnavailable):
        return exc
    if isinstance(exc, OperationalError | InterfaceError) or (
            isinstance(exc, DBAPIError) and exc.connection_invalidated):
        orig = getattr(exc, "orig", None) or exc
        lines = str(orig).strip().splitlines()
        detail = lines[0] if lines else type(orig).__name__
        return StorageUnavailable(f"database: unavailable ({detail})", key="database_unreachable", detail=detail)
    return None


def as_refusal(exc: BaseException) -> DomainError | None:
    """A driver error a person can cause by acting at the same moment as another (a unique key taken between
    our check and our insert) is a conflict: nothing was written, try again. The database going away is
    StorageUnavailable. None for anything else."""
    if isinstance(exc, IntegrityError):
        return Conflict("someone else saved the same thing at the same moment; nothing was written, try again",
                        key="taken_meanwhile")
    return as_unavailable(exc)


class SqlUnitOfWork:
    def __init__(self, engine: Engine, *, readonly: bool = False, recorded_clock: WallClock = wall,
                 keyring: Keyring | None = None) -> None:
        self.engine = engine
        self.readonly = readonly
        self.recorded_clock = recorded_clock
        self.keyring = keyring

    def __enter__(self) -> SqlUnitOfWork:
        try:
            self.conn = self.engine.connect()
        except OperationalError as exc:
            detail = str(exc.orig).strip().splitlines()[0]
            raise StorageUnavailable(f"database: cannot connect ({detail})", key="database_unreachable",
                                     detail=detail) from exc
        if self.readonly:
            self.conn = self.conn.execution_options(**{READONLY: True})
        self.tx = self.conn.begin()
        self.cases = SqlCaseRepository(self.conn, self.recorded_clock, self.keyring)
        self.users = SqlUserRepository(self.conn)
        self.experts = SqlExpertRepository(self.conn)
        self.blobs = SqlBlobStore(self.conn)
        self.deadlines = SqlDeadlineQueries(self.conn)
        self.reminders = SqlReminderLedger(self.conn)
        self.inbox = SqlInbox(self.conn)
        self.calendar_years = SqlCalendarYears(self.conn)
        self.retention = SqlRetentionStore(self.conn, self.keyring)
        self.reads = SqlReadLog(self.conn)
        self.summaries = SqlCaseSummaries(self.conn)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.tx.is_active:
                self.tx.rollback()
        finally:
            self.conn.close()

    def commit(self) -> None:
        self.tx.commit()

    def rollback(self) -> None:
        self.tx.rollback()


class UnitOfWorkFactory:
    """Units of work over one engine. KEYRING (the audit key, kept outside the database) keys every new hash; without
    one, hashes are of the older, unkeyed kind (tests of storage alone)."""

    def __init__(self, engine: Engine, recorded_clock: WallClock = wall, keyring: Keyring | None = None) -> None:
        self.engine = engine
        self.recorded_clock = recorded_clock
        self.keyring = keyring

    def __call__(self, readonly: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, readonly=readonly, recorded_clock=self.recorded_clock,
                             keyring=self.keyring)
