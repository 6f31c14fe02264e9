"""The summary projection's rules (issue 17 item 3, issue 14 item 3): what one summary row of a case holds, which
rows a viewer may see (can_view as data a list query applies), what a list asks for (search, sort, page, "waiting
on me"), and the port a list reads. Pure: storage writes the rows in the same transaction as each event and turns
a ListQuery into SQL; the shell renders the rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from states.aggregate import joint_only
from states.commands import COMMANDS, PANEL_EXPERT
from states.errors import InvalidInput
from states.status import CaseStatus
from workflow.permissions import Someone, can_view

PAGE_SIZE = 50
MAX_LIMIT = 500
SORTS = ("deadline", "number", "updated", "status")
MINE = ("me", "institution")
MAX_QUERY = 100
NO_DEADLINE = "9999"  # due_sort of a case without an armed deadline: after every ISO instant

# What a panel expert's command of the catalogue fills, so "still owed by expert E" reads the case's own records:
# the catalogue's `who` (panel_expert) and `source` say when an expert must act, these keys whether they have.
EXPERT_RECORDS: dict[str, tuple[str, ...]] = {"record_analysis": ("analyses",),
                                              "record_opinion": ("opinions", "absences")}


def _ids(values: Sequence[Any]) -> str:
    """A list of ids as ",A,B," so that one LIKE '%,A,%' finds a member exactly."""
    return "," + ",".join(str(v) for v in values) + "," if values else ""


def experts_owing(snap: Mapping[str, Any]) -> list[str]:
    """The panel experts who still owe the command the catalogue gives panel experts in the case's state."""
    status = snap["status"]
    owing: list[str] = []
    for name, records in EXPERT_RECORDS.items():
        row = COMMANDS.get(name)
        if row is None or PANEL_EXPERT not in row.who or status not in row.source:
            continue
        done: set[str] = set()
        for key in records:
            done |= set(snap.get(key) or {})
        owing += [e for e in snap.get("panel") or [] if e not in done and e not in owing]
    return owing


def next_armed(snap: Mapping[str, Any]) -> dict[str, Any] | None:
    armed = [d for d in snap.get("deadlines", []) if d.get("status") == "armed"]
    if not armed:
        return None
    first: dict[str, Any] = min(armed, key=lambda d: datetime.fromisoformat(str(d["due_at"])))
    return first


def summary_of(snap: Mapping[str, Any], responsible: str | None, waiting_on: str) -> dict[str, Any]:
    """One summary row of a case, from its snapshot (RESPONSIBLE and WAITING_ON as the dashboard words them).
    `search` is the text a search box looks in: number, product name, model, brand, producer, report numbers,
    suspected defect, one per line."""
    product = snap.get("product") or {}
    reports = [str(r) for r in product.get("report_numbers") or [] if str(r).strip()]
    nxt = next_armed(snap)
    number = str(snap["number"])
    parts = number.split("-")
    fields = [number, product.get("name"), product.get("model"), product.get("brand"), product.get("producer"),
              *reports, product.get("suspected_defect")]
    return {
        "number": number,
        "year": parts[1] if len(parts) >= 3 else "",
        "status": str(snap["status"]),
        "outcome": str(snap["outcome"]) if snap.get("outcome") else None,
        "applicant": str(snap["applicant"]),
        "lead": snap.get("lead") or None,
        "version": int(snap.get("version") or 0),
        "product_name": str(product.get("name") or ""),
        "model": str(product.get("model") or ""),
        "brand": str(product.get("brand") or ""),
        "producer": str(product.get("producer") or ""),
        "report_numbers": "\n" + "\n".join(reports) + "\n" if reports else "",
        "suspected_defect": str(product.get("suspected_defect") or ""),
        "search": "\n".join(str(f) for f in fields if f),
        "next_id": nxt["id"] if nxt else None,
        "next_kind": nxt["kind"] if nxt else None,
        "next_due_at": datetime.fromisoformat(str(nxt["due_at"])) if nxt else None,
        "next_due_date": str(nxt["due_date"]) if nxt else None,
        "next_provisional": bool(nxt.get("provisional")) if nxt else False,
        "due_sort": (datetime.fromisoformat(str(nxt["due_at"])).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
                     if nxt else NO_DEADLINE),
        "responsible": responsible,
        "waiting_on": waiting_on,
        "experts_owing": _ids(experts_owing(snap)),
        "panel": _ids(snap.get("panel") or []),
        "joint_only": joint_only(snap.get("basis") or {}, bool(snap.get("cross_province"))),
    }


@dataclass(frozen=True)
class ViewScope:
    """workflow.permissions.can_view as data a list query applies in the database (a test checks that both agree on
    every role and case): everything (auditor, admin, system); a liaison's institution (its own drafts, every case
    past the draft, and other institutions' drafts whose only basis is a joint decision); an expert's panels
    past the draft; or nothing."""

    everything: bool = False
    institution: str | None = None
    expert: str | None = None

    def admits(self, row: Mapping[str, Any]) -> bool:
        """The same rule on one summary row (for the in-memory store and the agreement test)."""
        if self.everything:
            return True
        if self.institution is not None:
            return bool(row["applicant"] == self.institution or row["status"] != CaseStatus.drafted
                        or row["joint_only"])
        if self.expert is not None:
            return row["status"] != CaseStatus.drafted and f",{self.expert}," in (row["panel"] or "")
        return False


def view_scope(user: Someone) -> ViewScope:
    if getattr(user, "is_system", False) or user.role in ("auditor", "admin"):
        return ViewScope(everything=True)
    if user.role == "liaison" and user.institution:
        return ViewScope(institution=user.institution)
    if user.role == "expert" and user.expert_id:
        return ViewScope(expert=user.expert_id)
    return ViewScope()


