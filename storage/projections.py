"""The summary projection (workflow.listing): written in the same transaction as each event (SqlCaseRepository
calls `put_summary` where it saves the case row), read by lists, the dashboard, search and export. Search: SQLite's
FTS5 trigram table for terms of three characters or more, LIKE for shorter ones; PostgreSQL ILIKE, served by the
pg_trgm GIN index (migration 0011_case_summary)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    and_,
    case,
    column,
    delete,
    false,
    func,
    or_,
    select,
    text,
    true,
)

from states.status import CaseStatus
from storage import tables as t
from storage.common import upsert
from storage.summary_tables import case_summaries
from workflow.listing import ListQuery, Page, ViewScope, summary_of

S = case_summaries.c
TRIGRAM = 3  # FTS5's trigram tokenizer matches terms of at least three characters
STATUS_ORDER = {str(s): i for i, s in enumerate(CaseStatus)}


def summary_values(snap: Mapping[str, Any]) -> dict[str, Any]:
    # The dashboard's own words for "who answers now" and "what it waits for" (imported here, not at the top:
    # workflow.queries imports the use cases, which a migration need not load before it needs them).
    from workflow.queries import responsible, waiting_on

    return summary_of(snap, responsible(snap), waiting_on(snap))


_UPSERTS: dict[tuple[str, tuple[str, ...]], Any] = {}


def _summary_upsert(conn: Connection, keys: tuple[str, ...]) -> Any:
    """The upsert of a summary row, built once per dialect and set of columns: the values go as parameters (building
    the statement around them cost more than its round trip)."""
    found = _UPSERTS.get((conn.dialect.name, keys))
    if found is None:
        ins = upsert(conn, case_summaries)
        found = ins.on_conflict_do_update(index_elements=["number"], set_={k: ins.excluded[k] for k in keys}) \
            .returning(S.id)
        _UPSERTS[(conn.dialect.name, keys)] = found
    return found


def put_summary(conn: Connection, snap: Mapping[str, Any], created_at: datetime, updated_at: datetime) -> None:
    """Insert or replace the summary row of the case SNAP (and its search entry), in the caller's transaction."""
    values = summary_values(snap) | {"updated_at": updated_at}
    # One statement (an upsert on the unique number) rather than a SELECT then an INSERT or UPDATE: a round trip
    # less per command (issue 17). The row keeps its id and created_at when it exists.
    row_id = conn.execute(_summary_upsert(conn, tuple(values)), {"created_at": created_at, **values}).scalar_one()
    if conn.dialect.name == "sqlite":
        conn.execute(text("DELETE FROM case_search WHERE rowid = :id"), {"id": row_id})
        conn.execute(text("INSERT INTO case_search (rowid, body) VALUES (:id, :body)"),
                     {"id": row_id, "body": values["search"]})


def forget_summary(conn: Connection, number: str) -> None:
    """A purged case leaves no summary (nor search entry) behind."""
    row_id = conn.execute(select(S.id).where(S.number == number)).scalar()
    if row_id is None:
        return
    if conn.dialect.name == "sqlite":
        conn.execute(text("DELETE FROM case_search WHERE rowid = :id"), {"id": row_id})
    conn.execute(delete(case_summaries).where(S.id == row_id))


def fill_summaries(conn: Connection) -> int:
    """Fill the projection from every stored case (the migration's back-fill); returns how many rows."""
    n = 0
    for raw, created, updated in conn.execute(select(t.cases.c.snapshot, t.cases.c.created_at,
                                                     t.cases.c.updated_at)):
        put_summary(conn, json.loads(raw), created, updated)
        n += 1
    return n


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(col: ColumnElement[str], value: str, pg: bool) -> ColumnElement[bool]:
    pattern = f"%{_escape_like(value)}%"
    return col.ilike(pattern, escape="\\") if pg else col.like(pattern, escape="\\")


def scope_clause(scope: ViewScope) -> ColumnElement[bool]:
    """ViewScope.admits as SQL."""
    if scope.everything:
        return true()
    if scope.institution is not None:
        return or_(S.applicant == scope.institution, S.status != str(CaseStatus.drafted), S.joint_only == true())
    if scope.expert is not None:
        return and_(S.status != str(CaseStatus.drafted),
                    S.panel.like(f"%,{_escape_like(scope.expert)},%", escape="\\"))
    return false()


