"""Shared by the pages and the API: the web context, who is asking, CSRF, errors as people read them, rendering,
and the ASGI guard (body size limits, security headers)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from huizhen.bootstrap import App
from huizhen.web.auth import SESSION_COOKIE, Authenticator, Sessions, Viewer
from huizhen.web.inputs import mime_of
from states.errors import DomainError
from states.status import (
    DEADLINE_LABELS,
    DEFECT_LABELS,
    LIKELIHOOD_LABELS,
    MATERIAL_KINDS,
    OUTCOME_LABELS,
    REPORT_OUTCOME_LABELS,
    SEVERITY_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
)
from storage.web_repo import WebStore
from workflow.queries import URGENCY_LABELS
from workflow.usecases import Services

SHANGHAI = ZoneInfo("Asia/Shanghai")
T = TypeVar("T")

ERROR_TITLES: dict[str, str] = {
    "invalid_input": "输入有误",
    "calendar_data": "日历数据有误",
    "paper_error": "文书参数有误",
    "not_permitted": "无权执行此操作",
    "not_found": "未找到",
    "invalid_transition": "案件当前状态下不能执行此操作",
    "guard_failed": "尚不满足规范要求",
    "conflict": "操作冲突：他人已先行操作，请刷新后重试",
    "storage_unavailable": "数据库暂不可用",
    "not_initialised": "数据库尚未初始化",
    "config_error": "配置有误",
}
STATUS_OF: dict[str, int] = {
    "invalid_input": 400, "calendar_data": 400, "paper_error": 400,
    "not_permitted": 403,
    "not_found": 404,
    "invalid_transition": 409, "guard_failed": 409, "conflict": 409,
    "storage_unavailable": 503, "not_initialised": 503, "config_error": 503,
}
HTTP_TITLES: dict[int, str] = {
    400: "请求有误 / Bad request",
    401: "请先登录 / Sign in first",
    403: "无权访问 / Forbidden",
    404: "页面不存在 / Not found",
    405: "不支持的请求方法 / Method not allowed",
    409: "冲突 / Conflict",
    413: "上传内容过大 / Too large",
    415: "不支持的文件类型 / Unsupported type",
    429: "请求过于频繁 / Too many requests",
}

EVENT_LABELS: dict[str, str] = {
    "CaseOpened": "创建草稿", "CaseEdited": "修改草稿", "CaseSubmitted": "提交申请",
    "VerificationRecorded": "记录初步核实", "PanelFormed": "组建专家组", "MaterialAttached": "上传材料",
    "MaterialsDispatched": "分送材料", "AnalysisRecorded": "专家初步分析", "CaseReferred": "移交牵头机构",
    "MeetingScheduled": "安排线上会议", "MeetingCancelled": "取消会议", "CaseConvened": "召开会诊",
    "OpinionRecorded": "专家签署会诊表", "AbsenceRecorded": "记录专家缺席", "CaseDecided": "形成会诊意见",
    "MinutesIssued": "印发会议纪要", "TrackingNoted": "持续关注跟踪记录", "CaseArchived": "归档",
    "CaseConcluded": "结束持续关注并归档", "CaseReopened": "重新会诊（新案件）并归档", "CaseWithdrawn": "撤回",
    "DeadlinesRecomputed": "期限重新计算", "DeliveryRecorded": "送达记录",
    "FeeRecorded": "登记专家费用", "FeeCorrected": "更正专家费用", "DisposalAppraised": "销毁鉴定",
    "LegalHoldPlaced": "法律保全", "LegalHoldReleased": "解除法律保全",
}
ACTION_LABELS: dict[str, str] = {
    "edit": "修改草稿", "submit": "提交申请", "verify": "记录初步核实", "form_panel": "组建专家组",
    "attach": "上传材料", "dispatch": "分送材料（开始T1计时）", "record_analysis": "填写初步分析",
    "refer": "移交牵头机构（开始T2计时）", "schedule": "安排线上会议", "cancel_meeting": "取消会议",
    "convene": "召开会诊", "record_opinion": "填写会诊表", "record_absence": "记录专家缺席",
    "decide": "形成会诊意见（少数服从多数）", "issue_minutes": "印发会议纪要", "track": "记录跟踪情况",
    "archive": "归档", "conclude": "结束持续关注", "reopen": "重新会诊", "withdraw": "撤回申请",
    "record_fee": "登记专家费用", "correct_fee": "更正专家费用",
}
DONE_LABELS: dict[str, str] = {
    "new": "草稿已创建", "edit": "草稿已保存", "submit": "申请已提交", "verify": "初步核实已记录",
    "form_panel": "专家组已组建", "attach": "材料已上传", "dispatch": "材料已分送专家，T1 开始计时",
    "record_analysis": "初步分析已提交", "refer": "已移交牵头机构，T2 开始计时", "schedule": "会议已安排，邀请已发出",
    "cancel_meeting": "会议已取消", "convene": "会诊已召开", "record_opinion": "会诊表已签署提交",
    "record_absence": "缺席已记录", "decide": "会诊意见已形成", "issue_minutes": "会议纪要已印发并抄送",
    "track": "跟踪记录已保存", "archive": "案件已归档", "conclude": "持续关注已结束，案件已归档",
    "reopen": "已重新会诊：新案件已创建", "withdraw": "申请已撤回",
    "record_fee": "专家费用已登记", "correct_fee": "专家费用已更正",
}
ROLE_LABELS: dict[str, str] = {"liaison": "联络员", "expert": "专家", "auditor": "审计", "admin": "管理员"}


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
        import time

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
    """A page asked for by someone not signed in: they are sent to the sign-in page."""


class WebError(Exception):
    def __init__(self, status: int, message: str, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or {400: "invalid_input", 401: "not_signed_in", 403: "not_permitted", 404: "not_found",
                             413: "too_large", 415: "unsupported_type", 429: "throttled"}.get(status, "error")


def domain_status(exc: DomainError) -> int:
    return STATUS_OF.get(exc.code, 400)


def domain_message(exc: DomainError) -> str:
    return f"{ERROR_TITLES.get(exc.code, '操作未完成')}：{exc.message}"


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
        raise LoginRequired()
    return Viewer(user, str(data["c"]), "session")


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
        return await request.form(max_files=max_files, max_fields=300, max_part_size=1024 * 1024)
    except StarletteHTTPException as exc:
        raise WebError(exc.status_code, f"请求有误 / Bad request: {exc.detail}") from None


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
        from states.errors import InvalidInput

        raise InvalidInput(f"{name}: must be text, not a file")
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
    return at.astimezone(SHANGHAI).strftime(fmt)


def due_local(iso: Any) -> str:
    """A deadline's end in Beijing time; a period ending at midnight reads as 24:00 of its last day."""
    if not iso:
        return "—"
    at = datetime.fromisoformat(str(iso)).astimezone(SHANGHAI)
    if (at.hour, at.minute, at.second) == (0, 0, 0):
        return f"{(at - timedelta(days=1)):%Y-%m-%d} 24:00"
    return f"{at:%Y-%m-%d %H:%M}"


