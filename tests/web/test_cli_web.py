"""The web's command line, as an admin drives it: `users passwd` (prompt or stdin), `users token`, and
`huizhen serve --demo` started for real on a loopback port, signed in to over HTTP, and stopped."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
HZ = str(Path(sys.executable).with_name("huizhen"))
pytestmark = pytest.mark.e2e


def env(db: str, user: str | None = None) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("HUIZHEN_")}
    e.update(HUIZHEN_CONFIG=str(ROOT / "config.yaml"), HUIZHEN_DATABASE_URL=db, HUIZHEN_SECRET_KEY="k" * 48)
    if user:
        e["HUIZHEN_USER"] = user
    return e


def hz(db: str, *args: str, user: str | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([HZ, *args], input=stdin, capture_output=True, text=True, env=env(db, user), timeout=120)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_passwords_and_tokens_from_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'hz.db'}"
    assert hz(db, "init", "--admin", "admin").returncode == 0
    assert hz(db, "users", "add", "sh", "--role", "liaison", "--institution", "SH", user="admin").returncode == 0
    done = hz(db, "users", "passwd", "sh", user="admin", stdin="a fine password\n")
    assert done.returncode == 0 and "password of sh set" in done.stdout
    short = hz(db, "users", "passwd", "sh", user="sh", stdin="short\n")
    assert short.returncode == 2 and "PASSWORD: " in short.stderr and "at least 8" in short.stderr
    other = hz(db, "users", "passwd", "admin", user="sh", stdin="another password\n")
    assert other.returncode == 3 and "themself" in other.stderr
    empty = hz(db, "users", "passwd", "sh", user="sh", stdin="")
    assert empty.returncode == 2 and "standard input" in empty.stderr
    issued = hz(db, "users", "token", "sh", "--label", "scripts", user="sh")
    assert issued.returncode == 0
    token = issued.stdout.strip().splitlines()[-1]
    assert token.startswith("hz_") and "shown once" in issued.stderr
    assert token.encode() not in (tmp_path / "hz.db").read_bytes()

    from fastapi.testclient import TestClient

    from huizhen.bootstrap import bootstrap
    from huizhen.web import create_app

    app = bootstrap(ROOT / "config.yaml", database_url=db)
    web = TestClient(create_app(app, secret="s" * 40), follow_redirects=False)
    assert web.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["name"] == "sh"
    page = web.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    resp = web.post("/login", data={"username": "sh", "password": "a fine password", "csrf_token": csrf})
    assert resp.status_code == 303 and resp.headers["location"] == "/dashboard"

    # The token can be listed (never shown again) and revoked; from then on the API refuses it.
    listed = hz(db, "users", "tokens", "sh", "--json", user="admin")
    assert listed.returncode == 0, listed.stderr
    import json

    (row,) = json.loads(listed.stdout)
    assert row["label"] == "scripts" and row["revoked_at"] is None and token not in listed.stdout
    assert hz(db, "users", "tokens", "admin", user="sh").returncode == 3
    revoked = hz(db, "users", "revoke-token", "sh", str(row["id"]), user="sh")
    assert revoked.returncode == 0 and f"API token {row['id']} of sh revoked" in revoked.stdout
    assert web.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    again = hz(db, "users", "revoke-token", "sh", str(row["id"]), user="sh")
    assert again.returncode == 2 and "already revoked" in again.stderr
    missing = hz(db, "users", "revoke-token", "sh", "999", user="admin")
    assert missing.returncode == 4 and "TOKEN: sh has no API token 999" in missing.stderr
    app.engine.dispose()


def test_serve_refuses_an_uninitialised_database(tmp_path: Path) -> None:
    run = hz(f"sqlite:///{tmp_path / 'none.db'}", "serve", "--port", str(free_port()), "--no-scheduler")
    assert run.returncode == 7 and "huizhen init" in run.stderr


def test_serve_demo_starts_signs_in_and_stops(tmp_path: Path) -> None:
    port = free_port()
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    proc = subprocess.Popen([HZ, "serve", "--demo", "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env(db))
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 90
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if line.startswith("scheduler:") or not line:
                break
        text = "".join(lines)
        assert f"huizhen web service: http://127.0.0.1:{port}/" in text, text
        assert "password: huizhen-demo" in text and "shanghai" in text and "chensy" in text, text
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        with httpx.Client(base_url=base, follow_redirects=False, timeout=10) as c:
            page = c.get("/login")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            resp = c.post("/login", data={"username": "shanghai", "password": "huizhen-demo", "csrf_token": csrf})
            assert resp.status_code == 303
            board = c.get("/dashboard").text
        rows = re.findall(r'<tr class="urgency-[a-z_]+" data-case="(YRD-2026-\d{4})"', board)
        assert len(rows) == 13  # fourteen cases, less the Zhejiang draft
        for seen in ("已超期", "1个工作日内到期", "今日到期", "（预估）", "2027-01-04", "已归档", "已撤回", "会诊中",
                     "持续关注", "已形成意见", "草稿", "初步核实", "待会诊"):
            assert seen in board, seen
        assert "演示环境" in board
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode in (0, 130, -2)
