"""The app factory: FastAPI with the pages, the live stream, the JSON API (OpenAPI at /api/v1/openapi.json), the
package's own static files, and errors mapped to one clear Chinese + English line with the right status."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from loguru import logger
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import Scope

from huizhen import labels
from huizhen.bootstrap import App
from huizhen.errors import http_status, json_error, web_message
from huizhen.labels import HTTP_TITLES
from huizhen.web import (
    admin,
    api,
    api_admin,
    api_people,
    api_reads,
    api_records,
    api_yearly,
    checkpoint_web,
    downloads,
    experts,
    help,
    pages,
    records,
    sse,
)
from huizhen.web.auth import Authenticator, Sessions, load_secret, make_hasher
from huizhen.web.clean_bytes import CleanBytes
from huizhen.web.common import (
    Guard,
    LoginRequired,
    Web,
    WebError,
    error_page,
    is_api,
    make_templates,
    refusal,
)
from huizhen.web.inputs import UploadRefused
from huizhen.web.session_edge import SlidingSessions
from states.errors import DomainError
from storage.uow import DATABASE_ERRORS, StorageUnavailable, as_refusal, as_unavailable
from storage.web_repo import WebStore

HERE = Path(__file__).resolve().parent
FORM_LIMIT = 1024 * 1024  # forms and JSON bodies
UPLOAD_OVERHEAD = 1024 * 1024  # multipart framing around an upload
RETRY_AFTER_SECONDS = 30  # what a 503 asks a client to wait while the database is away
UNAVAILABLE_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><h1>{title}</h1><p>{message}</p><p>请稍后刷新本页；您未提交成功的操作不会被记录。</p></main></body></html>"""


def _json_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "code": code, "message": message}}, status_code=status,
                        headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    """The body's problems, each field by its Chinese name where it has one (its path otherwise)."""
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form"))
        said = labels.label("validation", err.get("type", ""), str(err.get("msg", "invalid")))
        parts.append(f"{labels.label('field', loc, loc) if loc else labels.label('field', 'body')}：{said}")
    return "输入有误：" + "；".join(parts)


class InBackground:
    """An after-commit handler (the outbox: minutes PDF and mail, meeting invitations) run on one background thread,
    so the person who issued the minutes sees the page at once instead of waiting for the PDF and the SMTP server.
    The order of sends is kept (one thread). A crash before the send is caught up by the scheduler's sweep, as for
    the CLI (ARCHITECTURE decision 7), and the ledger keeps each send single."""

    def __init__(self, handler: Callable[..., None], pool: ThreadPoolExecutor) -> None:
        self.handler, self.pool = handler, pool

    def __call__(self, number: str, events: Sequence[Any], svc: Any) -> None:
        self.pool.submit(self._run, number, events, svc)

    def _run(self, number: str, events: Sequence[Any], svc: Any) -> None:
        try:
            self.handler(number, events, svc)
        except Exception as exc:  # logged; the sweep's catch-up retries
            logger.bind(case=number, error=f"{type(exc).__name__}: {exc}").warning("background papers failed")


def _defer_papers(hz: App) -> ThreadPoolExecutor:
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="huizhen-papers")
    handlers = hz.services.after_commit
    handlers[:] = [h if isinstance(h, InBackground) else InBackground(h, pool) for h in handlers]
    return pool


def _leave_to_scheduler(hz: App, nudge: Callable[[], None]) -> None:
    """Deliveries owned by the scheduler: the web worker sends nothing. What an event makes owed (the minutes to
    every cc'd institution, the invitations of a meeting ahead) is recorded by the event itself, committed in the
    request's transaction; the scheduler's sweep (in this process or the daemon) derives it and sends it, so a
    worker that dies after answering loses nothing. `nudge` asks an in-process scheduler to sweep now."""
    hz.services.after_commit[:] = [lambda number, events, svc: nudge()]


