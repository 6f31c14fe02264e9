"""The yearly account, part two: how the mechanism went in one year, as numbers (the shell draws the charts).

Every figure is computed from the cases' stored snapshots (the same the lists read), in Beijing time:

- **opened**: cases *submitted* in the year (the application of Art. 6; the lead is fixed then). A draft that was
  never submitted is no application and counts nowhere. Counted by applicant and by lead.
- **closed**: submitted cases that became terminal in the year: archived (`archive`, `conclude` or `reopen`) or
  withdrawn. By applicant and by lead.
- **outcomes**: the panel decisions taken in the year, by outcome (investigate, no_investigation,
  continued_attention), plus the submitted cases withdrawn in the year (`withdrawn`).
- **cycle time**: for each case decided in the year, the working days from its submission to the decision,
  counted as the deadlines are (民法典 Art. 201: the submission day is not counted; a working day d counts when
  submission day < d ≤ decision day) on the project's working calendar. Median (mean of the two middle values when
  the count is even) and 90th percentile by the nearest-rank method (the ⌈0.9·n⌉-th smallest value).
- **on time (T1 expert analysis, T2 convening)**: the deadlines resolved in the year (their `resolved_at`), met
  or missed, as in the deadline rows (a deadline resolved at its due instant is missed). rate = met / (met +
  missed), 4 decimals; null when none was resolved. Cancelled (withdrawal) and superseded (calendar change)
  deadlines are not counted. `open_overdue`: deadlines still running at the as-of instant and past due then.
- **continued attention**: the cases under continued attention at the as-of instant (decided so, not yet
  concluded or reopened), with their tracking age: working days from the decision day to the as-of day (same
  counting), and the tracking notes made by then.
- **fees**: the experts' fees recorded in the year (the year a fee was first recorded), by the institution that
  pays them — the applicant (Art. 10): count, total, paid, unpaid, in CNY.

The as-of instant is the end of the year (24:00 on 31 December, Beijing time), or now while the year is running.
`institution` restricts every figure to the cases where that institution is the applicant or the lead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from states.errors import InvalidInput
from states.machine import TERMINAL_STATES
from states.status import REPORT_OUTCOME_LABELS
from states.yearly import fee_totals, median, percentile_nearest_rank, rate, working_days_between
from workflow.permissions import require_role
from workflow.usecases import BEIJING, Services, _user, beijing_day

OUTCOMES = tuple(REPORT_OUTCOME_LABELS)
TIMERS = {"t1": "expert_analysis", "t2": "convening"}

DEFINITIONS = {
    "opened": "submitted in the year (Beijing time); drafts never submitted are not counted",
    "closed": "submitted cases archived or withdrawn in the year",
    "outcomes": "panel decisions taken in the year by outcome, plus submitted cases withdrawn in the year",
    "cycle_time": "working days from submission to decision (submission day not counted) for cases decided in the "
                  "year; median = mean of the two middle values for an even count; p90 = nearest rank",
    "on_time": "T1/T2 deadlines resolved in the year: met / (met + missed); cancelled and superseded not counted",
    "continued_attention": "cases under continued attention at the as-of instant; tracking age in working days "
                           "from the decision day to the as-of day",
    "fees": "experts' fees first recorded in the year, by the paying (applicant) institution, CNY",
    "scope": "with an institution: only cases where it is the applicant or the lead",
}


def _at(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


def _year_of(iso: str | None) -> int | None:
    at = _at(iso)
    return at.astimezone(BEIJING).year if at else None


def compute(snaps: list[dict[str, Any]], year: int, members: list[str], is_workday: Callable[[date], bool],
            now: datetime, institution: str | None = None) -> dict[str, Any]:
    """The report's figures from case snapshots (pure: the calendar and the instant are given)."""
    year_end = datetime(year + 1, 1, 1, tzinfo=BEIJING)
    as_of = min(year_end, now)
    as_of_day = min(date(year, 12, 31), beijing_day(now))
    scope = [s for s in snaps if s.get("submitted_at")
             and (institution is None or institution in (s["applicant"], s.get("lead")))]

    def zeros() -> dict[str, int]:
        return {code: 0 for code in members}

    opened: dict[str, Any] = {"total": 0, "by_applicant": zeros(), "by_lead": zeros()}
    closed: dict[str, Any] = {"total": 0, "archived": 0, "withdrawn": 0, "by_applicant": zeros(), "by_lead": zeros()}
    outcomes = {k: 0 for k in OUTCOMES}
    cycles: list[int] = []
    on_time: dict[str, dict[str, Any]] = {
        k: {"met": 0, "missed": 0, "resolved": 0, "rate": None, "open_overdue": 0} for k in TIMERS}
    attention: list[dict[str, Any]] = []
    fees: dict[str, list[dict[str, Any]]] = {code: [] for code in members}  # by the paying applicant

    def count(bucket: dict[str, Any], s: dict[str, Any]) -> None:
        bucket["total"] += 1
        bucket["by_applicant"][s["applicant"]] = bucket["by_applicant"].get(s["applicant"], 0) + 1
        if s.get("lead"):
            bucket["by_lead"][s["lead"]] = bucket["by_lead"].get(s["lead"], 0) + 1

    for s in scope:
        if _year_of(s["submitted_at"]) == year:
            count(opened, s)
        if s["status"] in TERMINAL_STATES and _year_of(s.get("closed_at")) == year:
            count(closed, s)
            closed[s["status"]] += 1
            if s["status"] == "withdrawn":
                outcomes["withdrawn"] += 1
        decided_at = _at(s.get("decided_at"))
        if decided_at is not None and beijing_day(decided_at).year == year and s.get("outcome"):
            outcomes[s["outcome"]] += 1
            submitted = _at(s["submitted_at"])
            assert submitted is not None
            cycles.append(working_days_between(beijing_day(submitted), beijing_day(decided_at), is_workday))
        for key, kind in TIMERS.items():
            bucket = on_time[key]
            for d in s.get("deadlines", []):
                if d["kind"] != kind or d["status"] in ("cancelled", "superseded"):
                    continue
                resolved = _at(d.get("resolved_at"))
                if d["status"] in ("met", "missed") and resolved is not None and beijing_day(resolved).year == year:
                    bucket[d["status"]] += 1
                running = resolved is None or resolved > as_of
                if running and datetime.fromisoformat(d["due_at"]) <= as_of and datetime.fromisoformat(
                        d["start_at"]) < as_of:
                    bucket["open_overdue"] += 1
        if (s.get("outcome") == "continued_attention" and decided_at is not None and decided_at < as_of
                and ((closed_at := _at(s.get("closed_at"))) is None or closed_at >= as_of)):
            notes = [n for n in s.get("tracking", []) if datetime.fromisoformat(n["at"]) < as_of]
            attention.append({
                "number": s["number"], "applicant": s["applicant"], "lead": s.get("lead"),
                "product": s["product"].get("name", ""), "decided_on": beijing_day(decided_at).isoformat(),
                "tracking_age_working_days": working_days_between(beijing_day(decided_at), as_of_day, is_workday),
                "tracking_notes": len(notes),
            })
        for fee in s.get("fees", {}).values():
            if _year_of(fee["recorded_at"]) != year:
                continue
            fees.setdefault(s["applicant"], []).append(fee)

    for bucket in on_time.values():
        bucket["resolved"] = bucket["met"] + bucket["missed"]
        bucket["rate"] = rate(bucket["met"], bucket["missed"])
    attention.sort(key=lambda a: (a["decided_on"], a["number"]))
    overall = fee_totals(fee for group in fees.values() for fee in group)
    return {
        "year": year,
        "institution": institution,
        "as_of": as_of.astimezone(BEIJING).isoformat(),
        "opened": opened,
        "closed": closed,
        "outcomes": outcomes,
        "cycle_time": {
            "cases": len(cycles),
            "median_working_days": median(cycles),
            "p90_working_days": percentile_nearest_rank(cycles, 90),
            "values": sorted(cycles),
        },
        "on_time": on_time,
        "continued_attention": {"count": len(attention), "cases": attention},
        "fees": {
            "currency": "CNY",
            "by_institution": {code: fee_totals(group) for code, group in fees.items()},
            "total": overall["total"],
            "paid": overall["paid"],
            "unpaid": overall["unpaid"],
        },
        "definitions": dict(DEFINITIONS),
    }


def yearly_report(svc: Services, actor: str | None, year: int, institution: str | None = None) -> dict[str, Any]:
    """The year's figures (liaisons, admins, auditors: the mechanism's shared statistics)."""
    code = institution.strip().upper() if institution else None
    if code is not None and code not in svc.policy.members:
        raise InvalidInput(f"{code or '(empty)'} is not a member institution ({', '.join(svc.policy.members)})",
                           key="institution_unknown", field="institution", institution=code,
                           members=list(svc.policy.members))
    if not 2000 <= year <= 2200:
        raise InvalidInput(f"{year} is not a plausible year", key="year_implausible", field="year", year=year)
    with svc.uow(readonly=True) as uow:
        require_role(_user(uow, actor), "liaison", "admin", "auditor")
        snaps = uow.cases.summaries()
    now = svc.clock.now()
    report = compute(snaps, year, list(svc.policy.members), svc.calendar.is_workday, now, code)
    report["generated_at"] = now.astimezone(BEIJING).isoformat()
    report["members"] = dict(svc.policy.members)
    return report
