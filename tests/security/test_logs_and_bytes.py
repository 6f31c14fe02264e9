# ruff: noqa: F811  (the fixtures come from websupport and are used as arguments)
"""No secret in any log, and bad bytes get a clear 400 (issue 15). Every sign-in, password and token path is
driven, failing ones included (a NUL in the user name, no sign-in needed), against a service logging to stderr and to
a file; both are then searched for the secrets. The log file is 0600."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from websupport import PASSWORD, Site, csrf_of, db_url, site  # noqa: F401  (fixtures)

from huizhen.logs import setup_logging
from huizhen.web.clean_bytes import bad_bytes, bad_json, bad_query, bad_text

NEW_PASSWORD = "Brand-new secret 42"


def _login(site: Site, name: str, password: str) -> tuple[TestClient, Any]:
    c = TestClient(site.web, follow_redirects=False, raise_server_exceptions=False)
    page = c.get("/login")
    return c, c.post("/login", data={"username": name, "password": password, "csrf_token": csrf_of(page.text)})


def test_no_secret_reaches_stderr_or_the_log_file(site: Site, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "huizhen.log"
    setup_logging(log, level="DEBUG")
    try:
        statuses = []
        for name, password in (("sh", "wrong " + PASSWORD), ("nobody", PASSWORD), ("s\x00h", PASSWORD),
                               ("sh", PASSWORD)):
            statuses.append(_login(site, name, password)[1].status_code)
        c = TestClient(site.web, follow_redirects=False, raise_server_exceptions=False)
        csrf = csrf_of(c.get("/login").text)
        r = c.post("/login", content=f"username=sh%ED%A0%80&password={PASSWORD}&csrf_token={csrf}".encode(),
                   headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code == 400, r.text
        assert statuses[2] == 400 and statuses[-1] == 303 and all(s < 500 for s in statuses), statuses
        api = site.api("sh")
        token = site.token("sh")
        r = api.post("/api/v1/users/sh/password", json={"password": NEW_PASSWORD})
        assert r.status_code < 500, r.text
        r = api.post("/api/v1/users/sh/password", json={"password": "bad\x00" + NEW_PASSWORD})
        assert r.status_code == 400, r.text
        raw = b'{"password": "\\ud800' + NEW_PASSWORD.encode() + b'"}'
        r = api.post("/api/v1/users/sh/password", content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 400, r.text
        r = api.post("/api/v1/users/sh/tokens", json={"label": "ci"})
        issued = r.json().get("token", "") if r.status_code < 300 else ""
        stranger = TestClient(site.web, raise_server_exceptions=False)
        assert stranger.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token-" + PASSWORD}).status_code < 500
        assert stranger.get("/api/v1/me", headers={"Authorization": f"Bearer {token}x"}).status_code < 500
    finally:
        from loguru import logger

        logger.complete()
        setup_logging(None, level="WARNING")
    captured = capfd.readouterr()
    text = captured.out + captured.err + log.read_text(encoding="utf-8", errors="replace")
    for secret in (PASSWORD, NEW_PASSWORD, token, issued):
        if secret:
            assert secret not in text, secret
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


@pytest.mark.parametrize("path", ["/cases/%00", "/api/v1/cases/YRD%00", "/dashboard?q=%00", "/dashboard?q=%ff%fe",
                                  "/api/v1/cases?status=%ed%a0%80"])
def test_bad_bytes_in_paths_and_queries_get_a_400(site: Site, path: str) -> None:
    c = TestClient(site.web, raise_server_exceptions=False)
    r = c.get(path)
    assert r.status_code == 400, (path, r.status_code, r.text[:200])


def test_bad_bytes_in_a_signed_in_form_get_a_400(site: Site) -> None:
    r = site.post("sh", "/login", {"username": "a\x00", "password": "x"})
    assert r.status_code == 400


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_the_byte_checks_never_raise_and_agree_with_utf8(raw: bytes) -> None:
    try:
        ok = "\x00" not in raw.decode("utf-8")
    except UnicodeDecodeError:
        ok = False
    assert bad_bytes(raw) is (not ok)
    bad_query(raw)


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                    max_leaves=12))
def test_json_check_finds_exactly_nul_and_lone_surrogates(value: Any) -> None:
    import json

    text = json.dumps(value)
    assert bad_json(json.loads(text)) is ("\\u0000" in text or _has_surrogate(value))


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return bad_text(value) and "\x00" not in value
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


def test_a_stalled_body_gets_a_408() -> None:
    import asyncio

    from huizhen.web.clean_bytes import CleanBytes

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def run() -> list[Any]:
        sent: list[Any] = []
        chunks = [{"type": "http.request", "body": b"a", "more_body": True}]

        async def receive() -> Any:
            if chunks:
                return chunks.pop()
            await asyncio.sleep(10)  # the client stalls
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Any) -> None:
            sent.append(message)

        scope = {"type": "http", "raw_path": b"/api/v1/x", "query_string": b"",
                 "headers": [(b"content-type", b"application/octet-stream")]}
        await CleanBytes(app, body_timeout=0.05)(scope, receive, send)
        return sent

    sent = asyncio.run(run())
    assert sent[0]["status"] == 408 and b"slow_body" in sent[1]["body"]
