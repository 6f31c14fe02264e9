"""Read models for people's screens: the coordinators' dashboard (督办), what a viewer may do on a case now, an
expert's panels, and the live preview of the 会诊表's conclusions. Nothing here writes; permissions come from
workflow.permissions and the rules from states/, so a screen never decides anything the engine would not.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from states import case as domain
from states import yearly
from states.case import Case
from states.errors import DomainError, InvalidInput
from states.machine import allowed_triggers
from states.rules import preview_conclusions as preview_opinion  # noqa: F401  (the web's live preview)
from states.status import CaseStatus
from workflow import usecases as uc
from workflow.errors import NotFound
from workflow.permissions import EXPERT_ACTIONS, may_act, require_act, require_role, require_view
from workflow.ports import User
from workflow.usecases import Services, _user, beijing_day, visible_snapshot

# 督办 colours of a deadline: on track · due within one working day · overdue.
ON_TRACK = "on_track"
DUE_SOON = "due_soon"
OVERDUE = "overdue"
URGENCY_RANK: dict[str | None, int] = {OVERDUE: 0, DUE_SOON: 1, ON_TRACK: 2, None: 3}
URGENCY_LABELS: dict[str, str] = {ON_TRACK: "正常", DUE_SOON: "1个工作日内到期", OVERDUE: "已超期"}

# The commands a person starts from a case page, in the order of the lifecycle.
CASE_ACTIONS: tuple[str, ...] = (
    "edit", "submit", "verify", "form_panel", "attach", "dispatch", "record_analysis", "refer", "schedule",
    "cancel_meeting", "convene", "record_opinion", "record_absence", "decide", "issue_minutes", "track", "archive",
    "conclude", "reopen", "withdraw", "record_fee", "correct_fee",
)
NEEDS_REASON = frozenset({"withdraw", "conclude", "reopen"})
YEAR_RE = re.compile(r"^\d{4}$")
MAX_SPAN_DAYS = 800  # counting working days over a longer span is not useful on a dashboard


def working_days_between(is_workday: Callable[[date], bool], start: date, end: date) -> int:
    """The working days d with start < d ≤ end (0 when end ≤ start), counted over at most MAX_SPAN_DAYS."""
    return yearly.working_days_between(start, min(end, start + timedelta(days=MAX_SPAN_DAYS)), is_workday)


def deadline_view(deadline: Mapping[str, Any], now: datetime, is_workday: Callable[[date], bool]) -> dict[str, Any]:
    """A deadline as a coordinator reads it: working days left (or overdue), its Beijing date, its 督办 colour."""
    out = dict(deadline)
    due_at = datetime.fromisoformat(str(deadline["due_at"]))
    due_date = date.fromisoformat(str(deadline["due_date"]))
    today = beijing_day(now)
    out["urgency"] = None
    out["days_left"] = None
    out["days_overdue"] = None
    if deadline.get("status") != "armed":
        out["left_label"] = ""
        return out
    if now >= due_at:
        late = working_days_between(is_workday, due_date, today)
        out.update(urgency=OVERDUE, days_overdue=late,
                   left_label=f"已超期 {late} 个工作日" if late else "已超期")
        return out
    left = working_days_between(is_workday, today, due_date)
    out["days_left"] = left
    out["urgency"] = DUE_SOON if left <= 1 else ON_TRACK
    out["left_label"] = "今日到期" if left == 0 else f"{left} 个工作日"
    return out


def responsible(case: Mapping[str, Any]) -> str | None:
    """The institution the case waits on now (the one its reminders go to)."""
    status = case["status"]
    if status in (CaseStatus.drafted, CaseStatus.preliminary_review, CaseStatus.awaiting_experts):
        return str(case["applicant"])
    if status in (CaseStatus.convening, CaseStatus.convened, CaseStatus.decided):
        return str(case.get("lead") or "") or None
    if status == CaseStatus.continued_attention:
        return str(case["applicant"]) if case.get("minutes") else (str(case.get("lead") or "") or None)
    return None


def waiting_on(case: Mapping[str, Any]) -> str:
    """What the case waits for, in a few words."""
    status = case["status"]
    panel = case.get("panel") or []
    if status == CaseStatus.drafted:
        return "申请机构填写并提交申请"
    if status == CaseStatus.preliminary_review:
        return "申请机构初步核实、组建专家组、分送材料"
    if status == CaseStatus.awaiting_experts:
        return f"专家初步分析（已收 {len(case.get('analyses') or {})}/{len(panel)}）"
    if status == CaseStatus.convening:
        return "牵头机构组织线上会诊"
    if status == CaseStatus.convened:
        done = len(case.get("opinions") or {}) + len(case.get("absences") or {})
        return f"专家填写会诊表（{done}/{len(panel)}）"
    if status == CaseStatus.decided:
        return "牵头机构归档" if case.get("minutes") else "牵头机构印发会议纪要"
    if status == CaseStatus.continued_attention:
        return "申请机构持续跟踪" if case.get("minutes") else "牵头机构印发会议纪要"
    return "—"


def next_deadline(case: Mapping[str, Any], now: datetime, is_workday: Callable[[date], bool]) -> dict[str, Any] | None:
    armed = [d for d in case.get("deadlines", []) if d.get("status") == "armed"]
    if not armed:
        return None
    first = min(armed, key=lambda d: datetime.fromisoformat(str(d["due_at"])))
    return deadline_view(first, now, is_workday)


def dashboard_row(case: Mapping[str, Any], now: datetime, is_workday: Callable[[date], bool]) -> dict[str, Any]:
    product = case.get("product") or {}
    nxt = next_deadline(case, now, is_workday)
    return {
        "number": case["number"],
        "year": str(case["number"]).split("-")[1] if str(case["number"]).count("-") >= 2 else "",
        "status": case["status"],
        "outcome": case.get("outcome"),
        "applicant": case["applicant"],
        "lead": case.get("lead"),
        "responsible": responsible(case),
        "waiting_on": waiting_on(case),
        "product": product.get("name", ""),
        "model": product.get("model", ""),
        "version": case.get("version", 0),
        "next_deadline": nxt,
        "urgency": nxt["urgency"] if nxt else None,
    }


def dashboard(svc: Services, actor: str | None, status: str | None = None, institution: str | None = None,
              year: str | None = None) -> dict[str, Any]:
    """The cases the viewer may see, most urgent first, with counts by state; filters by state, institution
    (applicant or lead) and year. Counts ignore the state filter, so every state stays one click away."""
    status = (status or "").strip() or None
    institution = (institution or "").strip().upper() or None
    year = (year or "").strip() or None
    if status is not None and status not in CaseStatus.__members__:
        raise InvalidInput(f"state: must be one of {', '.join(CaseStatus)}, not {status!r}")
    if institution is not None and institution not in svc.policy.members:
        raise InvalidInput(f"institution: must be one of {', '.join(svc.policy.members)}, not {institution!r}")
    if year is not None and not YEAR_RE.match(year):
        raise InvalidInput(f"year: must be a four-digit year, not {year!r}")
    now = svc.clock.now()
    is_workday = svc.calendar.is_workday
    visible = uc.list_cases(svc, actor)
    years = sorted({r for r in (str(c["number"]).split("-")[1] for c in visible if str(c["number"]).count("-") >= 2)},
                   reverse=True)

    def matches(c: Mapping[str, Any]) -> bool:
        if institution and institution not in (c["applicant"], c.get("lead")):
            return False
        return not (year and str(c["number"]).split("-")[1:2] != [year])

    scoped = [c for c in visible if matches(c)]
    counts = {str(s): 0 for s in CaseStatus}
    for c in scoped:
        counts[c["status"]] += 1
    rows = [dashboard_row(c, now, is_workday) for c in scoped if status is None or c["status"] == status]

    def key(r: Mapping[str, Any]) -> tuple[int, str, str]:
        d = r["next_deadline"]
        return URGENCY_RANK[r["urgency"]], str(d["due_at"]) if d else "", str(r["number"])

    rows.sort(key=key)
    urgency = {k: sum(1 for r in rows if r["urgency"] == k) for k in (OVERDUE, DUE_SOON, ON_TRACK)}
    return {"rows": rows, "counts": counts, "urgency": urgency, "years": years, "total": len(scoped),
            "filters": {"state": status, "institution": institution, "year": year}, "now": now.isoformat()}


def case_deadlines(svc: Services, case: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every deadline of a case (newest first) with its 督办 view; the explanation comes from the calendar."""
    now = svc.clock.now()
    shown = [deadline_view(d, now, svc.calendar.is_workday) for d in case.get("deadlines", [])]
    return list(reversed(shown))


