"""Shared by the pages and the API: the web context, who is asking, CSRF, errors as people read them, rendering,
and the ASGI guard (body size limits, security headers)."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from huizhen import labels
from huizhen.bootstrap import App
from huizhen.errors import http_status, web_message
from huizhen.labels import HTTP_TITLES
from huizhen.web.auth import SESSION_COOKIE, Authenticator, Sessions, Viewer
from huizhen.web.inputs import mime_of
from states.beijing import BEIJING
from states.errors import DomainError, InvalidInput
from storage.web_repo import WebStore
from workflow.people import lead_now
from workflow.usecases import Services, beijing_day

T = TypeVar("T")

@dataclass
class Web:
    hz: App
    store: WebStore
    sessions: Sessions
    auth: Authenticator
    templates: Jinja2Templates
    secure_cookies: bool = False
    sse_poll: float = 1.0
    sse_max: float = 300.0
    demo_note: str | None = None

    _calendar_checked: float = 0.0

    @property
    def svc(self) -> Services:
        return self.hz.services

    def fresh_calendar(self, every: float = 30.0) -> None:
        """Take in a year file another process loaded (at most every `every` seconds; one cheap query)."""
        now = time.monotonic()
        if now - self._calendar_checked >= every:
            self._calendar_checked = now
            self.hz.refresh_calendar()

    @property
    def members(self) -> dict[str, str]:
        return dict(self.hz.services.policy.members)


def web(request: Request) -> Web:
    found: Web = request.app.state.web
    return found


class LoginRequired(Exception):
    """A page asked for by someone not signed in: they are sent to the sign-in page (told so when their session
    ended because it was idle)."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("sign in first")
        self.expired = expired


