"""Bad bytes get a clear 400 (issue 15), never a 500 and never a traceback in the log: a NUL, a lone surrogate or
invalid UTF-8 anywhere in a request's path, query, urlencoded form or JSON body is refused before any route reads
it. Multipart forms are checked field by field where they are read (huizhen.web.common.read_form)."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SLOW = "请求超时：请求内容传送过慢 / Request timeout: the body arrived too slowly"
MESSAGE = "请求有误：含有无效字符（空字符、无效的 UTF-8 或孤立代理项）/ Bad request: invalid characters"


def bad_text(value: str) -> bool:
    """A NUL, or a lone surrogate (a str that is not UTF-8 encodable)."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def bad_bytes(raw: bytes) -> bool:
    """Percent-decoded bytes that are not UTF-8 or hold a NUL."""
    try:
        return "\x00" in raw.decode("utf-8")
    except UnicodeDecodeError:
        return True


def bad_query(raw: bytes) -> bool:
    for part in raw.split(b"&"):
        for piece in part.split(b"=", 1):
            if bad_bytes(unquote_to_bytes(piece.replace(b"+", b" "))):
                return True
    return False


def bad_json(value: Any) -> bool:
    if isinstance(value, str):
        return bad_text(value)
    if isinstance(value, dict):
        return any(bad_text(str(k)) or bad_json(v) for k, v in value.items())
    if isinstance(value, list):
        return any(bad_json(v) for v in value)
    return False


class SlowBody(Exception):
    pass


class CleanBytes:
    """Also times out a body that stalls: more than BODY_TIMEOUT seconds between two of its chunks is a 408."""

    def __init__(self, app: ASGIApp, body_timeout: float = 30.0) -> None:
        self.app = app
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        body_done = False
        inner_receive = receive

        async def timed() -> Message:
            nonlocal body_done
            if body_done:  # after the body, a wait is for the client to leave (an event stream): never timed
                return await inner_receive()
            try:
                message = await asyncio.wait_for(inner_receive(), self.body_timeout)
            except TimeoutError:
                raise SlowBody() from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._checked(scope, timed, tracked)
        except SlowBody:
            if not started:
                await self._refuse(scope, send, 408, SLOW)

    async def _checked(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_path = scope.get("raw_path") or str(scope.get("path", "")).encode("utf-8", "surrogateescape")
        if bad_bytes(unquote_to_bytes(raw_path)) or bad_query(scope.get("query_string", b"")):
            await self._refuse(scope, send)
            return
        ctype = dict(scope.get("headers", [])).get(b"content-type", b"").split(b";")[0].strip().lower()
        if ctype not in (b"application/json", b"application/x-www-form-urlencoded"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:  # the Guard outside has already bounded the body's size
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, receive, send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if self._bad_body(ctype, body):
            await self._refuse(scope, send)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    def _bad_body(ctype: bytes, body: bytes) -> bool:
        if ctype == b"application/x-www-form-urlencoded":
            return bad_query(body)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return True
        try:
            return bad_json(json.loads(text))
        except ValueError:
            return False  # not JSON at all: the route's own validation answers with its 400

    @staticmethod
    async def _refuse(scope: Scope, send: Send, status: int = 400, message: str = MESSAGE) -> None:
        path = scope.get("raw_path") or b""
        code = "bad_bytes" if status == 400 else "slow_body"
        if path.startswith(b"/api/"):
            body = json.dumps({"error": {"status": status, "code": code, "message": message}},
                              ensure_ascii=False).encode("utf-8")
            ctype = b"application/json"
        else:
            body, ctype = message.encode("utf-8"), b"text/plain; charset=utf-8"
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