def agrees_with_can_view(user: Someone, snap: dict[str, Any], row: Mapping[str, Any]) -> bool:
    return view_scope(user).admits(row) == can_view(user, snap)


@dataclass(frozen=True)
class ListQuery:
    """What a list asks for. `terms`: every term must occur (a substring) in the case's search text; `waiting`:
    the rows whose next step is the institution's (waiting_institution) or the expert's (waiting_expert)."""

    scope: ViewScope
    terms: tuple[str, ...] = ()
    status: str | None = None
    institution: str | None = None  # applicant or lead
    year: str | None = None
    waiting_institution: str | None = None
    waiting_expert: str | None = None
    waiting_nobody: bool = False  # "waiting on me" for someone nothing waits on: an empty list
    sort: str = "deadline"
    offset: int = 0
    limit: int = PAGE_SIZE  # 0: every row (an export)

    def admits(self, row: Mapping[str, Any], *, with_status: bool = True) -> bool:
        """The query on one summary row, in memory (storage.projections says the same in SQL)."""
        text = str(row["search"]).casefold()
        owing = str(row["experts_owing"])
        return bool(
            self.scope.admits(row)
            and all(term.casefold() in text for term in self.terms)
            and not (with_status and self.status and row["status"] != self.status)
            and not (self.institution and self.institution not in (row["applicant"], row["lead"]))
            and not (self.year and row["year"] != self.year)
            and not self.waiting_nobody
            and not (self.waiting_institution and row["responsible"] != self.waiting_institution)
            and not (self.waiting_expert and f",{self.waiting_expert}," not in owing)
        )

    def order(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self.sort == "number":
            return sorted(rows, key=lambda r: r["number"])
        if self.sort == "updated":
            return sorted(sorted(rows, key=lambda r: r["number"]), key=lambda r: r["updated_at"], reverse=True)
        order = {str(s): i for i, s in enumerate(CaseStatus)}
        by_deadline = sorted(rows, key=lambda r: (r["due_sort"], r["number"]))
        if self.sort == "status":
            return sorted(by_deadline, key=lambda r: order.get(r["status"], len(order)))
        return by_deadline


def search_terms(q: str | None) -> tuple[str, ...]:
    text = " ".join((q or "").split())
    if len(text) > MAX_QUERY:
        raise InvalidInput(f"the search text has at most {MAX_QUERY} characters", key="search_too_long",
                           field="q", limit=MAX_QUERY)
    return tuple(dict.fromkeys(text.split(" "))) if text else ()


def check_sort(sort: str | None) -> str:
    sort = (sort or "").strip() or "deadline"
    if sort not in SORTS:
        raise InvalidInput(f"the sort must be one of {', '.join(SORTS)}, not {sort!r}", key="sort_unknown",
                           field="sort", value=sort, allowed=list(SORTS))
    return sort


def check_mine(mine: str | None) -> str | None:
    mine = (mine or "").strip() or None
    if mine is not None and mine not in MINE:
        raise InvalidInput(f"'mine' must be one of {', '.join(MINE)}, not {mine!r}", key="mine_unknown",
                           field="mine", value=mine, allowed=list(MINE))
    return mine


def check_page(page: int | str | None, limit: int | str | None = None) -> tuple[int, int]:
    """(page ≥ 1, limit 1..MAX_LIMIT) from what a person typed."""
    try:
        p = int(page or 1)
    except ValueError:
        raise InvalidInput(f"the page must be a whole number, not {page!r}", key="page_invalid", field="page",
                           value=str(page)) from None
    try:
        n = int(limit or PAGE_SIZE)
    except ValueError:
        raise InvalidInput(f"the limit must be a whole number, not {limit!r}", key="limit_invalid", field="limit",
                           value=str(limit), max=MAX_LIMIT) from None
    if p < 1:
        raise InvalidInput(f"the page must be 1 or more, not {p}", key="page_invalid", field="page", value=str(p))
    if not 1 <= n <= MAX_LIMIT:
        raise InvalidInput(f"the limit must be between 1 and {MAX_LIMIT}, not {n}", key="limit_invalid",
                           field="limit", value=str(n), max=MAX_LIMIT)
    return p, n


def waiting_filter(user: Someone, mine: str | None) -> dict[str, Any]:
    """待我处理 / 待本单位处理 as ListQuery fields. A liaison acts for their institution (workflow.permissions), so
    what waits on them is what waits on it; an expert's is their own analysis or opinion still owed; nothing
    waits on an auditor or an admin in a case's lifecycle."""
    if mine is None:
        return {}
    if user.role == "liaison" and user.institution:
        return {"waiting_institution": user.institution}
    if user.role == "expert" and user.expert_id and mine == "me":
        return {"waiting_expert": user.expert_id}
    return {"waiting_nobody": True}


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    total: int


class CaseSummaries(Protocol):
    """The summary rows, read (the case repository writes them in the same transaction as each event)."""

    def page(self, query: ListQuery, total: int | None = None) -> Page: ...

    def counts(self, query: ListQuery, now: datetime, soon: date) -> tuple[dict[str, int], dict[str, int]]:
        """(rows by status ignoring the status filter, rows by urgency with it: overdue, due_soon, on_track);
        SOON is the first due date that is no longer due soon."""
        ...

    def years(self, scope: ViewScope) -> list[str]: ...

    def similar(self, scope: ViewScope, producer: str, model: str, reports: Sequence[str],
                exclude: str | None = None) -> list[dict[str, Any]]: ...