# --- what a viewer may do now --------------------------------------------------------------------------------


def _dry_run(svc: Services, case: Case, user: User, action: str, now: datetime) -> str | None:
    """Run the command on a copy, never stored: the regulation's guard says why it cannot run yet (or None)."""
    work = copy.deepcopy(case)
    plan = svc.planner()
    try:
        if action == "submit":
            domain.submit(work, uc.lead_for(svc, now), user.name, now)
        elif action == "dispatch":
            domain.dispatch(work, user.name, now, plan)
        elif action == "refer":
            domain.refer(work, "(reason)", user.name, now, plan)
        elif action == "convene":
            domain.convene(work, user.name, now)
        elif action == "decide":
            domain.decide(work, user.name, now, plan)
        elif action == "issue_minutes":
            domain.issue_minutes(work, {}, user.name, now)
        elif action == "archive":
            domain.archive(work, user.name, now)
        elif action == "conclude":
            domain.conclude(work, "(reason)", user.name, now)
        elif action == "reopen":
            domain.reopen(work, "(reason)", f"{case.number}-dry-run", user.name, now)
        elif action == "withdraw":
            domain.withdraw(work, "(reason)", user.name, now)
    except DomainError as exc:
        return exc.message
    return None


def _relevant(case: Case, user: User, action: str) -> bool:
    """Commands that make sense for this viewer at this point (an expert's own form, a pending absence, ...)."""
    me = user.expert_id
    if action == "record_analysis":
        return me in case.panel and me not in case.analyses
    if action == "record_opinion":
        return me in case.panel and me not in case.opinions and me not in case.absences
    if action == "record_absence":
        return any(e not in case.opinions and e not in case.absences for e in case.panel)
    if action == "cancel_meeting":
        return bool(case.meeting and not case.meeting.get("cancelled"))
    if action == "issue_minutes":
        return not case.minutes
    if action == "record_fee":
        return any(e not in case.fees for e in case.panel)
    if action == "correct_fee":
        return bool(case.fees)
    return True