class WebError(Exception):
    def __init__(self, status: int, message: str, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or {400: "invalid_input", 401: "not_signed_in", 403: "not_permitted", 404: "not_found",
                             413: "too_large", 415: "unsupported_type", 429: "throttled"}.get(status, "error")


def domain_status(exc: DomainError) -> int:
    return http_status(exc)


def domain_message(exc: DomainError) -> str:
    return web_message(exc)


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a (blocking) use case off the event loop."""
    return await run_in_threadpool(fn, *args, **kwargs)


# --- who is asking -----------------------------------------------------------------------------------------


def session_data(request: Request) -> dict[str, Any] | None:
    return web(request).sessions.loads(request.cookies.get(SESSION_COOKIE))


async def page_viewer(request: Request) -> Viewer:
    w = web(request)
    data = session_data(request)
    user = await call(w.auth.session_user, data) if data else None
    if user is None or data is None:
        raise LoginRequired(expired=data is None and w.sessions.expired(request.cookies.get(SESSION_COOKIE)))
    viewer = Viewer(user, str(data["c"]), "session")
    request.state.viewer = viewer  # the error handler draws the navigation for them
    return viewer


# --- refusals ------------------------------------------------------------------------------------------------

RefusalPage = Callable[[str, int], Awaitable[Response]]


def on_refusal(request: Request, page: RefusalPage, *, permission_too: bool = True) -> None:
    """If a refusal (DomainError, refused upload) ends this request, the one error handler shows PAGE(message,
    status) — the form again with what was typed — instead of the error page. With `permission_too=False`, "not
    permitted" and "not found" still get the error page (there is no form for them to see)."""
    request.state.refusal_page = page
    request.state.refusal_permission_too = permission_too


async def refusal(request: Request, message: str, status: int, code: str = "") -> Response:
    """The page for a refusal: the route's own page (see on_refusal), else the error page with the navigation."""
    viewer = getattr(request.state, "viewer", None)
    page: RefusalPage | None = getattr(request.state, "refusal_page", None)
    if page is not None and (code not in ("not_permitted", "not_found")
                             or getattr(request.state, "refusal_permission_too", True)):
        request.state.refusal_page = None  # a refusal while drawing the page itself gets the error page
        try:
            return await page(message, status)
        except DomainError as exc:
            return error_page(request, http_status(exc), web_message(exc), viewer)
    return error_page(request, status, message, viewer)


async def api_viewer(request: Request) -> Viewer:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise WebError(401, "请先提供 API 令牌 / Missing API token: send 'Authorization: Bearer <token>' "
                            "(issue one with: huizhen users token NAME)")
    user = await call(web(request).auth.token_user, token)
    if user is None:
        raise WebError(401, "API 令牌无效或已撤销 / The API token is not valid")
    return Viewer(user, "", "token")


def csrf_ok(expected: str, given: Any) -> bool:
    return isinstance(given, str) and bool(expected) and secrets.compare_digest(expected, given)


CSRF_MESSAGE = "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试 / CSRF check failed: reload the page and retry"


async def read_form(request: Request, max_files: int = 0) -> FormData:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not ctype and request.headers.get("content-length", "0") in ("", "0"):
        return FormData()  # an empty post: an empty form (its CSRF check then fails)
    if ctype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise WebError(400, "请求有误：需要表单提交 / Bad request: expected a form (urlencoded or multipart)")
    try:
        form = await request.form(max_files=max_files, max_fields=300, max_part_size=1024 * 1024)
    except StarletteHTTPException as exc:
        raise WebError(exc.status_code, f"请求有误 / Bad request: {exc.detail}") from None
    from huizhen.web.clean_bytes import MESSAGE, bad_text

    if any(bad_text(k) or (isinstance(v, str) and bad_text(v)) for k, v in form.multi_items()):
        raise WebError(400, MESSAGE)
    return form


async def posted(request: Request, max_files: int = 0) -> tuple[Viewer, FormData]:
    """A form post by a signed-in person, with a valid CSRF token."""
    viewer = await page_viewer(request)
    form = await read_form(request, max_files)
    if not csrf_ok(viewer.csrf, form.get("csrf_token")):
        raise WebError(403, CSRF_MESSAGE)
    return viewer, form


def field(form: FormData, name: str) -> str:
    """A single text value from a form (a file where text was expected counts as bad input)."""
    value = form.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{name}: must be text, not a file", key="not_text", field=name)
    return value


# --- rendering ---------------------------------------------------------------------------------------------


def attachment(data: bytes, filename: str, media: str | None = None) -> Response:
    """A download of DATA as FILENAME (a plain ASCII name); its media type from the name unless given."""
    return Response(data, media_type=media or mime_of(filename),
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def local(iso: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if not iso:
        return "—"
    at = iso if isinstance(iso, datetime) else datetime.fromisoformat(str(iso))
    return at.astimezone(BEIJING).strftime(fmt)


def due_local(iso: Any, due_date: Any = None) -> str:
    """A deadline's end as every page writes it (labels.deadline_text): "2026-12-29（当日24:00截止）"."""
    return labels.deadline_text(due_date, iso)


def filesize(n: Any) -> str:
    size = float(n or 0)
    for unit in ("B", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} MB"


def blocked_text(action: dict[str, Any]) -> str:
    """Why an action is blocked, in the reader's words: the sentence of its error's key when there is one (the
    read model gives `blocked_error` = key/field/params), else the neutral text."""
    error = action.get("blocked_error") or {}
    key = error.get("key")
    if key and labels.has_sentence(key):
        try:
            return labels.t(key, **labels.worded(error.get("params") or {}))
        except (KeyError, IndexError, ValueError):
            pass
    return str(action.get("blocked") or "")


def make_templates(directory: str) -> Jinja2Templates:
    templates = Jinja2Templates(directory=directory)
    env = templates.env
    env.autoescape = True
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.filters.update(local=local, due_local=due_local, disposal_reason=labels.disposal_reason, filesize=filesize, tojson_compact=lambda v: json.dumps(v, ensure_ascii=False))
    env.globals.update(
        STATUS_LABELS=labels.STATUS_LABELS, OUTCOME_LABELS=labels.OUTCOME_LABELS,
        DEADLINE_LABELS=labels.DEADLINE_LABELS, DEADLINE_STATUS_LABELS=labels.DEADLINE_STATUS_LABELS, IRREVERSIBLE_NOTES=labels.IRREVERSIBLE_NOTES,
        irreversible=frozenset(labels.IRREVERSIBLE_NOTES),
        deadline_text=labels.deadline_text, REPORT_OUTCOME_LABELS=labels.REPORT_OUTCOME_LABELS,
        DEFECT_LABELS=labels.DEFECT_LABELS, MATERIAL_KINDS=labels.MATERIAL_KINDS, SOURCE_LABELS=labels.SOURCE_LABELS,
        SEVERITY_LABELS=labels.SEVERITY_LABELS, LIKELIHOOD_LABELS=labels.LIKELIHOOD_LABELS,
        EVENT_LABELS=labels.EVENT_LABELS, ACTION_LABELS=labels.ACTION_LABELS, DONE_LABELS=labels.DONE_LABELS,
        ROLE_LABELS=labels.ROLE_LABELS, URGENCY_LABELS=labels.URGENCY_LABELS, FEE_LABELS=labels.FEE_LABELS,
        SORT_LABELS=labels.SORT_LABELS, MINE_LABELS=labels.MINE_LABELS, SIMILAR_LABELS=labels.SIMILAR_LABELS,
        label=labels.label, blocked_text=blocked_text,
    )
    return templates


def render(request: Request, name: str, ctx: dict[str, Any] | None = None, status: int = 200,
           viewer: Viewer | None = None) -> HTMLResponse:
    w = web(request)
    context: dict[str, Any] = {"viewer": viewer, "members": w.members, "demo_note": w.demo_note,
                               "now": w.svc.clock.now()}
    if viewer is not None:  # Art. 3: who leads this year, for the line at the top of the dashboards
        context["lead"] = lead_now(w.svc, beijing_day(context["now"]))
    context.update(ctx or {})
    response: HTMLResponse = w.templates.TemplateResponse(request, name, context, status_code=status)
    return response


def error_page(request: Request, status: int, message: str, viewer: Viewer | None = None) -> Response:
    title = HTTP_TITLES.get(status, "出错了 / Error")
    return render(request, "error.html.j2", {"status": status, "title": title, "message": message}, status,
                  viewer)


# --- the ASGI guard ------------------------------------------------------------------------------------------

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                 b"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
                                 b"form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class TooLarge(StarletteHTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")
        self.limit = limit


class Guard:
    """Refuses request bodies over a limit (413) before they are read into memory, and adds security headers."""
    def __init__(self, app: ASGIApp, limit_for: Callable[[Scope], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in SECURITY_HEADERS if k not in present)
                message = {**message, "headers": headers}
            await send(message)

        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, send_with_headers, limit)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise TooLarge(limit)
            return message

        try:
            await self.app(scope, limited, send_with_headers)
        except TooLarge:
            if started:
                raise
            await self._refuse(scope, send_with_headers, limit)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, limit: int) -> None:
        message = f"上传内容过大 / Request body too large: the limit is {limit} bytes"
        if str(scope.get("path", "")).startswith("/api/"):
            body = json.dumps({"error": {"status": 413, "code": "too_large", "message": message}},
                              ensure_ascii=False).encode()
            ctype = b"application/json"
        else:
            body = (f"<!doctype html><meta charset=utf-8><title>413</title><h1>上传内容过大</h1><p>{message}</p>"
                    '<p><a href="/">返回首页</a></p>').encode()
            ctype = b"text/html; charset=utf-8"
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
