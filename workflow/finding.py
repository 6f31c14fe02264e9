"""Finding cases (issue 14 item 3) on the summary projection (issue 17 item 3): the dashboard's page of rows with
search, sort, filters and "waiting on me", the API's and CLI's case list, the export of a filtered list, and the
earlier cases like a new application. Every read sees only what the viewer may see (workflow.listing.view_scope,
the database form of workflow.permissions.can_view); working days left are counted once per page over the page's
due dates (WorkdayIndex), never per row.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from states.beijing import beijing_day
from states.errors import InvalidInput
from states.status import CaseStatus
from workflow.listing import (
    PAGE_SIZE,
    ListQuery,
    check_mine,
    check_page,
    check_sort,
    search_terms,
    view_scope,
    waiting_filter,
)
from workflow.services import Services, _user

MAX_SPAN_DAYS = 800  # counting working days over a longer span is not useful on a dashboard
YEAR_RE = re.compile(r"^\d{4}$")
ON_TRACK, DUE_SOON, OVERDUE = "on_track", "due_soon", "overdue"


class WorkdayIndex:
    """Working days counted over one span with the calendar asked once per day of the span: built once for a
    page, then each row's count is two bisections."""

    def __init__(self, is_workday: Callable[[date], bool], dates: Iterable[date]) -> None:
        days = sorted(set(dates))
        self.start = days[0] if days else date.today()
        end = min(days[-1], self.start + timedelta(days=2 * MAX_SPAN_DAYS)) if days else self.start
        self.workdays: list[date] = []
        d = self.start
        while d <= end:
            if is_workday(d):
                self.workdays.append(d)
            d += timedelta(days=1)

    def between(self, start: date, end: date) -> int:
        """The working days d with start < d ≤ end (0 when end ≤ start), over at most MAX_SPAN_DAYS."""
        end = min(end, start + timedelta(days=MAX_SPAN_DAYS))
        if end <= start:
            return 0
        return bisect_right(self.workdays, end) - bisect_right(self.workdays, start)


def soon_limit(is_workday: Callable[[date], bool], today: date) -> date:
    """The second working day after TODAY: a deadline due before it has at most one working day left."""
    found, d = 0, today
    while found < 2:
        d += timedelta(days=1)
        found += bool(is_workday(d))
    return d


def deadline_of(row: Mapping[str, Any], now: datetime, today: date, days: WorkdayIndex) -> dict[str, Any] | None:
    """The row's next deadline as the dashboard shows it (the keys of workflow.queries.deadline_view)."""
    if row["next_due_at"] is None:
        return None
    due_at: datetime = row["next_due_at"]
    due_date = date.fromisoformat(str(row["next_due_date"]))
    out: dict[str, Any] = {"id": row["next_id"], "kind": row["next_kind"], "status": "armed",
                           "due_at": due_at.isoformat(), "due_date": row["next_due_date"],
                           "provisional": bool(row["next_provisional"]), "days_left": None, "days_overdue": None}
    if now >= due_at:
        late = days.between(due_date, today)
        out.update(urgency=OVERDUE, days_overdue=late, left_label=f"已超期 {late} 个工作日" if late else "已超期")
        return out
    left = days.between(today, due_date)
    out.update(urgency=DUE_SOON if left <= 1 else ON_TRACK, days_left=left,
               left_label="今日到期" if left == 0 else f"{left} 个工作日")
    return out


def reports_of(row: Mapping[str, Any]) -> list[str]:
    return [r for r in str(row.get("report_numbers") or "").split("\n") if r]


