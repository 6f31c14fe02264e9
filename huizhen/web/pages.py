"""The pages people use: sign-in, the coordinators' dashboard, drafts, the case page and its forms (the experts'
pages are in experts.py, the record's — reports, retention, audit, inbox — in records.py). Every action calls one
workflow use case; every page is permission-checked by the use cases and read models it calls. A refusal is drawn
by the app's one error handler (routes name the page that shows it again with `on_refusal`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from loguru import logger
from starlette.datastructures import FormData, UploadFile
from starlette.responses import JSONResponse, RedirectResponse, Response

from huizhen import case_export
from huizhen.commands import run_simple
from huizhen.labels import MATERIAL_KINDS, t
from huizhen.web import diagram, forms
from huizhen.web.api_records import _paper as paper_bytes  # the one way a paper becomes bytes
from huizhen.web.auth import SESSION_COOKIE, SESSION_MAX_AGE, LoginRefused, Sessions, Viewer
from huizhen.web.common import (
    CSRF_MESSAGE,
    LoginRequired,
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
from huizhen.web.shared import case_url, material_response, meeting_instant, simple_actions
from states.errors import InvalidInput
from workflow import accounts, finding, nominations, queries
from workflow import usecases as uc
from workflow.queries import available_actions

router = APIRouter(include_in_schema=False)


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


def _login_page(request: Request, *, error: str = "", status: int = 200, name: str = "", nxt: str = "/",
                notice: str = "") -> Response:
    data = session_data(request)
    csrf = str(data["c"]) if data else Sessions.new_csrf()
    response = render(request, "login.html.j2", {"error": error, "csrf": csrf, "name": name, "next": nxt,
                                                 "notice": notice}, status)
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
    notice = t("session_idle_ended", minutes=int(web(request).hz.settings.web.session_idle_minutes)) \
        if request.query_params.get("expired") == "1" else ""
    return _login_page(request, nxt=_safe_next(request.query_params.get("next")), notice=notice)


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

        logger.bind(user=name[:64], client=client, status=exc.status).warning("web sign-in refused")
        return _login_page(request, error=exc.message, status=exc.status, name=name[:64], nxt=nxt)
    target = nxt if nxt != "/" else _home(Viewer(user, "", "session"))
    response = RedirectResponse(target, status_code=303)
    _set_session(response, request, w.sessions.dumps(user.name, Sessions.new_csrf(), fp))  # a fresh session
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    await posted(request)
    data = session_data(request)
    if data is not None:
        await call(web(request).auth.end_session, data)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- the dashboard ---------------------------------------------------------------------------------------------


FILTERS = ("state", "institution", "year", "q", "sort", "mine")


def _filters(request: Request) -> dict[str, str]:
    q = request.query_params
    return {k: q.get(k, "") for k in FILTERS}


async def _dashboard_data(request: Request, viewer: Viewer) -> dict[str, Any]:
    f = _filters(request)
    await call(web(request).fresh_calendar)
    return await call(queries.dashboard, web(request).svc, viewer.user.name, f["state"], f["institution"], f["year"],
                      f["q"], f["sort"], f["mine"], request.query_params.get("page") or 1)


def _board_context(request: Request, board: dict[str, Any]) -> dict[str, Any]:
    """The filters as a query string (the live update and the pager keep them), with the page for the rows."""
    filters = {k: v for k, v in _filters(request).items() if v}
    query = urlencode(filters)
    page = board["page"]
    at_page = urlencode(filters | ({"page": str(page)} if page > 1 else {}))

    def page_url(n: int) -> str:
        return "/dashboard?" + urlencode(filters | {"page": str(n)})

    return {"board": board, "query": query, "rows_query": at_page, "page_url": page_url,
            "export_query": ("?" + query) if query else ""}


@router.get("/dashboard")
async def dashboard(request: Request) -> Response:
    viewer = await page_viewer(request)
    board = await _dashboard_data(request, viewer)
    return render(request, "dashboard.html.j2", _board_context(request, board)
                  | {"may_open": queries.may_open_case(viewer.user)}, viewer=viewer)


@router.get("/dashboard/rows")
async def dashboard_rows(request: Request) -> Response:
    viewer = await page_viewer(request)
    board = await _dashboard_data(request, viewer)
    return render(request, "_rows.html.j2", _board_context(request, board), viewer=viewer)


async def _export(request: Request, fmt: str) -> Response:
    viewer = await page_viewer(request)
    w = web(request)
    f = _filters(request)
    rows = await call(finding.export_rows, w.svc, viewer.user.name, state=f["state"], institution=f["institution"],
                      year=f["year"], q=f["q"], sort=f["sort"], mine=f["mine"])
    data = await call(case_export.export_bytes, fmt, rows)
    name = case_export.filename(fmt, w.svc.clock.now())
    return Response(data, media_type=case_export.MIME[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/dashboard/export.csv")
async def dashboard_export_csv(request: Request) -> Response:
    """The filtered list (every page, not only the one shown) as CSV."""
    return await _export(request, "csv")


@router.get("/dashboard/export.xlsx")
async def dashboard_export_xlsx(request: Request) -> Response:
    """The filtered list (every page, not only the one shown) as XLSX."""
    return await _export(request, "xlsx")


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
    return RedirectResponse(case_url(case.number, "new"), status_code=303)


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
    return RedirectResponse(case_url(number, "edit"), status_code=303)


# --- the case page ---------------------------------------------------------------------------------------------


async def case_page(request: Request, viewer: Viewer, number: str, *, error: str = "", status: int = 200,
                    values: dict[str, Any] | None = None) -> Response:
    # One read-only transaction, one load of the case (workflow.queries.case_page): everything the page shows.
    q = request.query_params
    pool_field = text(q.get("pool_field", ""), "pool_field", max_len=200)
    pool_province = text(q.get("pool_province", ""), "pool_province", max_len=8)
    page = await call(queries.case_page, web(request).svc, viewer.user.name, number, pool_field, pool_province)
    case, panel = page["case"], page["panel"]
    ok = request.query_params.get("ok", "") if status == 200 else ""
    ctx = {
        **page, "diagram": diagram.figure(case["status"]), "error": error, "ok": ok, "values": values or {},
        "material_kinds": MATERIAL_KINDS, "pool_field": pool_field, "pool_province": pool_province, "reason_actions": set(simple_actions()) | {"reopen"},
        "pending_experts": [p for p in panel if not p["opinion"] and not p["absent"]],
        "unpaid_experts": [p for p in panel if p["id"] not in case.get("fees", {})],
        # A draft's applicant is warned of earlier cases with the same producer, model or report number (issue 14).
        "similar": (await call(finding.similar_cases, web(request).svc, viewer.user.name, case.get("product") or {},
                               number) if "edit" in page["action_names"] else []),
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
    return RedirectResponse(case_url(target, ok), status_code=303)


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


@router.post("/cases/{number}/concur")
async def concur(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        return uc.concur(svc, viewer.user.name, number, text(field(form, "note"), "note", max_len=2000))

    return await _act(request, number, "concur", run)


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
    return RedirectResponse(case_url(number, "attach"), status_code=303)


@router.get("/cases/{number}/materials/{sha256}")
async def download(request: Request, number: str, sha256: str) -> Response:
    viewer = await page_viewer(request)
    item, data = await call(uc.material, web(request).svc, viewer.user.name, number, sha256)
    from huizhen.web.downloads import logged  # the read log (issue 14)

    await logged(request, viewer.user.name, "material", number, str(item["filename"]))
    return material_response(item, data)


@router.post("/cases/{number}/chase")
async def chase(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        expert = text(field(form, "expert"), "expert", required=True, max_len=16)
        return uc.chase(svc, viewer.user.name, number, expert, text(field(form, "note"), "note"))

    return await _act(request, number, "chase", run)


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


# --- i12-panel --- Art. 8(1): nominations by every institution, the experts' answers, a conflicted expert kept


@router.post("/cases/{number}/nominations")
async def nominate(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        experts = [text(v, "expert", max_len=16) for v in forms._list(form, "experts")]
        note = text(field(form, "note"), "note", max_len=2000)
        return nominations.nominate(svc, viewer.user.name, number, experts, note)

    return await _act(request, number, "nominate", run)


@router.post("/cases/{number}/nominations/withdraw")
async def withdraw_nomination(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        expert = text(field(form, "expert"), "expert", required=True, max_len=16)
        return nominations.withdraw_nomination(svc, viewer.user.name, number, expert)

    return await _act(request, number, "withdraw_nomination", run)


@router.post("/cases/{number}/response")
async def respond(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        answer = text(field(form, "answer"), "answer", max_len=16)
        return nominations.respond(
            svc, viewer.user.name, number, viewer.user.expert_id or "", answer,
            employer=text(field(form, "employer"), "employer", max_len=200),
            province=text(field(form, "province"), "province", max_len=50),
            relation=text(field(form, "relation"), "relation", max_len=16) or "none",
            relation_text=text(field(form, "relation_text"), "relation_text", max_len=2000),
            note=text(field(form, "note"), "note", max_len=2000))

    return await _act(request, number, "respond", run)


@router.post("/cases/{number}/keep")
async def keep_expert(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        expert = text(field(form, "expert"), "expert", required=True, max_len=16)
        reason = text(field(form, "reason"), "reason", max_len=2000)
        return nominations.keep_expert(svc, viewer.user.name, number, expert, reason)

    return await _act(request, number, "keep_expert", run)


# --- the meeting's records and the minutes as a draft (issue 12, Art. 8(4)–(7)) ----------------------------------


@router.post("/cases/{number}/attendance")
async def attendance(request: Request, number: str) -> Response:
    """The lead records an institution's 1–2 staff at the meeting by real name, or that it sent no one."""
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        institution = text(field(form, "institution"), "institution", required=True, max_len=16)
        staff = [text(field(form, key), "staff", max_len=50) for key in ("staff1", "staff2", "staff3")]
        absent = field(form, "absent") == "yes"
        return uc.record_attendance(svc, viewer.user.name, number, institution, [s for s in staff if s], absent)

    return await _act(request, number, "record_attendance", run)


