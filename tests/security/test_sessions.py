# ruff: noqa: F811  (the fixtures come from websupport and are used as arguments)
"""Sign-out ends the session on the server (issue 15): a cookie copied before sign-out no longer reads or writes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from websupport import BOTH, PASSWORD, Site, csrf_of, db_url, site  # noqa: F401  (fixtures)

from huizhen.web.auth import SESSION_COOKIE


@pytest.mark.parametrize("db_url", BOTH, indirect=True)
def test_a_cookie_copied_before_sign_out_is_worth_nothing_after(site: Site) -> None:
    c = TestClient(site.web, follow_redirects=False)
    page = c.get("/login")
    assert c.post("/login", data={"username": "sh", "password": PASSWORD,
                                  "csrf_token": csrf_of(page.text)}).status_code == 303
    copied = c.cookies.get(SESSION_COOKIE)
    dash = c.get("/dashboard")
    assert dash.status_code == 200
    csrf = csrf_of(dash.text)
    assert c.post("/logout", data={"csrf_token": csrf}).status_code == 303

    thief = TestClient(site.web, follow_redirects=False)
    thief.cookies.set(SESSION_COOKIE, copied or "")
    r = thief.get("/dashboard")
    assert r.status_code in (302, 303, 401) and "/login" in r.headers.get("location", "/login")
    assert thief.post("/logout", data={"csrf_token": csrf}).status_code != 200
    # Signing in again gives a new, working session.
    fresh = TestClient(site.web, follow_redirects=False)
    page = fresh.get("/login")
    assert fresh.post("/login", data={"username": "sh", "password": PASSWORD,
                                      "csrf_token": csrf_of(page.text)}).status_code == 303
    assert fresh.get("/dashboard").status_code == 200


def _signed_in(site: Site) -> TestClient:
    c = TestClient(site.web, follow_redirects=False)
    page = c.get("/login")
    assert c.post("/login", data={"username": "sh", "password": PASSWORD,
                                  "csrf_token": csrf_of(page.text)}).status_code == 303
    return c


def test_an_idle_session_ends_and_the_sign_in_page_says_why(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    import time as time_module

    c = _signed_in(site)
    real = time_module.time
    assert c.get("/dashboard").status_code == 200
    # 29 minutes later: still in, and the visit renews the session.
    monkeypatch.setattr(time_module, "time", lambda: real() + 29 * 60)
    assert c.get("/dashboard").status_code == 200
    monkeypatch.setattr(time_module, "time", lambda: real() + 29 * 60 * 2)
    assert c.get("/dashboard").status_code == 200
    # Then 31 minutes without a request: the session has ended.
    monkeypatch.setattr(time_module, "time", lambda: real() + 29 * 60 * 2 + 31 * 60)
    r = c.get("/dashboard")
    assert r.status_code == 303 and r.headers["location"].startswith("/login") and "expired=1" in r.headers["location"]
    page = c.get(r.headers["location"])
    assert page.status_code == 200 and "您已超过 30 分钟未操作" in page.text
    # Never past its absolute age (12 hours from the sign-in), however busy.
    c = _signed_in(site)
    for hours in range(1, 13):
        monkeypatch.setattr(time_module, "time", lambda h=hours: real() + 29 * 60 * 2 + 31 * 60 + h * 3600 - 60)
        c.get("/dashboard")
    monkeypatch.setattr(time_module, "time", lambda: real() + 29 * 60 * 2 + 31 * 60 + 12 * 3600 + 60)
    assert c.get("/dashboard").status_code == 303


def test_sign_in_waits_grow_and_the_right_password_gets_in_after_the_wait(site: Site) -> None:
    from datetime import UTC, datetime, timedelta

    from huizhen.web.auth import Authenticator, LoginRefused, make_hasher

    now = [datetime(2026, 9, 24, 2, 0, tzinfo=UTC)]
    auth = Authenticator(site.store, make_hasher(fast=True), wall=lambda: now[0])
    waits = []
    for _ in range(6):  # a stranger guesses js's password from one address, waiting each delay out
        with pytest.raises(LoginRefused) as refused:
            auth.login("js", "guess", "203.0.113.9")
        assert refused.value.status == 401
        waits.append(auth.wait("js", "198.51.100.1", now[0]).total_seconds())
        now[0] += timedelta(seconds=waits[-1])
    assert waits == [0, 0, 1, 2, 4, 8]  # growing, per account
    # The real user, elsewhere, right after a guess: a short wait, never a lock; then the right password works.
    with pytest.raises(LoginRefused) as refused:
        auth.login("js", "guess", "203.0.113.9")
    with pytest.raises(LoginRefused) as refused:
        auth.login("js", PASSWORD, "198.51.100.1")
    assert refused.value.status == 429 and "秒后再试" in refused.value.message
    now[0] += auth.wait("js", "198.51.100.1", now[0])
    user, _ = auth.login("js", PASSWORD, "198.51.100.1")
    assert user.name == "js"
    # An account's wait is capped at a minute, however many guesses.
    for _ in range(12):
        with pytest.raises(LoginRefused):
            auth.login("js", "guess", f"192.0.2.{_}")
        now[0] += auth.wait("js", "198.51.100.1", now[0])
    assert auth.wait("js", "198.51.100.1", now[0] - timedelta(seconds=1)) <= timedelta(seconds=60)