def row_view(row: Mapping[str, Any], now: datetime, today: date, days: WorkdayIndex) -> dict[str, Any]:
    """A summary row as the dashboard's row (the keys it had before the projection) and the API's list item."""
    nxt = deadline_of(row, now, today, days)
    return {
        "number": row["number"],
        "year": row["year"],
        "status": row["status"],
        "outcome": row["outcome"],
        "applicant": row["applicant"],
        "lead": row["lead"],
        "responsible": row["responsible"],
        "waiting_on": row["waiting_on"],
        "product": row["product_name"],
        "model": row["model"],
        "brand": row["brand"],
        "producer": row["producer"],
        "report_numbers": reports_of(row),
        "suspected_defect": row["suspected_defect"],
        "version": row["version"],
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
        "next_deadline": nxt,
        "urgency": nxt["urgency"] if nxt else None,
    }


def _clean(value: str | None) -> str | None:
    return (value or "").strip() or None


def list_query(svc: Services, user: Any, *, state: str | None = None, institution: str | None = None,
               year: str | None = None, q: str | None = None, sort: str | None = None, mine: str | None = None,
               page: int | str | None = 1, limit: int | str | None = PAGE_SIZE, every: bool = False) -> ListQuery:
    """What a person asked for, checked (one refusal naming the field), as a ListQuery for USER."""
    state, year = _clean(state), _clean(year)
    inst = (_clean(institution) or "").upper() or None
    if state is not None and state not in CaseStatus.__members__:
        raise InvalidInput(f"the state must be one of {', '.join(CaseStatus)}, not {state!r}", key="state_unknown",
                           field="state", value=state, allowed=list(CaseStatus))
    if inst is not None and inst not in svc.policy.members:
        raise InvalidInput(f"the institution must be one of {', '.join(svc.policy.members)}, not {inst!r}",
                           key="institution_unknown", field="institution", institution=inst,
                           members=list(svc.policy.members))
    if year is not None and not YEAR_RE.match(year):
        raise InvalidInput(f"the year must have four digits, not {year!r}", key="year_invalid", field="year",
                           value=year)
    p, n = check_page(page, limit)
    return ListQuery(scope=view_scope(user), terms=search_terms(q), status=state, institution=inst, year=year,
                     sort=check_sort(sort), offset=0 if every else (p - 1) * n, limit=0 if every else n,
                     **waiting_filter(user, check_mine(mine)))