def available_actions(svc: Services, actor: str | None, number: str) -> list[dict[str, Any]]:
    """The commands the viewer may use on this case now — permitted to them and existing in its state — each
    with `blocked`: why a rule of the regulation still stands in the way (None when it would go through)."""
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        case = uow.cases.load(number, lock=False)
        if case is None:
            raise NotFound(f"case {number} does not exist")
    snap = case.to_dict()
    require_view(user, snap)
    now = svc.clock.now()
    allowed = set(allowed_triggers(case.status))
    out: list[dict[str, Any]] = []
    for action in CASE_ACTIONS:
        if action not in allowed:
            continue
        expert = user.expert_id if action in EXPERT_ACTIONS else None
        if not may_act(user, action, snap, expert) or not _relevant(case, user, action):
            continue
        missing = [e for e in case.panel if e not in case.analyses]
        out.append({
            "action": action,
            "blocked": _dry_run(svc, case, user, action, now),
            "needs_reason": action in NEEDS_REASON,
            "reason_optional": action == "refer" and bool(missing),
        })
    return out


def preflight(svc: Services, actor: str | None, number: str, action: str, expert: str | None = None) -> None:
    """Refuse as the use case would — not found, not permitted, not in this state — before costly inputs (an
    upload) are read. The use case checks again when it runs."""
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        snap = uow.cases.snapshot(number)
    if snap is None:
        raise NotFound(f"case {number} does not exist")
    require_act(user, action, snap, expert)
    domain.ensure_allowed_in(number, CaseStatus(snap["status"]), action)


def may_open_case(user: User) -> bool:
    """Only an institution's liaison opens a case (the use case new_case says the same)."""
    return user.role == "liaison" and bool(user.institution)


# --- people on a case ----------------------------------------------------------------------------------------


def panel_of(svc: Services, actor: str | None, number: str) -> list[dict[str, Any]]:
    """The panel of a case with each expert's record and progress: for those who may see the case."""
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        snap = visible_snapshot(uow, user, number)
        out = []
        for eid in snap["panel"]:
            ex = uow.experts.get(eid)
            opinion = snap["opinions"].get(eid)
            out.append({
                "id": eid, "name": ex.name if ex else eid, "field": ex.field if ex else "",
                "employer": ex.employer if ex else "", "title": ex.title if ex else "",
                "province": ex.province if ex else "",
                "analysis": snap["analyses"].get(eid), "opinion": opinion,
                "conclusions": opinion["conclusions"] if opinion else None,
                "absent": snap["absences"].get(eid),
            })
        return out


def liaisons(svc: Services, actor: str | None) -> list[dict[str, Any]]:
    """Institutions' staff by name and institution (no e-mail): to name the meeting's attendees."""
    with svc.uow(readonly=True) as uow:
        require_role(_user(uow, actor), "liaison", "admin", "auditor")
        return [{"name": u.name, "institution": u.institution} for u in uow.users.all() if u.role == "liaison"]


def my_panels(svc: Services, actor: str | None) -> list[dict[str, Any]]:
    """An expert's cases, with what is theirs to do on each."""
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
    require_role(user, "expert")
    me = user.expert_id or ""
    now = svc.clock.now()
    rows = []
    for c in uc.list_cases(svc, actor):
        row = dashboard_row(c, now, svc.calendar.is_workday)
        analysed = me in c["analyses"]
        signed = me in c["opinions"]
        absent = me in c["absences"]
        todo = ""
        if c["status"] == CaseStatus.awaiting_experts and not analysed:
            todo = "record_analysis"
        elif c["status"] == CaseStatus.convened and not signed and not absent:
            todo = "record_opinion"
        row.update(analysed=analysed, signed=signed, absent=absent, todo=todo,
                   conclusions=c["opinions"][me]["conclusions"] if signed else None)
        rows.append(row)
    rows.sort(key=lambda r: (0 if r["todo"] else 1, URGENCY_RANK[r["urgency"]], str(r["number"])))
    return rows
