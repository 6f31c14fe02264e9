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