def find(svc: Services, actor: str | None, *, with_counts: bool = True, **asked: Any) -> dict[str, Any]:
    """One page of the cases the viewer may see that match what was asked, as dashboard rows; with the counts by
    state (ignoring the state filter, so every state stays one click away) and by urgency, the years there are,
    the page, the number of pages and the filters as understood."""
    now = svc.clock.now()
    today = beijing_day(now)
    is_workday = svc.calendar.is_workday
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        query = list_query(svc, user, **asked)
        counts: dict[str, int] = {}
        urgency: dict[str, int] = {}
        years: list[str] = []
        total: int | None = None
        if with_counts:  # the counts by state give the page's total too: one scan fewer
            counts, urgency = uow.summaries.counts(query, now, soon_limit(is_workday, today))
            total = counts[query.status] if query.status else sum(counts.values())
            years = uow.summaries.years(query.scope)
        found = uow.summaries.page(query, total)
    dates = [today] + [date.fromisoformat(str(r["next_due_date"])) for r in found.rows if r["next_due_date"]]
    days = WorkdayIndex(is_workday, dates)
    rows = [row_view(r, now, today, days) for r in found.rows]
    size = query.limit or max(found.total, 1)
    page = query.offset // size + 1
    pages = max(1, -(-found.total // size))
    return {"rows": rows, "counts": counts, "urgency": urgency, "years": years, "total": found.total,
            "page": page, "pages": pages, "limit": size, "next": page + 1 if page < pages else None,
            "filters": {"state": query.status, "institution": query.institution, "year": query.year,
                        "q": " ".join(query.terms), "sort": query.sort, "mine": _clean(asked.get("mine"))},
            "now": now.isoformat()}


def api_item(row: Mapping[str, Any]) -> dict[str, Any]:
    """A list item of /api/v1/cases and `case list --json`: the keys a case had there before (number, status,
    outcome, applicant, lead, version, created_at, product{…}) plus the dashboard's (next_deadline, urgency,
    responsible, waiting_on, updated_at). The whole case is at /api/v1/cases/{number}."""
    return {
        "number": row["number"], "status": row["status"], "outcome": row["outcome"],
        "applicant": row["applicant"], "lead": row["lead"], "version": row["version"],
        "created_at": row["created_at"], "updated_at": row["updated_at"],
        "product": {"name": row["product"], "model": row["model"], "brand": row["brand"],
                    "producer": row["producer"], "report_numbers": row["report_numbers"],
                    "suspected_defect": row["suspected_defect"]},
        "responsible": row["responsible"], "waiting_on": row["waiting_on"],
        "next_deadline": row["next_deadline"], "urgency": row["urgency"],
    }


def case_list(svc: Services, actor: str | None, **asked: Any) -> dict[str, Any]:
    """The API's page: items, total, page, pages, limit, next (None on the last page)."""
    board = find(svc, actor, with_counts=False, **asked)
    return {"items": [api_item(r) for r in board["rows"]], "total": board["total"], "page": board["page"],
            "pages": board["pages"], "limit": board["limit"], "next": board["next"]}


EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("number", "案件编号"), ("status", "状态"), ("applicant", "申请机构"), ("lead", "牵头机构"),
    ("product", "产品名称"), ("model", "型号"), ("brand", "商标"), ("producer", "生产者"),
    ("report_numbers", "检验报告编号"), ("suspected_defect", "涉嫌缺陷"), ("responsible", "责任机构"),
    ("waiting_on", "等待事项"), ("next_kind", "下一期限"), ("due_date", "截止日期"), ("left", "剩余"),
    ("created_at", "创建时间"), ("updated_at", "更新时间"),
)


def export_rows(svc: Services, actor: str | None, **asked: Any) -> list[dict[str, Any]]:
    """Every row of the filtered list (not one page), flat, for a CSV/XLSX export; the shell words and makes the
    cells safe."""
    board = find(svc, actor, with_counts=False, every=True, **asked)
    out = []
    for r in board["rows"]:
        d = r["next_deadline"] or {}
        out.append({"number": r["number"], "status": r["status"], "applicant": r["applicant"],
                    "lead": r["lead"] or "", "product": r["product"], "model": r["model"], "brand": r["brand"],
                    "producer": r["producer"], "report_numbers": " ".join(r["report_numbers"]),
                    "suspected_defect": r["suspected_defect"], "responsible": r["responsible"] or "",
                    "waiting_on": r["waiting_on"], "next_kind": d.get("kind") or "", "due_date": d.get("due_date")
                    or "", "left": d.get("left_label") or "", "created_at": r["created_at"],
                    "updated_at": r["updated_at"]})
    return out


def similar_cases(svc: Services, actor: str | None, product: Mapping[str, Any],
                  exclude: str | None = None) -> list[dict[str, Any]]:
    """Earlier cases the viewer may see with the same producer, model or a report number as PRODUCT: a warning
    on a new application, never a refusal. Each: number, status, applicant, product, model, producer, the
    report numbers, and `same`: which of producer / model / report_numbers matched."""
    reports: Sequence[str] = [str(r) for r in product.get("report_numbers") or []]
    producer, model = str(product.get("producer") or ""), str(product.get("model") or "")
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        found = uow.summaries.similar(view_scope(user), producer, model, reports, exclude)
    out = []
    for r in found:
        theirs = reports_of(r)
        same = [k for k, hit in (("producer", producer.strip() and r["producer"] == producer.strip()),
                                 ("model", model.strip() and r["model"] == model.strip()),
                                 ("report_numbers", any(x.strip() in theirs for x in reports))) if hit]
        out.append({"number": r["number"], "status": r["status"], "applicant": r["applicant"],
                    "product": r["product_name"], "model": r["model"], "producer": r["producer"],
                    "report_numbers": theirs, "same": same})
    return out
