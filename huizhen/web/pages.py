"""The pages people use: sign-in, the coordinators' dashboard, the case page and its forms, the experts' pages and
the auditors' room. Every action calls one workflow use case; every page is permission-checked by the use cases
and read models it calls."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from starlette.datastructures import FormData, UploadFile
from starlette.responses import JSONResponse, RedirectResponse, Response

from huizhen.clock import parse_instant
from huizhen.commands import run_simple
from huizhen.labels import MATERIAL_KINDS
from huizhen.papers import printed
from huizhen.web import diagram, forms
from huizhen.web.auth import SESSION_COOKIE, SESSION_MAX_AGE, LoginRefused, Sessions, Viewer
from huizhen.web.common import (
    CSRF_MESSAGE,
    LoginRequired,
    WebError,
    attachment,
    call,
    csrf_ok,
    error_page,
    field,
    on_refusal,
    page_viewer,
    posted,
    read_form,
    render,
    session_data,
    web,
)
from huizhen.web.inputs import UploadRefused, check_upload, text, upload_name
from huizhen.web.shared import material_response, meeting_instant, simple_actions
from huizhen.yearly_render import CHART_NAMES
from states.beijing import BEIJING
from states.errors import InvalidInput
from workflow import accounts, queries, reports
from workflow import usecases as uc
from workflow.errors import NotFound
from workflow.queries import available_actions, case_deadlines, panel_of

router = APIRouter(include_in_schema=False)


def _case_url(number: str, ok: str | None = None) -> str:
    url = f"/cases/{quote(number, safe='')}"
    return f"{url}?ok={ok}" if ok else url


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _home(viewer: Viewer) -> str:
    return "/my/panels" if viewer.user.role == "expert" else "/dashboard"


def _set_session(response: Response, request: Request, value: str) -> None:
    w = web(request)
    response.set_cookie(SESSION_COOKIE, value, max_age=SESSION_MAX_AGE, httponly=True, samesite="lax",
                        secure=w.secure_cookies, path="/")


# --- sign-in ---------------------------------------------------------------------------------------------------


@router.get("/")
async def home(request: Request) -> Response:
    try:
        viewer = await page_viewer(request)
    except LoginRequired:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(_home(viewer), status_code=303)


def _login_page(request: Request, *, error: str = "", status: int = 200, name: str = "", nxt: str = "/") -> Response:
    data = session_data(request)
    csrf = str(data["c"]) if data else Sessions.new_csrf()
    response = render(request, "login.html.j2", {"error": error, "csrf": csrf, "name": name, "next": nxt}, status)
    if not data:
        _set_session(response, request, web(request).sessions.dumps(None, csrf))
    return response


@router.get("/login")
async def login_form(request: Request) -> Response:
    try:
        viewer = await page_viewer(request)
        return RedirectResponse(_home(viewer), status_code=303)
    except LoginRequired:
        pass
    return _login_page(request, nxt=_safe_next(request.query_params.get("next")))


@router.post("/login")
async def login(request: Request) -> Response:
    w = web(request)
    form = await read_form(request)
    data = session_data(request)
    nxt = _safe_next(field(form, "next"))
    name = field(form, "username")
    if data is None or not csrf_ok(str(data["c"]), form.get("csrf_token")):
        return _login_page(request, error=CSRF_MESSAGE, status=403, name=name, nxt=nxt)
    client = request.client.host if request.client else "unknown"
    try:
        user, fp = await call(w.auth.login, name, field(form, "password"), client)
    except LoginRefused as exc:
        from loguru import logger

        logger.bind(user=name[:64], client=client, status=exc.status).warning("web sign-in refused")
        return _login_page(request, error=exc.message, status=exc.status, name=name[:64], nxt=nxt)
    target = nxt if nxt != "/" else _home(Viewer(user, "", "session"))
    response = RedirectResponse(target, status_code=303)
    _set_session(response, request, w.sessions.dumps(user.name, Sessions.new_csrf(), fp))  # a fresh session
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    await posted(request)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- the dashboard ---------------------------------------------------------------------------------------------


def _filters(request: Request) -> dict[str, str]:
    q = request.query_params
    return {k: q.get(k, "") for k in ("state", "institution", "year")}


async def _dashboard_data(request: Request, viewer: Viewer) -> dict[str, Any]:
    f = _filters(request)
    await call(web(request).fresh_calendar)
    return await call(queries.dashboard, web(request).svc, viewer.user.name, f["state"], f["institution"], f["year"])


@router.get("/dashboard")
async def dashboard(request: Request) -> Response:
    viewer = await page_viewer(request)
    board = await _dashboard_data(request, viewer)
    query = urlencode({k: v for k, v in _filters(request).items() if v})
    return render(request, "dashboard.html.j2", {"board": board, "query": query,
                                                 "may_open": queries.may_open_case(viewer.user)}, viewer=viewer)


@router.get("/dashboard/rows")
async def dashboard_rows(request: Request) -> Response:
    viewer = await page_viewer(request)
    board = await _dashboard_data(request, viewer)
    return render(request, "_rows.html.j2", {"board": board}, viewer=viewer)


# --- opening and editing a draft -------------------------------------------------------------------------------


@router.get("/cases/new")
async def new_case_form(request: Request) -> Response:
    viewer = await page_viewer(request)
    if not queries.may_open_case(viewer.user):
        return error_page(request, 403, "无权执行此操作：只有召回技术机构的联络员可以发起会诊申请 / "
                                        "only an institution's liaison may open a case", viewer)
    return render(request, "case_form.html.j2", {"values": {}, "mode": "new"}, viewer=viewer)


@router.post("/cases/new")
async def new_case(request: Request) -> Response:
    viewer, form = await posted(request)
    w = web(request)

    async def again(error: str, status: int) -> Response:
        return render(request, "case_form.html.j2", {"values": forms.form_values(form), "mode": "new",
                                                     "error": error}, status, viewer)

    on_refusal(request, again)
    case = await call(uc.new_case, w.svc, viewer.user.name, forms.case_file(form))
    return RedirectResponse(_case_url(case.number, "new"), status_code=303)


@router.get("/cases/{number}/edit")
async def edit_case_form(request: Request, number: str) -> Response:
    viewer = await page_viewer(request)
    w = web(request)
    case = await call(uc.show_case, w.svc, viewer.user.name, number)
    actions = {a["action"] for a in await call(available_actions, w.svc, viewer.user.name, number)}
    if "edit" not in actions:
        return error_page(request, 403, f"无权执行此操作：{number} 不是您可以修改的草稿 / "
                                        f"{number} is not a draft you may edit", viewer)
    return render(request, "case_form.html.j2", {"values": forms.case_form_values(case), "mode": "edit",
                                                 "case": case}, viewer=viewer)


@router.post("/cases/{number}/edit")
async def edit_case(request: Request, number: str) -> Response:
    viewer, form = await posted(request)
    w = web(request)

    async def again(error: str, status: int) -> Response:
        return render(request, "case_form.html.j2", {"values": forms.form_values(form), "mode": "edit",
                                                     "case": {"number": number}, "error": error}, status, viewer)

    on_refusal(request, again, permission_too=False)
    await call(uc.edit_case, w.svc, viewer.user.name, number, forms.case_file(form))
    return RedirectResponse(_case_url(number, "edit"), status_code=303)


# --- the case page ---------------------------------------------------------------------------------------------


async def case_page(request: Request, viewer: Viewer, number: str, *, error: str = "", status: int = 200,
                    values: dict[str, Any] | None = None) -> Response:
    w = web(request)
    svc, who = w.svc, viewer.user.name
    case = await call(uc.show_case, svc, who, number)
    actions = await call(available_actions, svc, who, number)
    panel = await call(panel_of, svc, who, number)
    events = await call(uc.history, svc, who, number)
    fees = await call(accounts.list_fees, svc, who, number) if case.get("fees") else []
    names = {a["action"] for a in actions}
    pool = await call(uc.list_experts, svc, who) if "form_panel" in names else []
    staff = await call(queries.liaisons, svc, who) if "schedule" in names else []
    ok = request.query_params.get("ok", "") if status == 200 else ""
    ctx = {
        "case": case, "actions": actions, "action_names": names, "panel": panel, "events": events,
        "deadlines": case_deadlines(svc, case), "diagram": diagram.render(case["status"]), "pool": pool,
        "staff": staff, "error": error, "ok": ok, "values": values or {}, "material_kinds": MATERIAL_KINDS,
        "pending_experts": [p for p in panel if not p["opinion"] and not p["absent"]],
        "reason_actions": set(simple_actions()) | {"reopen"},
        "fees": fees, "unpaid_experts": [p for p in panel if p["id"] not in case.get("fees", {})],
    }
    return render(request, "case.html.j2", ctx, status, viewer)


@router.get("/cases/{number}")
async def show_case(request: Request, number: str) -> Response:
    viewer = await page_viewer(request)
    return await case_page(request, viewer, number)


@router.get("/cases/{number}/version")
async def case_version(request: Request, number: str) -> Response:
    """The case's version: the case page asks after a live update whether it changed."""
    viewer = await page_viewer(request)

    async def as_json(error: str, status: int) -> Response:
        return JSONResponse({"error": error}, status_code=status)

    on_refusal(request, as_json)
    case = await call(uc.show_case, web(request).svc, viewer.user.name, number)
    return JSONResponse({"number": case["number"], "version": case["version"], "status": case["status"]})


