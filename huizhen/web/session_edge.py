"""Sessions that end when idle (issue 15): each response to a request with a valid session cookie carries the
same session re-signed with the time of now, so a session lives `web.session_idle_minutes` after the person's last
request (and never past its absolute age, Sessions.max_age, counted from the sign-in). A page asked for with an
idle session's cookie goes to the sign-in page with a notice (the app's LoginRequired handler)."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from huizhen.web.auth import SESSION_COOKIE, SESSION_MAX_AGE, Sessions


class SlidingSessions:
    def __init__(self, app: ASGIApp, sessions: Sessions, secure: bool = False) -> None:
        self.app = app
        self.sessions = sessions
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        raw = _cookie(scope)
        data = self.sessions.loads(raw) if raw else None

        async def renew(message: Message) -> None:
            if message["type"] == "http.response.start" and data is not None:
                headers = list(message.get("headers", []))
                sets_own = any(k.lower() == b"set-cookie" and v.startswith(f"{SESSION_COOKIE}=".encode())
                               for k, v in headers)
                if not sets_own:  # sign-in and sign-out set their own
                    headers.append((b"set-cookie", _set_cookie(self.sessions.renewed(data), self.secure)))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, renew)


def _cookie(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header is no session
                return None
            if SESSION_COOKIE in jar:
                return jar[SESSION_COOKIE].value
    return None


def _set_cookie(value: str, secure: bool) -> bytes:
    parts: list[Any] = [f"{SESSION_COOKIE}={value}", f"Max-Age={SESSION_MAX_AGE}", "Path=/", "HttpOnly",
                        "SameSite=lax"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts).encode("latin-1")