def create_app(hz: App, *, secret: str | None = None, secure_cookies: bool = False, fast_hash: bool = False,
               sse_poll: float = 1.0, sse_max: float = 300.0, demo_note: str | None = None,
               papers_in_background: bool = True, deliveries_nudge: Callable[[], None] | None = None) -> FastAPI:
    """The web service over one bootstrapped huizhen App (its services, clock and database). With
    `deliveries_nudge` (what `serve` does), the scheduler sends what a commit makes owed and the function wakes
    it; otherwise, with `papers_in_background`, the worker sends it after the response."""
    pool = None
    if deliveries_nudge is not None:
        _leave_to_scheduler(hz, deliveries_nudge)
    elif papers_in_background:
        pool = _defer_papers(hz)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if pool is not None:
            pool.shutdown(wait=True)  # a clean stop sends what is queued

    store = WebStore(hz.engine)
    hasher = make_hasher(fast_hash)
    web = Web(hz=hz, store=store, sessions=Sessions(secret or load_secret(hz.settings),
                                                    idle=int(hz.settings.web.session_idle_minutes * 60)),
              auth=Authenticator(store, hasher), templates=make_templates(str(HERE / "templates")),
              secure_cookies=secure_cookies, sse_poll=sse_poll, sse_max=sse_max, demo_note=demo_note)
    app = FastAPI(
        title="huizhen 会诊 API",
        version="1",
        description=api.__doc__ or "",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # the hosted Swagger UI would load its scripts from a CDN: /help/api lists the endpoints
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.web = web
    help.install(web.templates.env)

    def limit_for(scope: Scope) -> int:
        path = str(scope.get("path", ""))
        if scope.get("method") == "POST" and path.endswith("/materials"):
            return hz.services.max_material_bytes + UPLOAD_OVERHEAD
        return FORM_LIMIT

    app.add_middleware(SlidingSessions, sessions=web.sessions, secure=secure_cookies)  # idle sessions end
    app.add_middleware(CleanBytes, body_timeout=hz.settings.web.body_timeout_seconds)  # inside the Guard: bodies already bounded, security headers still added
    app.add_middleware(Guard, limit_for=limit_for)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(pages.router)
    app.include_router(experts.router)
    app.include_router(records.router)
    app.include_router(admin.router)
    app.include_router(downloads.router)  # issue 14: papers, exports and the read log in the pages
    app.include_router(sse.router)
    app.include_router(api.simple_router())  # the catalogue's simple commands, as it is now
    app.include_router(api.router)
    app.include_router(api_records.router)
    app.include_router(api_people.router)
    app.include_router(api_admin.router)
    app.include_router(api_yearly.router)
    app.include_router(checkpoint_web.pages)
    app.include_router(checkpoint_web.api)
    app.include_router(api_reads.router)
    app.include_router(help.router)  # after records: its /help/api comes before /help/{chapter}

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, Any]:
        return {"ok": True}

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if request.method == "GET" and not request.url.path.startswith(("/dashboard/rows", "/events/")):
            nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            expired = "&expired=1" if exc.expired else ""
            return RedirectResponse(f"/login?next={quote(nxt, safe='')}{expired}", status_code=303)
        if request.method == "GET":
            return Response("请先登录 / Sign in first", status_code=401, media_type="text/plain; charset=utf-8")
        return RedirectResponse("/login?expired=1" if exc.expired else "/login", status_code=303)

    @app.exception_handler(WebError)
    async def web_error(request: Request, exc: WebError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if is_api(request):
            return _json_error(exc.status, exc.code, exc.message, headers)
        return error_page(request, exc.status, exc.message, getattr(request.state, "viewer", None))

    def unavailable(request: Request, exc: StorageUnavailable) -> Response:
        """The database is away: 503 with Retry-After, one log line (an expected outage, no traceback), and a page
        that needs nothing from the database."""
        logger.bind(path=request.url.path, method=request.method, detail=exc.params.get("detail", "")).warning(
            "database unavailable")
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if is_api(request):
            return JSONResponse({"error": json_error(exc)}, status_code=503, headers=headers)
        title = labels.label("error_title", "storage_unavailable")
        return Response(UNAVAILABLE_PAGE.format(title=title, message=web_message(exc)), status_code=503,
                        headers=headers, media_type="text/html; charset=utf-8")

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        """The one handler of refusals: the API's JSON error; a page's own form again with the Chinese message
        (routes say which with `on_refusal`), or the error page with the navigation. Status from huizhen.errors."""
        if isinstance(exc, StorageUnavailable):
            return unavailable(request, exc)
        status = http_status(exc)
        if is_api(request):
            return JSONResponse({"error": json_error(exc)}, status_code=status)
        return await refusal(request, web_message(exc), status, exc.code)

    async def database_error(request: Request, exc: Exception) -> Response:
        """A driver error reached the top: the database went away (503), or a bug (500, logged with its trace).
        Registered per class, so Starlette answers here and does not re-raise it for the server to log again."""
        refused = as_refusal(exc)
        if refused is not None:
            return await domain_error(request, refused)
        logger.bind(path=request.url.path, error=f"{type(exc).__name__}: {exc}").opt(exception=exc).error(
            "web request failed")
        message = "服务器内部错误，已记录日志 / Internal error (logged)"
        if is_api(request):
            return _json_error(500, "internal", message)
        return Response(message, status_code=500, media_type="text/plain; charset=utf-8")

    for db_error in DATABASE_ERRORS:
        app.add_exception_handler(db_error, database_error)

    @app.exception_handler(UploadRefused)
    async def upload_refused(request: Request, exc: UploadRefused) -> Response:
        message = f"上传被拒绝：{exc.message}"
        if is_api(request):
            return _json_error(exc.status, "upload_refused", message)
        return await refusal(request, message, exc.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        message = _validation_message(exc)
        if is_api(request):
            return _json_error(400, "invalid_input", message)
        return error_page(request, 400, message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        title = HTTP_TITLES.get(exc.status_code, "出错了 / Error")
        message = f"{title}：{exc.detail}" if exc.detail and str(exc.detail) not in title else title
        if is_api(request):
            return _json_error(exc.status_code, "http_" + str(exc.status_code), message)
        return error_page(request, exc.status_code, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        away = as_unavailable(exc)
        if away is not None:
            return unavailable(request, away)
        logger.bind(path=request.url.path, error=f"{type(exc).__name__}: {exc}").exception("web request failed")
        message = "服务器内部错误，已记录日志 / Internal error (logged)"
        if is_api(request):
            return _json_error(500, "internal", message)
        return Response(message, status_code=500, media_type="text/plain; charset=utf-8")

    return app
