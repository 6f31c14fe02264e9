"""Live updates over Server-Sent Events. Each connection polls the event log's highest id (cheap, indexed) and
tells the page when it grew, whichever process wrote the event; the page then fetches what it shows again, through
the same permission checks as any page. Nothing about a case travels over the stream itself."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import anyio
from fastapi import APIRouter, Request
from starlette.responses import StreamingResponse

from huizhen.web.common import call, page_viewer, web

router = APIRouter(include_in_schema=False)
KEEPALIVE_SECONDS = 15.0


def _message(event: str, data: str, event_id: int | None = None) -> bytes:
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append(f"data: {data}")
    return ("\n".join(lines) + "\n\n").encode()


@router.get("/events/stream")
async def stream(request: Request) -> StreamingResponse:
    await page_viewer(request)  # signed-in people only
    w = web(request)
    last_seen = request.headers.get("last-event-id", "")
    baseline = int(last_seen) if last_seen.isdigit() else None

    async def events() -> AsyncIterator[bytes]:
        nonlocal baseline
        current = await call(w.store.max_event_id)
        yield b"retry: 3000\n\n"
        if baseline is not None and current > baseline:
            yield _message("change", str(current), current)  # changes made while the page was reconnecting
        else:
            yield _message("hello", str(current), current)
        baseline = current
        started = last_beat = time.monotonic()
        while time.monotonic() - started < w.sse_max:
            await anyio.sleep(w.sse_poll)
            if await request.is_disconnected():
                return
            current = await call(w.store.max_event_id)
            if current != baseline:
                baseline = current
                yield _message("change", str(current), current)
                last_beat = time.monotonic()
            elif time.monotonic() - last_beat >= KEEPALIVE_SECONDS:
                last_beat = time.monotonic()
                yield b": keep-alive\n\n"

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no", "Connection": "keep-alive"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
