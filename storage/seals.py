"""Seals: HMACs under the audit key over what the database must not change unseen. The one seal today is the list
of rows hashed the older way (plain SHA-256), made once when the key first meets the database: an older row that
is not on the list, or differs from it, was rewritten by someone who knows only the public algorithm."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import Connection, insert, select

from storage import tables as t
from storage.chain import Keyring, canonical_json
from storage.common import wall

OLDER_ROWS = "older-rows"


@dataclass
class OlderRows:
    """What the seal says about the older rows: (case, seq) -> hash, tombstone number -> hash; `sealed` False when
    there is no valid seal (then no older row can be trusted)."""

    sealed: bool
    events: dict[tuple[str, int], str] = field(default_factory=dict)
    tombstones: dict[str, str] = field(default_factory=dict)
    problem: str | None = None


def _current_older(conn: Connection) -> dict[str, list[list[object]]]:
    ev = conn.execute(
        select(t.events.c.case_number, t.events.c.seq, t.events.c.hash).where(t.events.c.key_id.is_(None))
        .order_by(t.events.c.case_number, t.events.c.seq)
    ).all()
    ts = conn.execute(
        select(t.tombstones.c.number, t.tombstones.c.hash).where(t.tombstones.c.key_id.is_(None))
        .order_by(t.tombstones.c.id)
    ).all()
    return {"events": [[r[0], r[1], r[2]] for r in ev], "tombstones": [[r[0], r[1]] for r in ts]}


def ensure_older_rows_seal(conn: Connection, keyring: Keyring) -> int:
    """Seal the older rows once (a second `init` changes nothing). Returns how many rows the seal covers."""
    row = conn.execute(select(t.audit_seals.c.content).where(t.audit_seals.c.name == OLDER_ROWS)).first()
    if row is not None:
        data = json.loads(row.content)
        return len(data["events"]) + len(data["tombstones"])
    content = canonical_json(_current_older(conn))
    conn.execute(insert(t.audit_seals).values(name=OLDER_ROWS, key_id=keyring.current_id, content=content,
                                              mac=keyring.seal(OLDER_ROWS, content), created_at=wall()))
    data = json.loads(content)
    return len(data["events"]) + len(data["tombstones"])


def older_rows(conn: Connection, keyring: Keyring) -> OlderRows:
    row = conn.execute(select(t.audit_seals).where(t.audit_seals.c.name == OLDER_ROWS)).mappings().first()
    if row is None:
        return OlderRows(False, problem="there is no seal of the older rows (deleted?)")
    if not keyring.check_seal(row["key_id"], OLDER_ROWS, row["content"], row["mac"]):
        if keyring.secret(row["key_id"]) is None:
            return OlderRows(False, problem=f"the older rows' seal was made with audit key {row['key_id']}, which "
                                            "this server does not hold")
        return OlderRows(False, problem="the older rows' seal does not match its content — edited")
    data = json.loads(row["content"])
    return OlderRows(True, {(c, int(s)): h for c, s, h in data["events"]}, {n: h for n, h in data["tombstones"]})
