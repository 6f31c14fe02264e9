"""The hash chain of each case's events and of the tombstones: over a canonical form of every stored field.

Two kinds of hash live in one chain. Events and tombstones written before issue 15 carry a plain SHA-256 (`key_id`
NULL): anyone can recompute it, so anyone who can write the database could rewrite and rehash them. Everything
written since carries an HMAC-SHA256 under the audit key, a secret kept outside the database (a 0600 file beside
the config, or HUIZHEN_AUDIT_KEY), and the key's id. The set of older rows is sealed once, under the key, when the
key first meets the database (`Keyring.seal`), so an event rewritten "as the older kind" is caught too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def key_id_of(secret: bytes) -> str:
    """A short public name for a key: it says which key made a hash, never the key itself."""
    return hashlib.sha256(b"huizhen-audit-key-id:" + secret).hexdigest()[:16]


@dataclass(frozen=True)
class Keyring:
    """The key new hashes are made with, and every key (current and retired) old hashes can be checked with."""

    current: bytes
    retired: tuple[bytes, ...] = ()
    by_id: dict[str, bytes] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        for secret in (self.current, *self.retired):
            self.by_id[key_id_of(secret)] = secret

    @property
    def current_id(self) -> str:
        return key_id_of(self.current)

    def secret(self, key_id: str | None) -> bytes | None:
        return None if key_id is None else self.by_id.get(key_id)

    def seal(self, label: str, content: str) -> str:
        """An HMAC under the current key over a labelled text (the older rows' seal, a checkpoint's body)."""
        return hmac.new(self.current, f"{label}\n{content}".encode(), hashlib.sha256).hexdigest()

    def check_seal(self, key_id: str, label: str, content: str, mac: str) -> bool:
        secret = self.secret(key_id)
        if secret is None:
            return False
        expected = hmac.new(secret, f"{label}\n{content}".encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, mac)


def _digest(body: str, key: bytes | None) -> str:
    if key is None:
        return hashlib.sha256(body.encode("utf-8")).hexdigest()
    return hmac.new(key, body.encode("utf-8"), hashlib.sha256).hexdigest()


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def instant(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(*, case_number: str, seq: int, type_: str, schema_version: int, actor: str, occurred_at: datetime,
               recorded_at: datetime, payload: str, prev_hash: str, key: bytes | None = None) -> str:
    """SHA-256 (key None: the older kind) or HMAC-SHA256 under KEY, over every stored field and the previous hash."""
    body = canonical_json(
        {
            "case": case_number,
            "seq": seq,
            "type": type_,
            "schema_version": schema_version,
            "actor": actor,
            "occurred_at": instant(occurred_at),
            "recorded_at": instant(recorded_at),
            "payload": payload,
            "prev_hash": prev_hash,
        }
    )
    return _digest(body, key)


TOMBSTONE_FIELDS = (
    "number", "batch", "applicant", "lead", "status", "outcome", "product_name", "product_model", "opened_at",
    "submitted_at", "terminal_at", "retention_until", "appraised_at", "approver", "appraisal_note", "purged_at",
    "purged_by", "events", "materials", "final_event_hash",
)


def tombstone_hash(row: dict[str, Any], prev_hash: str, key: bytes | None = None) -> str:
    """SHA-256 (or HMAC-SHA256 under KEY) over a tombstone's every field (instants in UTC with microseconds) and the previous tombstone's hash."""
    body: dict[str, Any] = {}
    for name in TOMBSTONE_FIELDS:
        value = row.get(name)
        body[name] = instant(value) if isinstance(value, datetime) else value
    body["prev_hash"] = prev_hash
    return _digest(canonical_json(body), key)
