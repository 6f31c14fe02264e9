"""The fault suite's tools, all on loopback and bounded: a TCP proxy the test cuts or freezes (toxiproxy-style, in
Python), an SMTP sink that collects (aiosmtpd), one that accepts connections and never answers, one that refuses."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from email import message_from_bytes
from typing import Any


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TcpProxy:
    """127.0.0.1:port → upstream. `cut()` resets every open connection and refuses new ones (the server went away);
    `freeze()` keeps connections open but forwards nothing (a network that stalls); `heal()` restores."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.mode = "up"
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = int(self._listener.getsockname()[1])
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.mode == "cut":
                _reset(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _reset(client)
                continue
            server.settimeout(None)
            with self._lock:
                self._conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                while self.mode == "frozen":
                    time.sleep(0.05)
                if self.mode == "cut":
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.close()

    def cut(self) -> None:
        self.mode = "cut"
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            _reset(s)

    def freeze(self) -> None:
        self.mode = "frozen"

    def heal(self) -> None:
        self.mode = "up"

    def close(self) -> None:
        self._stop = True
        self.cut()
        with contextlib.suppress(OSError):
            self._listener.close()


def _reset(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    with contextlib.suppress(OSError):
        s.close()


class StallingSmtp:
    """Accepts TCP connections and never says a word: every client waits its whole timeout."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.port = int(self._listener.getsockname()[1])
        self.connections = 0
        self._held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            self._held.append(conn)

    def close(self) -> None:
        for s in [self._listener, *self._held]:
            with contextlib.suppress(OSError):
                s.close()


def refusing_port() -> int:
    """A loopback port nobody listens on: connections are refused at once."""
    return free_port()


class SmtpSink:
    """A real SMTP server (aiosmtpd) that collects what it accepts; `hold` seconds before its 250 (after it has the
    message) to leave a sender hanging between the server's acceptance and its own ledger."""

    def __init__(self, port: int | None = None, hold: float = 0.0) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Any] = []
        self.hold = hold
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                import asyncio

                sink.messages.append(envelope)
                if sink.hold:
                    await asyncio.sleep(sink.hold)
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port or free_port())
        self.controller.start()
        self.port = int(self.controller.port)

    def message_ids(self) -> list[str]:
        return [str(message_from_bytes(e.content)["Message-ID"]) for e in self.messages]

    def keys(self) -> list[str]:
        return [str(message_from_bytes(e.content)["X-Huizhen-Reminder-Key"]) for e in self.messages]

    def close(self) -> None:
        self.controller.stop()
