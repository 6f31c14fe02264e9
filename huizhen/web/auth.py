"""Signing in: argon2 password hashes, sessions in signed HttpOnly cookies (itsdangerous), a CSRF token per
session, sign-in throttling shared by every worker through the database, and per-user API tokens (Bearer)."""

from __future__ import annotations

import hashlib
import math
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from huizhen.config import Settings
from huizhen.labels import t
from storage.web_repo import WebStore
from workflow.ports import User
from workflow.web_usecases import token_digest

SESSION_COOKIE = "hz_session"
SESSION_MAX_AGE = 12 * 3600
THROTTLE_WINDOW = timedelta(minutes=15)
# Growing delays instead of locks (issue 15): after FREE failures in the window, the next try must wait
# 1, 2, 4, ... seconds after the last failure, up to CAP. Tries made during a wait are refused and not counted, so
# nobody can push a delay beyond its cap; the right password gets in once the wait is over. An account's cap is
# short (a stranger can slow a real user down by at most a minute, never lock them out); an address's is long.
USER_FREE, USER_CAP = 3, timedelta(seconds=60)
CLIENT_FREE, CLIENT_CAP = 10, timedelta(minutes=15)
SECRET_FILE = "var/web-secret.key"


def make_hasher(fast: bool = False) -> PasswordHasher:
    """argon2id with the library's defaults; `fast` (tests only) keeps the same algorithm with tiny costs."""
    if fast:
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


def load_secret(settings: Settings) -> str:
    """HUIZHEN_SECRET_KEY, or a random key kept in var/web-secret.key beside the config (created once, 0600),
    so every worker on the machine signs cookies with the same key."""
    env = os.environ.get("HUIZHEN_SECRET_KEY", "").strip()
    if env:
        if len(env) < 32:
            from huizhen.config import ConfigError

            raise ConfigError("HUIZHEN_SECRET_KEY: at least 32 characters")
        return env
    path = settings.resolve(SECRET_FILE)
    return secret_from_file(path)


