"""`huizhen serve`: the web service (FastAPI on uvicorn) with the scheduler alongside; `users passwd` and
`users token` for signing in to it."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from loguru import logger
from rich.table import Table

from huizhen.bootstrap import bootstrap
from huizhen.cli.common import JsonOpt, actor, emit_json, err, get_app, out
from huizhen.clock import clock_from_env
from huizhen.config import ConfigError, load_settings
from huizhen.logs import setup_logging
from states.errors import InvalidInput
from storage.web_repo import WebStore
from workflow import web_usecases as wu

commands = typer.Typer()  # top-level: serve
users_app = typer.Typer()  # joins the `users` group: passwords and API tokens


def _store(a: Any) -> Any:
    return WebStore(a.engine)


def _read_password(name: str) -> str:
    """From a prompt (twice) at a terminal; otherwise the first line of standard input."""
    if sys.stdin.isatty():
        first = typer.prompt(f"new password for {name}", hide_input=True, err=True)
        second = typer.prompt("again", hide_input=True, err=True)
        if first != second:
            raise InvalidInput("PASSWORD: the two entries differ")
        return str(first)
    line = sys.stdin.readline()
    if not line:
        raise InvalidInput("PASSWORD: nothing on standard input (pipe the password, or run at a terminal)")
    return line.rstrip("\r\n")


@users_app.command("passwd")
def users_passwd(name: str) -> None:
    """Set NAME's web sign-in password (admin for anyone; a user for themself). Reads a prompt or stdin."""
    from huizhen.web.auth import make_hasher  # lazily, like all of huizhen.web: FastAPI is slow to import

    a = get_app()
    password = _read_password(name)
    hasher = make_hasher()
    user = wu.set_password(a.services, _store(a), actor(), name, password, hasher.hash)
    out.print(f"password of {user.name} set; their existing web sessions end")


@users_app.command("reset-password")
def users_reset_password(name: str) -> None:
    """Give NAME a new one-time password (admin); prints it once, last line. NAME's web sessions end."""
    from huizhen.web.auth import make_hasher  # lazily, like all of huizhen.web

    a = get_app()
    password = wu.reset_password(a.services, _store(a), actor(), name, make_hasher().hash)
    err.print(f"one-time password for {name} (shown once; hand it over safely, they change it under 我的账户)")
    sys.stdout.write(password + "\n")


@users_app.command("token")
def users_token(name: str, label: Annotated[str, typer.Option(help="What the token is for.")] = "") -> None:
    """Issue an API token for NAME (admin for anyone; a user for themself); prints it once, last line."""
    a = get_app()
    token = wu.issue_token(a.services, _store(a), actor(), name, label)
    err.print(f"API token for {name} (shown once; only its SHA-256 is kept). Use: Authorization: Bearer <token>")
    sys.stdout.write(token + "\n")


@users_app.command("tokens")
def users_tokens(name: str, as_json: JsonOpt = False) -> None:
    """List NAME's API tokens: id, label, when issued, last used, revoked (never the tokens themselves)."""
    a = get_app()
    rows = wu.list_tokens(a.services, _store(a), actor(), name)
    if as_json:
        return emit_json(rows)
    table = Table("id", "用途 label", "签发 created", "最近使用 last used", "吊销 revoked")
    for r in rows:
        table.add_row(str(r["id"]), r["label"], *(str(r[k] or "") for k in ("created_at", "last_used_at", "revoked_at")))
    out.print(table if rows else f"{name} has no API tokens")