class SqlCaseSummaries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"

    def _term(self, i: int, term: str) -> ColumnElement[bool]:
        if self.pg or len(term) < TRIGRAM:
            return _contains(S.search, term, self.pg)
        phrase = '"' + term.replace('"', '""') + '"'  # one FTS5 string: a substring, never query syntax
        found = text(f"SELECT rowid FROM case_search WHERE case_search MATCH :term{i}").bindparams(
            **{f"term{i}": phrase}).columns(column("rowid", Integer))
        return S.id.in_(found)

    def _where(self, q: ListQuery, *, with_status: bool = True) -> list[ColumnElement[bool]]:
        where = [scope_clause(q.scope)]
        where += [self._term(i, term) for i, term in enumerate(q.terms)]
        if with_status and q.status:
            where.append(S.status == q.status)
        if q.institution:
            where.append(or_(S.applicant == q.institution, S.lead == q.institution))
        if q.year:
            where.append(S.year == q.year)
        if q.waiting_nobody:
            where.append(false())
        if q.waiting_institution:
            where.append(S.responsible == q.waiting_institution)
        if q.waiting_expert:
            where.append(S.experts_owing.like(f"%,{_escape_like(q.waiting_expert)},%", escape="\\"))
        return where

    def _order(self, sort: str) -> list[Any]:
        by_deadline = [S.due_sort]  # indexed with the number: a page reads its rows, not all of them
        if sort == "number":
            return [S.number]
        if sort == "updated":
            return [S.updated_at.desc(), S.number]
        if sort == "status":
            return [case(STATUS_ORDER, value=S.status, else_=len(STATUS_ORDER)), *by_deadline, S.number]
        return [*by_deadline, S.number]

    def page(self, query: ListQuery, total: int | None = None) -> Page:
        """One page; TOTAL when the caller has counted already (counts() did), else counted here."""
        where = self._where(query)
        if total is None:
            total = int(self.conn.execute(select(func.count()).select_from(case_summaries).where(*where))
                        .scalar_one())
        stmt = select(case_summaries).where(*where).order_by(*self._order(query.sort))
        if query.limit:
            stmt = stmt.limit(query.limit).offset(query.offset)
        return Page([dict(r) for r in self.conn.execute(stmt).mappings()], total)

    def counts(self, query: ListQuery, now: datetime, soon: date) -> tuple[dict[str, int], dict[str, int]]:
        """One scan: rows by status (the status filter left out) with their urgencies, summed over the filtered
        status (or all)."""
        armed = S.next_due_at.is_not(None)
        overdue = and_(armed, S.next_due_at <= now)
        due_soon = and_(armed, S.next_due_at > now, S.next_due_date < soon.isoformat())
        on_track = and_(armed, S.next_due_at > now, S.next_due_date >= soon.isoformat())

        def n(cond: ColumnElement[bool]) -> Any:
            return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

        by_status = {str(s): 0 for s in CaseStatus}
        urgency = {"overdue": 0, "due_soon": 0, "on_track": 0}
        rows = self.conn.execute(select(S.status, func.count(), n(overdue), n(due_soon), n(on_track))
                                 .where(*self._where(query, with_status=False)).group_by(S.status))
        for status, count, late, soon_, fine in rows:
            by_status[str(status)] = int(count)
            if query.status is None or str(status) == query.status:
                urgency["overdue"] += int(late)
                urgency["due_soon"] += int(soon_)
                urgency["on_track"] += int(fine)
        return by_status, urgency

    def years(self, scope: ViewScope) -> list[str]:
        found = self.conn.execute(select(S.year).where(scope_clause(scope), S.year != "").distinct()).scalars()
        return sorted(found, reverse=True)

    def similar(self, scope: ViewScope, producer: str, model: str, reports: Sequence[str],
                exclude: str | None = None) -> list[dict[str, Any]]:
        same: list[ColumnElement[bool]] = []
        if producer.strip():
            same.append(S.producer == producer.strip())
        if model.strip():
            same.append(S.model == model.strip())
        same += [S.report_numbers.like(f"%\n{_escape_like(r.strip())}\n%", escape="\\")
                 for r in reports if r.strip()]
        if not same:
            return []
        stmt = select(S.number, S.status, S.applicant, S.product_name, S.model, S.producer, S.report_numbers) \
            .where(scope_clause(scope), or_(*same)).order_by(S.number).limit(20)
        if exclude:
            stmt = stmt.where(S.number != exclude)
        return [dict(r) for r in self.conn.execute(stmt).mappings()]