@router.post("/cases/{number}/statement")
async def statement(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        expert = text(field(form, "expert"), "expert", required=True, max_len=16)
        raw_order = text(field(form, "order"), "order", max_len=3)
        if raw_order and not raw_order.isdigit():
            raise InvalidInput(f"{raw_order!r} is not a number", key="statement_order_invalid", field="order",
                               limit=99)
        said = text(field(form, "text"), "text", max_len=20000)
        return uc.record_statement(svc, viewer.user.name, number, expert, said, int(raw_order) if raw_order else None)

    return await _act(request, number, "record_statement", run)


def _minutes_fields(form: FormData) -> dict[str, str | None]:
    return {key: text(field(form, key), key, max_len=5000) or None
            for key in ("summary", "decision_text", "follow_up")}


@router.post("/cases/{number}/minutes/draft")
async def minutes_draft(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        return uc.draft_minutes(svc, viewer.user.name, number, **_minutes_fields(form))

    return await _act(request, number, "draft_minutes", run)


@router.post("/cases/{number}/minutes/correct")
async def minutes_correct(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        reason = text(field(form, "reason"), "reason", max_len=2000)
        return uc.correct_minutes(svc, viewer.user.name, number, reason, **_minutes_fields(form))

    return await _act(request, number, "correct_minutes", run)


@router.get("/cases/{number}/minutes/preview.pdf")
async def minutes_preview(request: Request, number: str) -> Response:
    """The minutes as a PDF shown in the browser: the draft with the lead's edits before issuing, then the issue in
    force (?issue=N an earlier one)."""
    viewer = await page_viewer(request)
    raw = request.query_params.get("issue", "")
    issue = int(raw) if raw.isdigit() else None
    data = await call(paper_bytes, "minutes", web(request).svc, viewer.user.name, number, None, "pdf", issue)
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{number}-minutes.pdf"'})
