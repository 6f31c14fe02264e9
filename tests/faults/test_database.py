"""Findings 3, 4 and 8 of issue 16: a database that comes and goes. PostgreSQL behind a TCP proxy the test cuts and
freezes: the web answers 503 数据库暂不可用 with Retry-After (a Chinese page or JSON), one log line per failure, no
500 and no hang; the CLI exits 7 with one line and `audit verify` never says 1 for an outage; the same bytes
attached to two cases at the same moment both succeed. Afterwards `audit verify` passes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CONFIG, World, fresh_database, make_world, run_to
from fastapi.testclient import TestClient
from faultkit import TcpProxy
from loguru import logger
from sqlalchemy.engine import make_url

from workflow import usecases as uc
from workflow import web_usecases as wu

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def proxied(tmp_path: Path, clock: Any) -> Iterator[tuple[World, TcpProxy, str]]:
    from huizhen.bootstrap import bootstrap
    from huizhen.config import load_settings

    gen = fresh_database("postgresql", tmp_path, "hz_f")
    url = next(gen)
    parsed = make_url(url)
    proxy = TcpProxy((parsed.host or "127.0.0.1", parsed.port or 5432))
    through = url.replace(f"{parsed.host}:{parsed.port or 5432}", f"127.0.0.1:{proxy.port}")
    if f":{proxy.port}" not in through:
        through = url.replace(f"@{parsed.host}/", f"@127.0.0.1:{proxy.port}/")
    base = load_settings(CONFIG)
    settings = base.model_copy(update={"database": base.database.model_copy(update={
        "connect_timeout_seconds": 2, "statement_timeout_seconds": 3})})
    app = bootstrap(CONFIG, clock=clock, database_url=through, settings=settings)
    app.init()
    world = make_world(app, clock)
    try:
        yield world, proxy, through
    finally:
        proxy.close()
        app.engine.dispose()
        next(gen, None)


def _web(world: World) -> tuple[Any, TestClient, TestClient]:
    from huizhen.web import create_app
    from huizhen.web.auth import SESSION_COOKIE, fingerprint, make_hasher

    web = create_app(world.app, secret="t" * 40, fast_hash=True, papers_in_background=False)
    store = web.state.web.store
    api = TestClient(web, raise_server_exceptions=False)
    api.headers["Authorization"] = f"Bearer {wu.issue_token(world.svc, store, 'admin', 'sh', 'tests')}"
    page = TestClient(web, raise_server_exceptions=False, follow_redirects=False)
    hashed = make_hasher(fast=True).hash("correct horse 7")
    store.set_password_hash("sh", hashed)
    page.cookies.set(SESSION_COOKIE, web.state.web.sessions.dumps("sh", "csrf-sh", fingerprint(hashed)))
    return web, api, page


def test_the_web_answers_503_in_chinese_without_hanging_or_tracebacks_and_recovers(proxied: Any) -> None:
    world, proxy, _ = proxied
    number = run_to(world, "awaiting_experts")
    _, api, page = _web(world)
    assert api.get("/api/v1/cases").status_code == 200
    assert page.get("/dashboard").status_code == 200
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(str(m)), level="WARNING", format="{message}")
    try:
        proxy.cut()
        statuses: list[int] = []
        for _ in range(3):
            started = time.monotonic()
            got = api.get(f"/api/v1/cases/{number}")
            assert time.monotonic() - started < 5
            statuses.append(got.status_code)
            assert got.json()["error"]["message"].startswith("数据库暂不可用")
            assert int(got.headers["Retry-After"]) > 0
        shown = page.get("/dashboard")
        assert shown.status_code == 503 and "数据库暂不可用" in shown.text and shown.headers["Retry-After"]
        posted = api.post(f"/api/v1/cases/{number}/analyses", json={"text": "x"})
        assert posted.status_code == 503
        proxy.freeze()  # a network that stalls: an answer within the timeouts, not a hang
        started = time.monotonic()
        frozen = api.get(f"/api/v1/cases/{number}")
        assert frozen.status_code == 503 and time.monotonic() - started < 8
    finally:
        proxy.heal()
        logger.remove(sink)
    assert statuses == [503, 503, 503]
    assert not any("Traceback" in line for line in lines)
    assert len([m for m in lines if "database unavailable" in m]) == 6  # one line per failed request
    assert api.get(f"/api/v1/cases/{number}").status_code == 200
    assert uc.verify_audit(world.svc, "auditor", None) == []


def _cli(through: str, *args: str, timeout: float = 40) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUIZHEN_DATABASE_URL": through, "HUIZHEN_CONFIG": str(CONFIG), "HUIZHEN_USER": "auditor"}
    return subprocess.run([sys.executable, "-m", "huizhen", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def test_the_cli_exits_7_with_one_line_and_audit_verify_never_says_1_for_an_outage(proxied: Any) -> None:
    world, proxy, through = proxied
    run_to(world, "awaiting_experts")
    assert _cli(through, "audit", "verify").returncode == 0
    proxy.cut()
    try:
        for args in (("audit", "verify"), ("case", "list")):
            done = _cli(through, *args)
            assert done.returncode == 7, done.stderr
            assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    finally:
        proxy.heal()
    assert _cli(through, "audit", "verify").returncode == 0


def test_the_same_bytes_attached_to_two_cases_at_the_same_moment_both_succeed(proxied: Any) -> None:
    world, _, _ = proxied
    numbers = [run_to(world, "preliminary_review") for _ in range(4)]
    data = b"%PDF-1.4 the same test report\n" * 100
    barrier = threading.Barrier(len(numbers))
    errors: list[BaseException] = []

    def attach(number: str) -> None:
        barrier.wait()
        try:
            uc.attach(world.svc, "sh", number, "report.pdf", data, "test_report")
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=attach, args=(n,)) for n in numbers]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert errors == []
    for n in numbers:
        with world.svc.uow(readonly=True) as uow:
            assert [m["filename"] for m in uow.cases.snapshot(n)["materials"]] == ["report.pdf"]
