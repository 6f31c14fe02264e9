"""Fixtures for the web tests (imported by each test module: `from websupport import *`): the web service under test: the engine's `world` (admin, a liaison per institution, an auditor, five experts)
with passwords and API tokens, a FastAPI TestClient per person, and cases driven to each state by the use cases.

Web tests run on SQLite; the ones that touch what the web keeps in the database also run on PostgreSQL
(`@pytest.mark.parametrize("db_url", BOTH, indirect=True)`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import World, fresh_database
from fastapi.testclient import TestClient

PASSWORD = "correct horse 7"
BOTH = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
ROLES = ("admin", "sh", "js", "zj", "ah", "auditor", "x1", "x5")


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLite unless a test asks for BOTH (indirect parametrisation)."""
    yield from fresh_database(request.param, tmp_path, "hz_w")


@dataclass
class Site:
    world: Any
    web: Any
    hashes: dict[str, str] = field(default_factory=dict)
    clients: dict[str, TestClient] = field(default_factory=dict)

    @property
    def svc(self) -> Any:
        return self.world.svc

    @property
    def store(self) -> Any:
        return self.web.state.web.store

    def client(self, who: str | None = None) -> TestClient:
        """A browser-like client signed in as `who` (a session cookie made as /login makes it), or a stranger."""
        key = who or "-stranger-"
        if key not in self.clients:
            c = TestClient(self.web, follow_redirects=False, raise_server_exceptions=True).__enter__()
            if who is not None:
                from huizhen.web.auth import SESSION_COOKIE, fingerprint

                w = self.web.state.web
                c.cookies.set(SESSION_COOKIE, w.sessions.dumps(who, f"csrf-{who}", fingerprint(self.hashes[who])))
            self.clients[key] = c
        return self.clients[key]

    def csrf(self, who: str) -> str:
        return f"csrf-{who}"

    def post(self, who: str | None, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        body = dict(data or {})
        if who is not None and "csrf_token" not in body:
            body["csrf_token"] = self.csrf(who)
        return self.client(who).post(path, data=body, **kw)

    def token(self, who: str) -> str:
        from workflow import web_usecases as wu

        return wu.issue_token(self.svc, self.store, "admin", who, "tests")

    def api(self, who: str | None) -> TestClient:
        key = f"api:{who}"
        if key not in self.clients:
            c = TestClient(self.web, follow_redirects=False).__enter__()
            if who is not None:
                c.headers["Authorization"] = f"Bearer {self.token(who)}"
            self.clients[key] = c
        return self.clients[key]

    def version(self, number: str) -> int:
        with self.svc.uow(readonly=True) as uow:
            snap = uow.cases.snapshot(number)
        return int(snap["version"]) if snap else -1

    def event_count(self) -> int:
        return int(self.store.max_event_id())


@pytest.fixture
def site(world: World) -> Iterator[Site]:
    from huizhen.web import create_app
    from huizhen.web.auth import make_hasher

    web = create_app(world.app, secret="t" * 40, fast_hash=True, sse_poll=0.05, sse_max=0.15)
    hasher = make_hasher(fast=True)
    s = Site(world, web)
    store = web.state.web.store
    with world.svc.uow(readonly=True) as uow:
        names = [u.name for u in uow.users.all()]
    for name in names:
        s.hashes[name] = hasher.hash(PASSWORD)
        store.set_password_hash(name, s.hashes[name])
    yield s
    for c in s.clients.values():
        c.__exit__(None, None, None)


def csrf_of(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def error_text(html: str) -> str:
    found = re.search(r'id="error">([^<]*)<', html)
    return found.group(1) if found else ""
