"""Read models for people's screens: the coordinators' dashboard (督办), what a viewer may do on a case now, the
case page (one transaction), an expert's panels, and the live preview of the 会诊表's conclusions. Nothing here
writes; permissions come from workflow.permissions and the rules from states/, so a screen never decides anything
the engine would not. (Just over 400 lines: the case page is made of the other read models here, and splitting it
off would only add an import cycle.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from states import case as domain
from states import yearly
from states.beijing import beijing_day
from states.case import Case
from states.commands import (
    APPLICANT,
    COMMANDS,
    LEAD,
    OTHER_MEMBER,
    PANEL_EXPERT,
    REASON_OPTIONAL,
    REASON_REQUIRED,
    Command,
)
from states.deadlines import RULE_OF
from states.errors import DomainError
from states.rules import preview_conclusions as preview_opinion  # noqa: F401  (the web's live preview)
from states.status import CaseStatus
from workflow import accounts, nominations
from workflow import usecases as uc
from workflow.actors import Actor
from workflow.errors import NotFound
from workflow.finding import find
from workflow.permissions import Someone, may_act, require_act, require_role, require_view
from workflow.ports import UnitOfWork
from workflow.reading import shown_case, visible_history
from workflow.services import Services, _user, dry_run, load, reason_only, visible_snapshot

# 督办 colours of a deadline: on track · due within one working day · overdue.
ON_TRACK = "on_track"
DUE_SOON = "due_soon"
OVERDUE = "overdue"
URGENCY_RANK: dict[str | None, int] = {OVERDUE: 0, DUE_SOON: 1, ON_TRACK: 2, None: 3}
URGENCY_LABELS: dict[str, str] = {ON_TRACK: "正常", DUE_SOON: "1个工作日内到期", OVERDUE: "已超期"}

CASE_ROLES = frozenset({APPLICANT, LEAD, PANEL_EXPERT, OTHER_MEMBER})


def case_actions() -> tuple[str, ...]:
    """The commands a person starts from a case page (the applicant's, the lead's, a panel expert's), in the
    catalogue's order, which is the lifecycle's. Admin commands live on the retention page, the system's nowhere."""
    return tuple(c.name for c in COMMANDS.values() if c.who & CASE_ROLES)


def needs_reason() -> frozenset[str]:
    """The reason-only commands whose reason is required (withdraw, conclude, reopen): the case page's button
    carries a reason field. Commands with a form of their own (an absence, a fee correction) ask in the form."""
    return frozenset(c.name for c in COMMANDS.values() if c.reason == REASON_REQUIRED and reason_only(c.name)
                     and c.who & CASE_ROLES)


# Kept for the modules that read them; a row registered later is seen through the functions.
CASE_ACTIONS: tuple[str, ...] = case_actions()
NEEDS_REASON = needs_reason()
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
    """The institution that answers for the case now.

    While a deadline runs, the deadline rule table says (states.deadlines: `responsible` of the soonest armed
    deadline's kind, the institution its reminders go to): the applicant for the experts' analysis (T1) and the
    tracking, the lead for the convening (T2). Without a running deadline, the state says who must move next: the
    applicant up to the experts' analysis, the lead from the convening to the archive, and under continued
    attention the lead until the minutes are issued, then the applicant."""
    armed = [d for d in case.get("deadlines", []) if d.get("status") == "armed" and d.get("kind") in RULE_OF]
    if armed:
        first = min(armed, key=lambda d: datetime.fromisoformat(str(d["due_at"])))
        side = RULE_OF[str(first["kind"])].responsible
        return (str(case.get(side) or "") or None) if side in ("applicant", "lead") else None
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
              year: str | None = None, q: str | None = None, sort: str | None = None, mine: str | None = None,
              page: int | str | None = 1) -> dict[str, Any]:
    """The cases the viewer may see, most urgent first (or as sorted), 50 a page, from the summary projection
    (workflow.finding): filters by state, institution (applicant or lead), year, search text and "waiting on me /
    my institution"; counts by state ignore the state filter, so every state stays one click away."""
    return find(svc, actor, state=status, institution=institution, year=year, q=q, sort=sort, mine=mine, page=page)


