"""Use cases the web service adds: setting a password, issuing a per-user API token, listing users.

Who may: an admin for anyone, everyone else for themself only. The secrets never reach storage in clear: the
password is hashed by the shell's hasher (argon2) before it is kept, a token is kept as its SHA-256 only.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from states.errors import InvalidInput
from workflow.errors import NotFound
from workflow.people import log_admin_action
from workflow.permissions import require_role, require_self_or_admin
from workflow.ports import User
from workflow.usecases import Services, _user

MIN_PASSWORD = 8
MAX_PASSWORD = 256
TOKEN_PREFIX = "hz_"


class Credentials(Protocol):
    """Where password hashes and token digests live (storage.web_repo.WebStore)."""

    def set_password_hash(self, name: str, password_hash: str) -> None: ...

    def add_token(self, token_sha256: str, user_name: str, label: str, at: datetime) -> None: ...

    def tokens_of(self, user_name: str) -> list[dict[str, Any]]: ...

    def revoke_token(self, user_name: str, token_id: int, at: datetime) -> str: ...


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _target(svc: Services, actor: str | None, name: str, what: str) -> User:
    with svc.uow(readonly=True) as uow:
        me = _user(uow, actor)
        target = uow.users.get(name)
    if target is None:
        raise NotFound(f"user {name!r} does not exist", key="user_missing", field="name", name=name)
    require_self_or_admin(me, target, what)
    return target


def user_row(u: User) -> dict[str, Any]:
    """A user as the CLI and the API show them."""
    return {"name": u.name, "role": u.role, "institution": u.institution, "expert": u.expert_id, "email": u.email,
            "display_name": u.display_name or u.name, "phone": u.phone, "active": u.active}


def list_users(svc: Services, actor: str | None) -> list[dict[str, Any]]:
    """Every user (admins and auditors)."""
    with svc.uow(readonly=True) as uow:
        me = _user(uow, actor)
        require_role(me, "admin", "auditor")
        people = uow.users.all()
    return [user_row(u) for u in people]


def check_password(password: str, name: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password has at least {MIN_PASSWORD} characters", key="password_too_short",
                           field="password", limit=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"a password has at most {MAX_PASSWORD} characters", key="password_too_long",
                           field="password", limit=MAX_PASSWORD)
    if not password.strip() or any(ord(ch) < 32 for ch in password):
        raise InvalidInput("a password has no control characters and is not only spaces", key="password_blank",
                           field="password")
    if password.strip().lower() == name.lower():
        raise InvalidInput("the password must not be the user name", key="password_is_name", field="password")


def set_password(svc: Services, creds: Credentials, actor: str | None, name: str, password: str,
                 hash_password: Callable[[str], str]) -> User:
    """Set NAME's sign-in password (admin for anyone, a user for themself). Existing sessions of NAME end."""
    target = _target(svc, actor, name, "set a password")
    check_password(password, target.name)
    creds.set_password_hash(target.name, hash_password(password))
    log_admin_action(svc, str(actor), "password_set", target.name)
    return target


def reset_password(svc: Services, creds: Credentials, actor: str | None, name: str,
                   hash_password: Callable[[str], str]) -> str:
    """An admin gives NAME a new one-time password, returned once (to hand over; NAME then sets their own).
    NAME's existing sessions end."""
    with svc.uow(readonly=True) as uow:
        require_role(_user(uow, actor), "admin")
    target = _target(svc, actor, name, "reset a password")
    password = secrets.token_urlsafe(9)  # 12 characters from a 64-letter alphabet: 72 bits
    creds.set_password_hash(target.name, hash_password(password))
    log_admin_action(svc, str(actor), "password_reset", target.name)
    return password


def issue_token(svc: Services, creds: Credentials, actor: str | None, name: str, label: str = "") -> str:
    """A new API token for NAME; returned once, kept only as its SHA-256."""
    target = _target(svc, actor, name, "issue an API token")
    label = (label or "").strip()
    if len(label) > 100:
        raise InvalidInput("a label has at most 100 characters", key="value_too_long", field="label", limit=100)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    creds.add_token(token_digest(token), target.name, label, svc.clock.now())
    log_admin_action(svc, str(actor), "token_issue", target.name, label=label)
    return token


def list_tokens(svc: Services, creds: Credentials, actor: str | None, name: str) -> list[dict[str, Any]]:
    """NAME's API tokens (id, label, created, last used, revoked); never the tokens themselves."""
    target = _target(svc, actor, name, "list API tokens")
    return creds.tokens_of(target.name)


def revoke_token(svc: Services, creds: Credentials, actor: str | None, name: str, token_id: int) -> None:
    """End one of NAME's API tokens now (admin for anyone, a user for themself). Revoking twice is refused."""
    target = _target(svc, actor, name, "revoke an API token")
    outcome = creds.revoke_token(target.name, token_id, svc.clock.now())
    if outcome == "missing":
        raise NotFound(f"{name} has no API token {token_id}", key="token_missing", field="token", name=name,
                       token=token_id)
    if outcome == "already":
        raise InvalidInput(f"token {token_id} of {name} is already revoked", key="token_revoked", field="token",
                           name=name, token=token_id)
    log_admin_action(svc, str(actor), "token_revoke", target.name, token=token_id)