@users_app.command("revoke-token")
def users_revoke_token(name: str, token_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Revoke NAME's API token ID (from `users tokens NAME`) now; requests with it are refused from then on."""
    a = get_app()
    wu.revoke_token(a.services, _store(a), actor(), name, token_id)
    out.print(f"API token {token_id} of {name} revoked")


def _demo_app(database_url: str | None) -> Any:
    """A fresh demo database (var/demo-web.db beside the config unless HUIZHEN_DATABASE_URL names an empty one)."""
    from huizhen.web.demo_seed import DemoClock  # lazily, like all of huizhen.web (see users_passwd)

    settings = load_settings()
    url = database_url or os.environ.get("HUIZHEN_DATABASE_URL")
    if not url:
        path = settings.resolve("var/demo-web.db")
        for suffix in ("", "-wal", "-shm", ".scheduler.lock"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    clock = clock_from_env() if os.environ.get("HUIZHEN_NOW") else DemoClock()
    a = bootstrap(settings=settings, database_url=url, clock=clock)
    a.init()
    with a.services.uow(readonly=True) as uow:
        if uow.cases.numbers():
            raise ConfigError(f"--demo: the database {a.engine.url.render_as_string(hide_password=True)} already "
                              "has cases; the demo seeds an empty one (unset HUIZHEN_DATABASE_URL to use a fresh "
                              "var/demo-web.db)")
    return a


@commands.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[bool, typer.Option("--demo", help="Seed a realistic demo in a fresh database and print logins.")]
    = False,
    scheduler: Annotated[bool, typer.Option("--scheduler/--no-scheduler",
                                            help="Run the deadline scheduler in this process too.")] = True,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes (needs PostgreSQL to be useful).")] = 1,
    secure_cookies: Annotated[bool, typer.Option("--secure-cookies", help="Send cookies over HTTPS only "
                                                 "(behind a TLS-terminating proxy).")] = False,
) -> None:
    """The web service: FastAPI on uvicorn, with the scheduler alongside (SQLite by default)."""
    import uvicorn  # lazily: the web stack is slow to import and only `serve` needs it

    if not 0 < port < 65536:
        raise InvalidInput(f"--port: {port} is not a port")
    if not 1 <= workers <= 64:
        raise InvalidInput(f"--workers: from 1 to 64, not {workers}")
    if demo and workers != 1:
        raise InvalidInput("--workers: the demo runs in one process")
    a = _demo_app(None) if demo else get_app()
    log_file = a.settings.resolve(a.settings.log_file) if a.settings.log_file else None
    setup_logging(log_file, level="INFO")
    note = None
    if demo:
        from huizhen.web.auth import make_hasher  # lazily, like all of huizhen.web
        from huizhen.web.demo_seed import DEMO_PASSWORD, demo_banner, seed

        hasher = make_hasher()
        shared = hasher.hash(DEMO_PASSWORD)
        store = WebStore(a.engine)
        seeded = seed(a, lambda name, pw: store.set_password_hash(name, shared))
        note = demo_banner()
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    out.print(f"huizhen web service: {url}")
    out.print(f"database: {a.engine.url.render_as_string(hide_password=True)}")
    if demo:
        out.print(f"demo: {len(seeded.cases)} cases in every state; {note}")
        out.print(f"sign in with any of these (password: {DEMO_PASSWORD}):")
        for login, role, who in seeded.logins:
            out.print(f"  {login:<10} {role:<4} {who}")
    stop = threading.Event()
    nudge: Callable[[], None] = lambda: None  # noqa: E731
    if scheduler:
        daemon = a.daemon(on_report=lambda r: [logger.info(line) for line in r.lines()])
        threading.Thread(target=daemon.run, args=(stop,), name="huizhen-scheduler", daemon=True).start()
        nudge = daemon.nudge
        out.print("scheduler: running in this process (reminders, minutes and invitation mails, deadline sweep)")
    else:
        out.print("scheduler: NOT in this process — the daemon must run beside it (huizhen scheduler run), or no "
                  "reminder, minutes or invitation mail is sent; this service only records what is owed")
    sys.stdout.flush()
    try:
        if workers > 1:
            os.environ["HUIZHEN_WEB_SECURE_COOKIES"] = "1" if secure_cookies else ""
            uvicorn.run("huizhen.web.asgi:create", factory=True, host=host, port=port, workers=workers,
                        log_config=None, timeout_graceful_shutdown=3, proxy_headers=True,
                        forwarded_allow_ips=list(a.settings.web.trusted_proxies))
        else:
            from huizhen.web import create_app  # lazily, like all of huizhen.web

            web = create_app(a, secure_cookies=secure_cookies, demo_note=note, deliveries_nudge=nudge)
            uvicorn.run(web, host=host, port=port, log_config=None, timeout_graceful_shutdown=3,
                        proxy_headers=True, forwarded_allow_ips=list(a.settings.web.trusted_proxies))
    finally:
        stop.set()