def case_deadlines(svc: Services, case: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every deadline of a case (newest first) with its 督办 view; the explanation comes from the calendar."""
    now = svc.clock.now()
    shown = [deadline_view(d, now, svc.calendar.is_workday) for d in case.get("deadlines", [])]
    return list(reversed(shown))


# --- what a viewer may do now --------------------------------------------------------------------------------


def _relevant(case: Case, user: Someone, action: str) -> bool:
    """Commands that make sense for this viewer at this point (an expert's own form, a pending absence, ...)."""
    me = user.expert_id
    if action == "record_analysis":
        return me in case.panel and me not in case.analyses
    if action == "record_opinion":
        return me in case.panel and me not in case.opinions and me not in case.absences
    if action == "chase":
        return any(e not in case.analyses for e in case.panel)
    if action == "record_absence":
        return any(e not in case.opinions and e not in case.absences for e in case.panel)
    if action == "concur":  # Art. 4(3): once per other institution, on a draft whose only basis is a joint decision
        return case.joint_only() and all(c.get("institution") != user.institution for c in case.concurrences)
    if action == "respond":  # --- i12-panel --- before the dispatch to change an answer; after it, to give one
        return bool(me) and me in case.panel and (case.status is CaseStatus.preliminary_review
                                                  or me not in case.responses)
    if action == "keep_expert":
        return bool(case.unresolved_conflicts())
    if action == "withdraw_nomination":
        return any(n["institution"] == user.institution for n in case.nominations)
    if action == "cancel_meeting":
        return bool(case.meeting and not case.meeting.get("cancelled"))
    if action == "issue_minutes":
        return not case.minutes
    if action in ("record_attendance", "record_statement", "draft_minutes"):  # until the minutes are issued
        return not case.minutes
    if action == "correct_minutes":
        return bool(case.minutes)
    if action == "record_fee":
        return any(e not in case.fees for e in case.panel)
    if action == "correct_fee":
        return bool(case.fees)
    return True


def _reason_optional(case: Case, row: Command) -> bool:
    """A reason the person may give: the catalogue says optional; a referral's only matters (Art. 8(3)) when
    some analyses are missing."""
    if row.reason != REASON_OPTIONAL:
        return False
    return row.name != "refer" or any(e not in case.analyses for e in case.panel)


def blocked_error(exc: DomainError | None) -> dict[str, Any] | None:
    """A refusal as data the shell renders in its own words."""
    if exc is None:
        return None
    return {"key": exc.key, "field": exc.field, "params": dict(exc.params)}


def actions_for(svc: Services, uow: UnitOfWork, case: Case, user: Actor) -> list[dict[str, Any]]:
    """The commands USER may use on CASE now, inside an open unit of work (see available_actions)."""
    snap = case.to_dict()
    now = svc.clock.now()
    out: list[dict[str, Any]] = []
    for action in case_actions():
        row = COMMANDS[action]
        if case.status not in row.source:
            continue
        expert = user.expert_id if PANEL_EXPERT in row.who else None
        if not may_act(user, action, snap, expert) or not _relevant(case, user, action):
            continue
        refusal = dry_run(svc, uow, case, user, action, now)
        out.append({
            "action": action,
            "blocked": refusal.message if refusal else None,
            "blocked_error": blocked_error(refusal),
            "needs_reason": action in needs_reason(),
            "reason_optional": _reason_optional(case, row),
        })
    return out


def available_actions(svc: Services, actor: str | None, number: str) -> list[dict[str, Any]]:
    """The commands the viewer may use on this case now — permitted to them and existing in its state — each
    with `blocked`: why a rule of the regulation still stands in the way (None when it would go through), its
    `blocked_error` ({key, field, params}, for the shell's own words), `needs_reason` and `reason_optional`.
    Reason-only commands are tried on a copy of the case (never stored)."""
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        case = load(uow, number, lock=False)
        require_view(user, case.to_dict())
        return actions_for(svc, uow, case, user)


def preflight(svc: Services, actor: str | None, number: str, action: str, expert: str | None = None) -> None:
    """Refuse as the use case would — not found, not permitted, not in this state — before costly inputs (an
    upload) are read. The use case checks again when it runs."""
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        snap = uow.cases.snapshot(number)
    if snap is None:
        raise NotFound(f"case {number} does not exist", key="case_missing", number=number)
    require_view(user, snap)
    require_act(user, action, snap, expert)
    domain.ensure_allowed_in(number, CaseStatus(snap["status"]), action)


def may_open_case(user: Someone) -> bool:
    """Only an institution's liaison opens a case (the use case new_case asks the same)."""
    return uc.may_open_case(user)


# --- people on a case ----------------------------------------------------------------------------------------


def panel_rows(uow: UnitOfWork, snap: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The panel of a visible case with each expert's record and progress."""
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


def panel_of(svc: Services, actor: str | None, number: str) -> list[dict[str, Any]]:
    """The panel of a case with each expert's record and progress: for those who may see the case."""
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        return panel_rows(uow, visible_snapshot(uow, user, number))


def _staff(uow: UnitOfWork) -> list[dict[str, Any]]:
    return [{"name": u.name, "institution": u.institution} for u in uow.users.all() if u.role == "liaison"]


def liaisons(svc: Services, actor: str | None) -> list[dict[str, Any]]:
    """Institutions' staff by name and institution (no e-mail): to name the meeting's attendees."""
    with svc.uow(readonly=True) as uow:
        require_role(_user(uow, actor), "liaison", "admin", "auditor")
        return _staff(uow)


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
        answer = (c.get("responses") or {}).get(me, {}).get("answer")
        if c["status"] == CaseStatus.preliminary_review and not answer:
            todo = "respond"
        elif c["status"] == CaseStatus.awaiting_experts and not analysed:
            todo = "record_analysis"
        elif c["status"] == CaseStatus.convened and not signed and not absent:
            todo = "record_opinion"
        row.update(analysed=analysed, signed=signed, absent=absent, todo=todo, answer=answer,
                   conclusions=c["opinions"][me]["conclusions"] if signed else None)
        rows.append(row)
    rows.sort(key=lambda r: (0 if r["todo"] else 1, URGENCY_RANK[r["urgency"]], str(r["number"])))
    return rows


# --- the case page ---------------------------------------------------------------------------------------------


def custodians(svc: Services, snap: Mapping[str, Any]) -> dict[str, str]:
    """Art. 9: the applicant keeps the forms, the lead keeps the minutes (by the institutions' names)."""
    names = svc.policy.members
    applicant, lead = str(snap.get("applicant") or ""), str(snap.get("lead") or "")
    return {"forms": names.get(applicant, applicant), "minutes": names.get(lead, lead) if lead else ""}


def case_page(svc: Services, actor: str | None, number: str, pool_field: str = "",
              pool_province: str = "") -> dict[str, Any]:
    """Everything the case page shows, read in ONE read-only transaction from ONE load of the case.

    Keys:
    - `case`: the case as this viewer sees it (uc.show_case's shape: deadlines in Beijing time with `overdue`,
      `retention_until` once closed, only the fees the viewer may see);
    - `deadlines`: every deadline, newest first, with its 督办 view (urgency, days_left, days_overdue, left_label);
    - `panel`: the panel's experts with their progress (panel_of's shape);
    - `events`: the history this viewer may read (uc.history's shape);
    - `actions`: what the viewer may do now (available_actions' shape, with `blocked_error`);
    - `action_names`: the set of those actions' names;
    - `fees`: the fee rows the viewer may see (accounts.list_fees' shape; [] when the case has none);
    - `pool`: the expert pool (list of Expert) when the viewer may form the panel now, else [];
    - `staff`: the liaisons ({name, institution}) when the viewer may schedule the meeting now, else [];
    - `retention`: the retention standing of a closed case (accounts.retention_of), else None;
    - `choices`: nominations and the pool filtered by POOL_FIELD / POOL_PROVINCE, to nominate and form the panel
      (workflow.nominations.panel_choices).
    - `members`: the member institutions (code: name); `custodians`: who keeps the forms and the minutes (Art. 9).
    """
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        case = load(uow, number, lock=False)
        snap = case.to_dict()
        require_view(user, snap)
        shown = shown_case(svc, user, snap)
        actions = actions_for(svc, uow, case, user)
        names = {a["action"] for a in actions}
        fees = sorted(accounts.fee_rows(uow, shown), key=lambda r: r["expert"]) if shown.get("fees") else []
        return {
            "case": shown,
            "deadlines": case_deadlines(svc, shown),
            "panel": panel_rows(uow, snap),
            "events": visible_history(uow, user, number),
            "actions": actions,
            "action_names": names,
            "fees": fees,
            "pool": uow.experts.all() if "form_panel" in names else [],
            "staff": _staff(uow) if "schedule" in names else [],
            "retention": accounts.retention_of(snap, svc.policy.retention_years, beijing_day(svc.clock.now())),
            "choices": nominations.panel_choices(uow, snap, names, user.institution, pool_field, pool_province),
            # Art. 5 / 8(4) and 9: the member institutions (for the attendance), and who keeps which paper.
            "members": dict(svc.policy.members),
            "custodians": custodians(svc, snap),
        }