def secret_from_file(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    text = path.read_text().strip()
    if len(text) < 32:  # another process is writing it right now, or it was truncated: never sign with a stub
        raise RuntimeError(f"{path}: the web secret is too short; delete the file to make a new one")
    return text


def fingerprint(password_hash: str | None) -> str:
    """A short digest of the stored hash: a session made before a password change stops working after it."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Viewer:
    user: User
    csrf: str
    via: str  # "session" | "token"


def session_id_digest(csrf: str) -> str:
    """A session is named by its CSRF token (random, one per sign-in); only its SHA-256 is stored."""
    return hashlib.sha256(f"session:{csrf}".encode()).hexdigest()


class Sessions:
    """Signed session cookies. A session ends `idle` seconds after the last request that renewed it
    (huizhen.web.session_edge) and `max_age` seconds after the sign-in ("s"), whichever comes first."""

    def __init__(self, secret: str, max_age: int = SESSION_MAX_AGE, idle: int | None = None) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="huizhen-session")
        self.max_age = max_age
        self.idle = min(idle, max_age) if idle else max_age

    def dumps(self, user: str | None, csrf: str, fp: str = "", started: int | None = None) -> str:
        return self.serializer.dumps({"u": user, "c": csrf, "f": fp, "s": started or int(time.time())})

    def renewed(self, data: dict[str, Any]) -> str:
        """The same session signed now: its idle time starts again; its sign-in time stays."""
        return self.serializer.dumps(data)

    def loads(self, raw: str | None) -> dict[str, Any] | None:
        if not raw:
            return None
        try:
            data = self.serializer.loads(raw, max_age=self.idle)
        except (BadSignature, ValueError, TypeError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return None
        started = data.get("s")
        if isinstance(started, int) and time.time() - started > self.max_age:
            return None
        return data

    def expired(self, raw: str | None) -> bool:
        """A cookie this server signed for a signed-in person, no longer valid only because of its age."""
        if not raw:
            return False
        try:
            fresh = self.serializer.loads(raw, max_age=self.idle)
        except SignatureExpired as exc:
            payload = exc.payload
            try:
                data = self.serializer.load_payload(payload) if isinstance(payload, bytes) else None
            except BadSignature:
                return False
            return isinstance(data, dict) and bool(data.get("u"))
        except (BadSignature, ValueError, TypeError):
            return False
        # Signed and recently used, but past its absolute age.
        return isinstance(fresh, dict) and bool(fresh.get("u")) and self.loads(raw) is None

    @staticmethod
    def new_csrf() -> str:
        return secrets.token_urlsafe(24)


class LoginRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


WallClock = Callable[[], datetime]


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _wall() -> datetime:
    return datetime.now(UTC)


class Authenticator:
    def __init__(self, store: WebStore, hasher: PasswordHasher, wall: WallClock = _wall) -> None:
        self.store = store
        self.hasher = hasher
        self.wall = wall
        self._dummy = hasher.hash(secrets.token_urlsafe(16))

    def hash_password(self, password: str) -> str:
        return self.hasher.hash(password)

    def login(self, name: str, password: str, client: str) -> tuple[User, str]:
        """The user and a fingerprint of their hash; raises LoginRefused (400, 401 or 429) with one line."""
        name = (name or "").strip()
        if not name or not password:
            raise LoginRefused(400, "请输入用户名和密码 / Enter your user name and password")
        if len(name) > 64 or len(password) > 256:
            raise LoginRefused(401, "用户名或密码错误 / Wrong user name or password")
        now = self.wall()
        wait = self.wait(name, client, now)
        if wait > timedelta(0):
            raise LoginRefused(429, t("signin_wait", seconds=math.ceil(wait.total_seconds())))
        found = self.store.user_and_hash(name)
        stored = found[1] if found else None
        ok = False
        try:
            ok = self.hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        self.store.record_login(name, client, ok, now)
        if not ok or found is None or stored is None:
            raise LoginRefused(401, "用户名或密码错误 / Wrong user name or password")
        if not found[0].active:
            raise LoginRefused(403, "该账户已停用，请联系管理员 / This account is disabled; ask an admin")
        if self.hasher.check_needs_rehash(stored):
            stored = self.hasher.hash(password)
            self.store.set_password_hash(name, stored)
        return found[0], fingerprint(stored)

    def wait(self, name: str, client: str, now: datetime) -> timedelta:
        """How long this account and this address must still wait before the next try (0: go ahead)."""
        since = now - THROTTLE_WINDOW
        longest = timedelta(0)
        for stats, free, cap in ((self.store.failure_stats(since=since, user_name=name), USER_FREE, USER_CAP),
                                 (self.store.failure_stats(since=since, client=client), CLIENT_FREE, CLIENT_CAP)):
            count, last = stats
            if last is None or count < free:
                continue
            delay = min(timedelta(seconds=2 ** min(count - free, 20)), cap)
            longest = max(longest, _aware(last) + delay - now)
        return longest

    def password_ok(self, name: str, password: str) -> bool:
        """Whether PASSWORD is NAME's current one (changing one's own password asks for it first)."""
        found = self.store.user_and_hash(name)
        stored = found[1] if found else None
        try:
            return bool(self.hasher.verify(stored or self._dummy, password or "")) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def fingerprint_of(self, name: str) -> str:
        """The fingerprint a new session of NAME carries (after their password changed)."""
        found = self.store.user_and_hash(name)
        return fingerprint(found[1]) if found and found[1] else ""

    def session_user(self, data: dict[str, Any]) -> User | None:
        """The user of a signed session, while their password is the one the session was made with."""
        name = data.get("u")
        if not isinstance(name, str) or not name:
            return None
        found = self.store.user_and_hash(name)
        if found is None or found[1] is None or fingerprint(found[1]) != data.get("f"):
            return None
        if not found[0].active:
            return None  # disabled by an admin: their open sessions end with it
        if self.store.session_ended(session_id_digest(str(data.get("c", "")))):
            return None  # signed out: a copy of the cookie is worth nothing
        return found[0]

    def end_session(self, data: dict[str, Any]) -> None:
        """Sign-out on the server: the session's id is remembered as ended until it would have expired anyway."""
        self.store.end_session(session_id_digest(str(data.get("c", ""))), self.wall(),
                               timedelta(seconds=SESSION_MAX_AGE))

    def token_user(self, token: str) -> User | None:
        token = token.strip()
        if not token or len(token) > 200:
            return None
        user = self.store.token_user(token_digest(token), self.wall())
        return user if user is not None and user.active else None