async def _act(request: Request, number: str, ok: str, run: Callable[[Viewer, FormData], Any],
               max_files: int = 0) -> Response:
    """A form post on a case: run it, then show the case again (303), or the case with the refusal (4xx)."""
    viewer, form = await posted(request, max_files)

    async def again(error: str, status: int) -> Response:
        return await case_page(request, viewer, number, error=error, status=status, values=forms.form_values(form))

    on_refusal(request, again)
    result = await call(run, viewer, form)
    target = number
    if ok == "reopen" and isinstance(result, tuple):
        target = result[1].number
    return RedirectResponse(_case_url(target, ok), status_code=303)


@router.post("/cases/{number}/act/{action}")
async def case_action(request: Request, number: str, action: str) -> Response:
    cmd = simple_actions().get(action)
    if cmd is None and action != "reopen":
        viewer = await page_viewer(request)
        return error_page(request, 404, f"未找到：没有名为 {action!r} 的操作 / no action {action!r}", viewer)
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        reason = text(field(form, "reason"), "reason", max_len=2000)
        if cmd is None:  # reopen: a reason too, but it answers with the new case
            return uc.reopen(svc, viewer.user.name, number, reason)
        return run_simple(cmd, svc, viewer.user.name, number, reason)

    return await _act(request, number, action, run)