def filesize(n: Any) -> str:
    size = float(n or 0)
    for unit in ("B", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} MB"


def make_templates(directory: str) -> Jinja2Templates:
    templates = Jinja2Templates(directory=directory)
    env = templates.env
    env.autoescape = True
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.filters.update(local=local, due_local=due_local, filesize=filesize, tojson_compact=lambda v: json.dumps(v, ensure_ascii=False))
    env.globals.update(
        STATUS_LABELS=STATUS_LABELS, OUTCOME_LABELS=OUTCOME_LABELS, DEADLINE_LABELS=DEADLINE_LABELS,
        REPORT_OUTCOME_LABELS=REPORT_OUTCOME_LABELS,
        DEFECT_LABELS=DEFECT_LABELS, MATERIAL_KINDS=MATERIAL_KINDS, SOURCE_LABELS=SOURCE_LABELS,
        SEVERITY_LABELS=SEVERITY_LABELS, LIKELIHOOD_LABELS=LIKELIHOOD_LABELS, EVENT_LABELS=EVENT_LABELS,
        ACTION_LABELS=ACTION_LABELS, DONE_LABELS=DONE_LABELS, ROLE_LABELS=ROLE_LABELS, URGENCY_LABELS=URGENCY_LABELS,
    )
    return templates


def render(request: Request, name: str, ctx: dict[str, Any] | None = None, status: int = 200,
           viewer: Viewer | None = None) -> HTMLResponse:
    w = web(request)
    context: dict[str, Any] = {"viewer": viewer, "members": w.members, "demo_note": w.demo_note,
                               "now": w.svc.clock.now()}
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
