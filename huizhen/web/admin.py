"""The admin's pages (issue 14): users, the expert pool, the working calendar, the rotation and the admin's trail;
and everyone's own account (我的账户). Each action calls the same workflow use case as the CLI and the API
(workflow.people, workflow.web_usecases, workflow.timekeeping), so the same rules refuse it and the same trail
records it. A refusal shows the page again with one line naming the field."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from huizhen.web.auth import Viewer
from huizhen.web.common import call, field, on_refusal, page_viewer, posted, render, web
from huizhen.web.inputs import text
from states.errors import InvalidInput
from workflow import people, timekeeping
from workflow import web_usecases as wu
from workflow.usecases import beijing_day

router = APIRouter(include_in_schema=False)

MAX_YEAR_FILE = 256 * 1024  # a year's arrangement is a few hundred lines


def _refused_to(request: Request, page: Callable[[str, int], Awaitable[Response]]) -> None:
    on_refusal(request, page)


def _optional(form: FormData, name: str, max_len: int = 254) -> str | None:
    """A text field that may be left out (None) or emptied ('')."""
    if name not in form:
        return None
    return text(field(form, name), name, max_len=max_len)


# --- users ---------------------------------------------------------------------------------------------------------


async def users_page(request: Request, viewer: Viewer, *, error: str = "", status: int = 200,
                     typed: dict[str, str] | None = None) -> Response:
    svc = web(request).svc
    await call(people.ensure_admin, svc, viewer.user.name)
    rows = await call(wu.list_users, svc, viewer.user.name)
    experts = await call(people.list_experts, svc, viewer.user.name)
    ok = request.query_params.get("ok", "") if status == 200 else ""
    return render(request, "admin_users.html.j2", {"rows": rows, "experts": experts, "error": error, "ok": ok,
                                                   "typed": typed or {}, "max_liaisons": people.MAX_LIAISONS},
                  status, viewer)


@router.get("/admin/users")
async def users(request: Request) -> Response:
    return await users_page(request, await page_viewer(request))


@router.post("/admin/users")
async def add_user(request: Request) -> Response:
    viewer, form = await posted(request)
    typed = {k: field(form, k) for k in ("name", "role", "institution", "expert", "display_name", "email", "phone")}

    async def again(error: str, status: int) -> Response:
        return await users_page(request, viewer, error=error, status=status, typed=typed)

    _refused_to(request, again)
    w = web(request)
    name = text(typed["name"], "name", required=True, max_len=64)
    password = field(form, "password")
    if password:
        wu.check_password(password, name)
    password_hash = w.auth.hash_password(password) if password else None
    await call(people.add_user, w.svc, viewer.user.name, name, typed["role"], typed["institution"] or None,
               typed["expert"] or None, typed["email"] or None, password_hash,
               display_name=text(typed["display_name"], "display_name", max_len=100),
               phone=text(typed["phone"], "phone", max_len=40) or None)
    return RedirectResponse(f"/admin/users/{quote(name, safe='')}?ok=added", status_code=303)


async def user_page(request: Request, viewer: Viewer, name: str, *, error: str = "", status: int = 200,
                    secret: dict[str, str] | None = None) -> Response:
    w = web(request)
    await call(people.ensure_admin, w.svc, viewer.user.name)
    user = await call(people.get_user, w.svc, viewer.user.name, name)
    tokens = await call(wu.list_tokens, w.svc, w.store, viewer.user.name, name)
    experts = await call(people.list_experts, w.svc, viewer.user.name)
    ok = request.query_params.get("ok", "") if status == 200 and not secret else ""
    return render(request, "admin_user.html.j2", {"u": wu.user_row(user), "tokens": tokens, "experts": experts,
                                                  "error": error, "ok": ok, "secret": secret}, status, viewer)


def _user_refusal(request: Request, viewer: Viewer, name: str) -> None:
    async def again(error: str, status: int) -> Response:
        return await user_page(request, viewer, name, error=error, status=status)

    _refused_to(request, again)


@router.get("/admin/users/{name}")
async def user(request: Request, name: str) -> Response:
    return await user_page(request, await page_viewer(request), name)


@router.post("/admin/users/{name}")
async def update_user(request: Request, name: str) -> Response:
    viewer, form = await posted(request)
    _user_refusal(request, viewer, name)
    await call(people.update_user, web(request).svc, viewer.user.name, name,
               role=_optional(form, "role", 16), institution=_optional(form, "institution", 8),
               expert_id=_optional(form, "expert", 16), display_name=_optional(form, "display_name", 100),
               email=_optional(form, "email"), phone=_optional(form, "phone", 40))
    return RedirectResponse(f"/admin/users/{quote(name, safe='')}?ok=updated", status_code=303)


def _on_or_off(form: FormData) -> str:
    """The 启用/停用 choice of a user or an expert."""
    choice = field(form, "active")
    if choice not in ("on", "off"):
        raise InvalidInput(f"active must be on or off, not {choice!r}", key="active_choice_invalid", field="active",
                           value=choice)
    return str(choice)


@router.post("/admin/users/{name}/active")
async def user_active(request: Request, name: str) -> Response:
    viewer, form = await posted(request)
    _user_refusal(request, viewer, name)
    choice = _on_or_off(form)
    await call(people.set_user_active, web(request).svc, viewer.user.name, name, choice == "on")
    return RedirectResponse(f"/admin/users/{quote(name, safe='')}?ok={'enabled' if choice == 'on' else 'disabled'}",
                            status_code=303)


@router.post("/admin/users/{name}/password")
async def user_password(request: Request, name: str) -> Response:
    """A new one-time password, shown on this answer only (never again, never in a URL)."""
    viewer, _ = await posted(request)
    _user_refusal(request, viewer, name)
    w = web(request)
    password = await call(wu.reset_password, w.svc, w.store, viewer.user.name, name, w.auth.hash_password)
    return await user_page(request, viewer, name, secret={"kind": "password", "value": password})


@router.post("/admin/users/{name}/tokens")
async def user_token(request: Request, name: str) -> Response:
    viewer, form = await posted(request)
    _user_refusal(request, viewer, name)
    w = web(request)
    await call(people.ensure_admin, w.svc, viewer.user.name)
    label = text(field(form, "label"), "label", max_len=100)
    token = await call(wu.issue_token, w.svc, w.store, viewer.user.name, name, label)
    return await user_page(request, viewer, name, secret={"kind": "token", "value": token})


@router.post("/admin/users/{name}/tokens/{token_id}/revoke")
async def user_token_revoke(request: Request, name: str, token_id: int) -> Response:
    viewer, _ = await posted(request)
    _user_refusal(request, viewer, name)
    w = web(request)
    await call(people.ensure_admin, w.svc, viewer.user.name)
    await call(wu.revoke_token, w.svc, w.store, viewer.user.name, name, token_id)
    return RedirectResponse(f"/admin/users/{quote(name, safe='')}?ok=revoked", status_code=303)


# --- the expert pool -----------------------------------------------------------------------------------------------


async def experts_page(request: Request, viewer: Viewer, *, error: str = "", status: int = 200,
                       typed: dict[str, str] | None = None, editing: str = "") -> Response:
    svc = web(request).svc
    rows = await call(people.list_experts, svc, viewer.user.name)
    ok = request.query_params.get("ok", "") if status == 200 else ""
    editing = editing or request.query_params.get("edit", "")
    may_add = viewer.user.role in ("admin", "liaison")
    return render(request, "admin_experts.html.j2", {"rows": rows, "error": error, "ok": ok, "typed": typed or {},
                                                     "may_add": may_add, "editing": editing}, status, viewer)


@router.get("/admin/experts")
async def experts(request: Request) -> Response:
    return await experts_page(request, await page_viewer(request))


EXPERT_FIELDS = ("name", "field", "employer", "title", "province")


@router.post("/admin/experts")
async def add_expert(request: Request) -> Response:
    viewer, form = await posted(request)
    typed = {k: field(form, k) for k in EXPERT_FIELDS}

    async def again(error: str, status: int) -> Response:
        return await experts_page(request, viewer, error=error, status=status, typed=typed)

    _refused_to(request, again)
    expert = await call(people.add_expert, web(request).svc, viewer.user.name, typed["name"], typed["field"],
                        typed["employer"], typed["title"], typed["province"])
    return RedirectResponse(f"/admin/experts?ok=added&id={expert.id}", status_code=303)


@router.post("/admin/experts/{expert_id}")
async def edit_expert(request: Request, expert_id: str) -> Response:
    viewer, form = await posted(request)

    async def again(error: str, status: int) -> Response:
        return await experts_page(request, viewer, error=error, status=status, editing=expert_id)

    _refused_to(request, again)
    await call(people.edit_expert, web(request).svc, viewer.user.name, expert_id,
               name=_optional(form, "name", 200), field_=_optional(form, "field", 200),
               employer=_optional(form, "employer", 200), title=_optional(form, "title", 200),
               province=_optional(form, "province", 8))
    return RedirectResponse("/admin/experts?ok=edited", status_code=303)


@router.post("/admin/experts/{expert_id}/active")
async def expert_active(request: Request, expert_id: str) -> Response:
    viewer, form = await posted(request)

    async def again(error: str, status: int) -> Response:
        return await experts_page(request, viewer, error=error, status=status)

    _refused_to(request, again)
    choice = _on_or_off(form)
    await call(people.set_expert_active, web(request).svc, viewer.user.name, expert_id, choice == "on")
    return RedirectResponse(f"/admin/experts?ok={'activated' if choice == 'on' else 'deactivated'}",
                            status_code=303)


# --- the working calendar ------------------------------------------------------------------------------------------


async def calendar_page(request: Request, viewer: Viewer, *, error: str = "", status: int = 200,
                        preview: Any = None, content: str = "") -> Response:
    w = web(request)
    await call(people.ensure_admin, w.svc, viewer.user.name)
    await call(w.fresh_calendar)
    cal: Any = w.svc.calendar
    today = beijing_day(w.svc.clock.now())
    years = await call(timekeeping.calendar_years, w.svc)
    ok = request.query_params.get("ok", "") if status == 200 and preview is None else ""
    loaded = {int(r["year"]) for r in years}
    standing = [{"year": y, "provisional": bool(cal.day_kind(date(y, 1, 1))[2]), "loaded": y in loaded}
                for y in range(today.year - 1, today.year + 3)]
    # From November on, next year's arrangement is due (the CLI's `calendar status` warns the same way).
    warn_next = today.month >= 11 and any(r["provisional"] for r in standing if r["year"] == today.year + 1)
    ctx = {"standing": standing, "warn_next": warn_next, "today": today, "years": years, "error": error, "preview": preview,
           "content": content, "ok": ok, "moved": request.query_params.get("moved", "")}
    return render(request, "admin_calendar.html.j2", ctx, status, viewer)


@router.get("/admin/calendar")
async def calendar(request: Request) -> Response:
    return await calendar_page(request, await page_viewer(request))


async def _year_file(form: FormData) -> tuple[str, str]:
    """The year file's text and its name: an uploaded file, else the text pasted in the page."""
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_YEAR_FILE + 1)
        if len(data) > MAX_YEAR_FILE:
            raise InvalidInput("the year file is too large", key="year_file_too_large", field="file",
                               limit=MAX_YEAR_FILE // 1024)
        try:
            return data.decode("utf-8"), upload.filename
        except UnicodeDecodeError:
            raise InvalidInput("the year file is not UTF-8 text", key="file_not_utf8", field="file") from None
    content = form.get("content")
    if not isinstance(content, str) or not content.strip():
        raise InvalidInput("choose a year file or paste its content", key="year_file_missing", field="file")
    if len(content) > MAX_YEAR_FILE:
        raise InvalidInput("the year file is too large", key="year_file_too_large", field="content",
                           limit=MAX_YEAR_FILE // 1024)
    return content, field(form, "filename") or "（页面粘贴）"


@router.post("/admin/calendar/preview")
async def calendar_preview(request: Request) -> Response:
    """Step one: check the file and list the open deadlines it would move; nothing is written."""
    from scheduler.calendar import YEAR_BOOK  # the calendar room, as the CLI and the API load it

    viewer, form = await posted(request, max_files=1)

    async def again(error: str, status: int) -> Response:
        return await calendar_page(request, viewer, error=error, status=status)

    _refused_to(request, again)
    content, source = await _year_file(form)
    report = await call(timekeeping.load_calendar_year, web(request).svc, viewer.user.name, content, source,
                        YEAR_BOOK, preview=True)
    return await calendar_page(request, viewer, preview={"report": report, "source": source}, content=content)


@router.post("/admin/calendar/load")
async def calendar_load(request: Request) -> Response:
    """Step two, after the preview: load the file; the moved deadlines are recorded in each case's history."""
    from scheduler.calendar import YEAR_BOOK

    viewer, form = await posted(request)

    async def again(error: str, status: int) -> Response:
        return await calendar_page(request, viewer, error=error, status=status)

    _refused_to(request, again)
    if field(form, "confirm") != "yes":
        raise InvalidInput("confirm the preview first", key="confirm_missing", field="confirm")
    content, source = await _year_file(form)
    report = await call(timekeeping.load_calendar_year, web(request).svc, viewer.user.name, content, source,
                        YEAR_BOOK)
    return RedirectResponse(f"/admin/calendar?ok=loaded&moved={len(report.moved)}", status_code=303)


# --- the rotation (Art. 3) and the admin's trail -------------------------------------------------------------------


@router.get("/rotation")
async def rotation(request: Request) -> Response:
    """Who leads in which term (Art. 3), computed from the configured order: everyone may read it."""
    viewer = await page_viewer(request)
    svc = web(request).svc
    terms = await call(people.rotation_terms, svc, beijing_day(svc.clock.now()))
    return render(request, "rotation.html.j2", {"terms": terms}, viewer=viewer)


@router.get("/admin/log")
async def admin_log(request: Request) -> Response:
    viewer = await page_viewer(request)
    rows = await call(people.admin_trail, web(request).svc, viewer.user.name)
    return render(request, "admin_log.html.j2", {"rows": rows}, viewer=viewer)


# --- one's own account ---------------------------------------------------------------------------------------------


async def account_page(request: Request, viewer: Viewer, *, error: str = "", status: int = 200) -> Response:
    svc = web(request).svc
    me = await call(people.get_user, svc, viewer.user.name, viewer.user.name)
    prefs = await call(timekeeping.notification_prefs, svc, viewer.user.name, viewer.user.name)
    ok = request.query_params.get("ok", "") if status == 200 else ""
    return render(request, "account.html.j2", {"me": wu.user_row(me), "prefs": prefs, "error": error, "ok": ok},
                  status, viewer)


@router.get("/account")
async def account(request: Request) -> Response:
    return await account_page(request, await page_viewer(request))


def _account_refusal(request: Request, viewer: Viewer) -> None:
    async def again(error: str, status: int) -> Response:
        return await account_page(request, viewer, error=error, status=status)

    _refused_to(request, again)


@router.post("/account")
async def account_update(request: Request) -> Response:
    viewer, form = await posted(request)
    _account_refusal(request, viewer)
    await call(people.update_own_profile, web(request).svc, viewer.user.name,
               _optional(form, "display_name", 100), _optional(form, "email"), _optional(form, "phone", 40))
    return RedirectResponse("/account?ok=saved", status_code=303)


@router.post("/account/password")
async def account_password(request: Request) -> Response:
    """Current password, new twice. Every other session of this person ends (the password's fingerprint is in each
    session); this one goes on with a fresh cookie."""
    from huizhen.web.pages import _set_session  # the one place a session cookie is written

    viewer, form = await posted(request)
    _account_refusal(request, viewer)
    w = web(request)
    current, new, again = (field(form, k) for k in ("current", "password", "password_again"))
    if not await call(w.auth.password_ok, viewer.user.name, current):
        raise InvalidInput("the current password is wrong", key="current_password_wrong", field="current")
    if new != again:
        raise InvalidInput("the two entries of the new password differ", key="passwords_differ",
                           field="password_again")
    await call(wu.set_password, w.svc, w.store, viewer.user.name, viewer.user.name, new, w.auth.hash_password)
    response = RedirectResponse("/account?ok=password", status_code=303)
    fp = await call(w.auth.fingerprint_of, viewer.user.name)
    _set_session(response, request, w.sessions.dumps(viewer.user.name, viewer.csrf, fp))
    return response
