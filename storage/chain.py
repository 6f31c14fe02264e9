"""The hash chain of each case's events: SHA-256 over a canonical form of every stored field."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def instant(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(*, case_number: str, seq: int, type_: str, schema_version: int, actor: str, occurred_at: datetime,
               recorded_at: datetime, payload: str, prev_hash: str) -> str:
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
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


TOMBSTONE_FIELDS = (
    "number", "batch", "applicant", "lead", "status", "outcome", "product_name", "product_model", "opened_at",
    "submitted_at", "terminal_at", "retention_until", "appraised_at", "approver", "appraisal_note", "purged_at",
    "purged_by", "events", "materials", "final_event_hash",
)


def tombstone_hash(row: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 over a tombstone's every field (instants in UTC with microseconds) and the previous tombstone's hash."""
    body: dict[str, Any] = {}
    for key in TOMBSTONE_FIELDS:
        value = row.get(key)
        body[key] = instant(value) if isinstance(value, datetime) else value
    body["prev_hash"] = prev_hash
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()