@router.post("/cases/{number}/verify")
async def verify(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        return uc.verify(svc, viewer.user.name, number, text(field(form, "note"), "note", max_len=5000))

    return await _act(request, number, "verify", run)


@router.post("/cases/{number}/panel")
async def form_panel(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        experts = [text(v, "experts", max_len=16) for v in forms._list(form, "experts")]
        reason = text(field(form, "reason"), "reason", max_len=2000)
        return uc.form_panel(svc, viewer.user.name, number, experts, reason)

    return await _act(request, number, "form_panel", run)


@router.post("/cases/{number}/materials")
async def attach(request: Request, number: str) -> Response:
    viewer, form = await posted(request, max_files=1)
    svc = web(request).svc

    async def again(error: str, status: int) -> Response:
        return await case_page(request, viewer, number, error=error, status=status)

    on_refusal(request, again)
    kind = text(field(form, "kind"), "kind", max_len=32) or "other"
    # Who may attach, and in which state, comes first; then the file's name, size and type.
    await call(queries.preflight, svc, viewer.user.name, number, "attach")
    item = form.get("file")
    if not isinstance(item, UploadFile):
        raise UploadRefused(400, "请选择要上传的文件")
    name = upload_name(item.filename)
    data = await item.read()
    check_upload(name, data, svc.max_material_bytes)
    await call(uc.attach, svc, viewer.user.name, number, name, data, kind)
    return RedirectResponse(_case_url(number, "attach"), status_code=303)


@router.get("/cases/{number}/materials/{sha256}")
async def download(request: Request, number: str, sha256: str) -> Response:
    viewer = await page_viewer(request)
    item, data = await call(uc.material, web(request).svc, viewer.user.name, number, sha256)
    return material_response(item, data)


@router.post("/cases/{number}/absence")
async def absence(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        expert = text(field(form, "expert"), "expert", required=True, max_len=16)
        return uc.record_absence(svc, viewer.user.name, number, expert, text(field(form, "reason"), "reason"))

    return await _act(request, number, "record_absence", run)


@router.post("/cases/{number}/fees")
async def record_fee(request: Request, number: str) -> Response:
    """Art. 10: the applicant's liaison records a panel expert's fee (amount in CNY, the date paid if paid)."""
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        expert = text(field(form, "expert"), "expert", required=True, max_len=16)
        amount = text(field(form, "amount"), "amount", required=True, max_len=20)
        paid_on = text(field(form, "paid_on"), "paid_on", max_len=10) or None
        return accounts.record_fee(svc, viewer.user.name, number, expert, amount, paid_on)

    return await _act(request, number, "record_fee", run)


@router.post("/cases/{number}/fees/correct")
async def correct_fee(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        expert = text(field(form, "expert"), "expert", required=True, max_len=16)
        amount = text(field(form, "amount"), "amount", max_len=20) or None
        paid_on = text(field(form, "paid_on"), "paid_on", max_len=10) or None
        reason = text(field(form, "reason"), "reason", required=True, max_len=2000)
        return accounts.correct_fee(svc, viewer.user.name, number, expert, reason, amount, paid_on)

    return await _act(request, number, "correct_fee", run)


@router.post("/cases/{number}/track")
async def track(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        return uc.track(svc, viewer.user.name, number, text(field(form, "note"), "note", max_len=5000))

    return await _act(request, number, "track", run)


@router.post("/cases/{number}/schedule")
async def schedule(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        at = meeting_instant(field(form, "at"))
        platform = text(field(form, "platform"), "platform", max_len=200)
        link = text(field(form, "link"), "link", max_len=500) or None
        attendees = [text(v, "attendees", max_len=64) for v in forms._list(form, "attendees")]
        order = [v for v in forms.SPLIT_RE.split(text(field(form, "order"), "order", max_len=500)) if v]
        return uc.schedule_meeting(svc, viewer.user.name, number, at, platform, link, attendees, order)

    return await _act(request, number, "schedule", run)


# --- the experts' pages ----------------------------------------------------------------------------------------


@router.get("/my/panels")
async def my_panels(request: Request) -> Response:
    viewer = await page_viewer(request)
    rows = await call(queries.my_panels, web(request).svc, viewer.user.name)
    return render(request, "panels.html.j2", {"rows": rows}, viewer=viewer)


async def _expert_page(request: Request, viewer: Viewer, number: str, template: str, action: str, *,
                       error: str = "", status: int = 200, values: dict[str, Any] | None = None) -> Response:
    w = web(request)
    case = await call(uc.show_case, w.svc, viewer.user.name, number)
    actions = {a["action"] for a in await call(available_actions, w.svc, viewer.user.name, number)}
    panel = await call(panel_of, w.svc, viewer.user.name, number)
    me = viewer.user.expert_id
    mine = next((p for p in panel if p["id"] == me), None)
    if mine is None:
        return error_page(request, 403, f"无权执行此操作：您不在 {number} 的专家组中 / you are not on the panel of "
                                        f"{number}", viewer)
    ctx = {"case": case, "mine": mine, "open": action in actions, "error": error, "values": values or {},
           "panel": panel, "printed": printed}
    return render(request, template, ctx, status, viewer)


@router.get("/cases/{number}/analysis")
async def analysis_form(request: Request, number: str) -> Response:
    viewer = await page_viewer(request)
    return await _expert_page(request, viewer, number, "analysis.html.j2", "record_analysis")


async def _expert_post(request: Request, number: str, template: str, action: str,
                       run: Callable[[Viewer, FormData], Any]) -> Response:
    """An expert's form posted: done → the case page; refused → the same form with the message and what was typed
    (or an error page when the expert may not be here at all)."""
    viewer, form = await posted(request)

    async def again(error: str, status: int) -> Response:
        return await _expert_page(request, viewer, number, template, action, error=error, status=status,
                                  values=forms.form_values(form))

    on_refusal(request, again, permission_too=False)
    await call(run, viewer, form)
    return RedirectResponse(_case_url(number, action), status_code=303)


@router.post("/cases/{number}/analysis")
async def analysis(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        body = text(field(form, "text"), "text", max_len=20000)
        return uc.record_analysis(svc, viewer.user.name, number, viewer.user.expert_id or "", body)

    return await _expert_post(request, number, "analysis.html.j2", "record_analysis", run)


@router.get("/cases/{number}/opinion")
async def opinion_form(request: Request, number: str) -> Response:
    viewer = await page_viewer(request)
    return await _expert_page(request, viewer, number, "opinion.html.j2", "record_opinion")


def _complete(data: dict[str, Any]) -> None:
    causes = data.get("producer_cause", {})
    for key in ("design", "manufacturing", "warning"):
        if key not in causes:
            raise InvalidInput("missing (answer yes or no)", key="missing", field=f"producer_cause.{key}")


@router.post("/cases/{number}/opinion")
async def opinion(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        data = forms.opinion(form)
        if not field(form, "confirm"):
            raise InvalidInput("tick the confirmation to sign the form (signing is final)", key="confirm_sign",
                               field="confirm")
        if "producer_cause" in data:
            _complete(data)
        return uc.record_opinion(svc, viewer.user.name, number, viewer.user.expert_id or "", data)

    return await _expert_post(request, number, "opinion.html.j2", "record_opinion", run)


@router.post("/forms/preview")
async def preview(request: Request) -> Response:
    """The 会诊表's conclusions for the answers so far (the rules of states/rules.py; nothing is stored)."""
    viewer = await page_viewer(request)
    form = await read_form(request)
    if not csrf_ok(viewer.csrf, request.headers.get("x-csrf-token") or form.get("csrf_token")):
        raise WebError(403, CSRF_MESSAGE)

    async def as_json(error: str, status: int) -> Response:
        return JSONResponse({"error": {"status": 400, "code": "invalid_input", "message": error}}, status_code=400)

    on_refusal(request, as_json)
    return JSONResponse(queries.preview_opinion(forms.opinion(form)))


# --- the year in figures ------------------------------------------------------------------------------------

_chart_cache: dict[str, dict[str, bytes]] = {}


def _report_query(request: Request, svc: Any) -> tuple[int, str | None]:
    raw = request.query_params.get("year", "").strip() or str(svc.clock.now().astimezone(BEIJING).year)
    if not raw.isdigit() or len(raw) != 4:
        raise InvalidInput(f"{raw[:20]!r} is not a year", key="year_invalid", field="year", year=raw[:20])
    inst = request.query_params.get("institution", "").strip().upper() or None
    return int(raw), inst


def _charts_of(report: dict[str, Any]) -> dict[str, bytes]:
    """The report's PNG charts, drawn once per distinct set of figures (the web keeps the last few)."""
    import hashlib
    import json
    import tempfile
    from pathlib import Path

    from huizhen.yearly_render import draw_charts

    figures = {k: v for k, v in report.items() if k != "generated_at"}
    key = hashlib.sha256(json.dumps(figures, sort_keys=True, default=str).encode()).hexdigest()
    if key not in _chart_cache:
        with tempfile.TemporaryDirectory(prefix="huizhen-charts-") as tmp:
            files = draw_charts(report, Path(tmp), "chart")
            _chart_cache[key] = {name: (Path(tmp) / file).read_bytes() for name, file in files.items()}
        while len(_chart_cache) > 16:
            _chart_cache.pop(next(iter(_chart_cache)))
    return _chart_cache[key]


@router.get("/reports")
async def report_page(request: Request) -> Response:
    """年度统计: the figures of `huizhen report year` for liaisons, admins and auditors, with the charts."""
    viewer = await page_viewer(request)
    svc = web(request).svc
    year, inst = _report_query(request, svc)
    report = await call(reports.yearly_report, svc, viewer.user.name, year, inst)
    return render(request, "report.html.j2", {"r": report, "charts": CHART_NAMES}, viewer=viewer)


@router.get("/reports/charts/{name}")
async def report_chart(request: Request, name: str) -> Response:
    viewer = await page_viewer(request)
    svc = web(request).svc
    chart = name.removesuffix(".png")
    if chart not in CHART_NAMES:
        raise NotFound(f"chart {name[:40]!r} does not exist ({', '.join(CHART_NAMES)})", key="chart_not_found",
                       chart=name[:40])
    year, inst = _report_query(request, svc)
    report = await call(reports.yearly_report, svc, viewer.user.name, year, inst)
    data = (await call(_charts_of, report))[chart]
    return Response(data, media_type="image/png", headers={"Cache-Control": "private, max-age=60"})


# --- retention (Art. 9): what is kept until when; admins appraise, hold and purge ---------------------------


async def retention_page(request: Request, viewer: Viewer, *, error: str = "", status: int = 200,
                         result: dict[str, Any] | None = None) -> Response:
    svc = web(request).svc
    rows = await call(accounts.retention_list, svc, viewer.user.name)
    purged = await call(accounts.retention_list, svc, viewer.user.name, True)
    ok = request.query_params.get("ok", "") if status == 200 else ""
    ctx = {"rows": rows, "purged": purged, "error": error, "ok": ok, "result": result,
           "years": svc.policy.retention_years}
    return render(request, "retention.html.j2", ctx, status, viewer)


@router.get("/retention")
async def retention(request: Request) -> Response:
    return await retention_page(request, await page_viewer(request))


def _refused_to_retention(request: Request, viewer: Viewer) -> None:
    async def again(error: str, status: int) -> Response:
        return await retention_page(request, viewer, error=error, status=status)

    on_refusal(request, again)


async def _retention_act(request: Request, ok: str, run: Callable[[Viewer, FormData], Any]) -> Response:
    viewer, form = await posted(request)
    _refused_to_retention(request, viewer)
    await call(run, viewer, form)
    return RedirectResponse(f"/retention?ok={ok}", status_code=303)


@router.post("/retention/{number}/appraise")
async def retention_appraise(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        approver = text(field(form, "approver"), "approver", required=True, max_len=100)
        note = text(field(form, "note"), "note", required=True, max_len=2000)
        return accounts.appraise(svc, viewer.user.name, number, approver, note)

    return await _retention_act(request, "appraised", run)


@router.post("/retention/{number}/hold")
async def retention_hold(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        reason = text(field(form, "reason"), "reason", required=True, max_len=2000)
        return accounts.place_hold(svc, viewer.user.name, number, reason)

    return await _retention_act(request, "held", run)


@router.post("/retention/{number}/release")
async def retention_release(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        return accounts.release_hold(svc, viewer.user.name, number, text(field(form, "reason"), "reason",
                                                                           max_len=2000))

    return await _retention_act(request, "released", run)


@router.post("/retention/purge")
async def retention_purge(request: Request) -> Response:
    """Destroy what is eligible (never anything else); the page then lists what went and what was refused, with
    the destruction list to download."""
    viewer, form = await posted(request)
    svc = web(request).svc
    _refused_to_retention(request, viewer)
    if field(form, "confirm") != "yes":
        raise InvalidInput("tick the box to destroy the eligible cases (this cannot be undone)",
                           key="confirm_purge", field="confirm")
    result = await call(accounts.purge, svc, viewer.user.name, [])
    return await retention_page(request, viewer, result=result.to_dict())


@router.get("/retention/destruction-lists/{name}")
async def destruction_list_file(request: Request, name: str) -> Response:
    """销毁清单 BATCH as CSV or PDF, drawn from its tombstones."""
    import tempfile
    from pathlib import Path

    from huizhen.yearly_render import write_destruction_list

    viewer = await page_viewer(request)
    w = web(request)
    batch, _, fmt = name.rpartition(".")
    if fmt not in ("csv", "pdf") or not batch:
        raise NotFound(f"destruction list {name[:60]!r} does not exist (BATCH.csv or BATCH.pdf)",
                       key="destruction_list_not_found", batch=name[:60])
    rows = await call(accounts.destruction_list, w.svc, viewer.user.name, batch)
    with tempfile.TemporaryDirectory(prefix="huizhen-destruction-") as tmp:
        files = await call(write_destruction_list, batch, rows, w.hz.settings.members, Path(tmp))
        data = Path(files[fmt]).read_bytes()
    return attachment(data, f"destruction-list-{batch}.{fmt}")


# --- the auditors' room ----------------------------------------------------------------------------------------


@router.get("/audit")
async def audit(request: Request) -> Response:
    viewer = await page_viewer(request)
    svc = web(request).svc
    findings = await call(uc.verify_audit, svc, viewer.user.name)
    cases = await call(uc.list_cases, svc, viewer.user.name)
    return render(request, "audit.html.j2", {"findings": findings, "cases": cases}, viewer=viewer)


def _at(request: Request) -> datetime | None:
    raw = request.query_params.get("at", "").strip()
    return parse_instant(raw, "at") if raw else None


@router.get("/audit/cases/{number}")
async def audit_case(request: Request, number: str) -> Response:
    viewer = await page_viewer(request)
    svc = web(request).svc
    findings = await call(uc.verify_audit, svc, viewer.user.name, number)
    events = await call(uc.history, svc, viewer.user.name, number)
    at = _at(request)
    replay = await call(uc.replay_at, svc, viewer.user.name, number, at)
    index = len(events) - 1
    if at is not None:
        index = max([i for i, e in enumerate(events) if datetime.fromisoformat(e["occurred_at"]) <= at] or [0])
    return render(request, "audit_case.html.j2", {"number": number, "findings": findings, "events": events,
                                                  "replay": replay, "index": index, "at": at,
                                                  "diagram": diagram.render(replay["status"])}, viewer=viewer)


@router.get("/audit/cases/{number}/replay")
async def audit_replay(request: Request, number: str) -> Response:
    viewer = await page_viewer(request)
    at = _at(request)
    replay = await call(uc.replay_at, web(request).svc, viewer.user.name, number, at)
    return render(request, "_replay.html.j2", {"replay": replay, "at": at,
                                               "diagram": diagram.render(replay["status"])}, viewer=viewer)


@router.get("/inbox")
async def inbox(request: Request) -> Response:
    """Your in-app messages: reminders (督办), invitations and minutes."""
    viewer = await page_viewer(request)
    from workflow import timekeeping

    items = await call(timekeeping.inbox, web(request).svc, viewer.user.name, False)
    return render(request, "inbox.html.j2", {"items": list(reversed(items))}, viewer=viewer)


@router.post("/inbox/read")
async def inbox_read(request: Request) -> Response:
    viewer, _ = await posted(request)
    from workflow import timekeeping

    await call(timekeeping.inbox, web(request).svc, viewer.user.name, True)
    return RedirectResponse("/inbox", status_code=303)


@router.get("/help/api")
async def api_help(request: Request) -> Response:
    viewer = await page_viewer(request)
    schema = request.app.openapi()
    endpoints = []
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            endpoints.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                              "description": (op.get("description") or "").split("\n")[0]})
    return render(request, "api_help.html.j2", {"endpoints": endpoints}, viewer=viewer)
