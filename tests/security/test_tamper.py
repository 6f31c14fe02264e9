"""The database administrator's tampering (issue 15), each tried on a real database behind the application's back:
an event rewritten and rehashed with the public algorithm, the last event deleted and the case row rebuilt, the
newest case deleted and the counter lowered, a tombstone rewritten with its chain recomputed, an older backup
restored. Each is named by `audit verify` with the checkpoint taken before it; an untouched database passes."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import World, run_to
from sqlalchemy import delete, select, update

from huizhen import checkpoints
from states.case import replay
from storage import tables as t
from storage.cases import SqlCaseRepository
from storage.chain import GENESIS, canonical_json, event_hash, tombstone_hash
from workflow import usecases as uc

ev = t.events.c


def tamper(world: World, *stmts: Any) -> None:
    with world.app.engine.begin() as conn:
        for stmt in stmts:
            conn.execute(stmt)


def checkpoint(world: World, tmp_path: Path) -> Path:
    return checkpoints.write(world.app, "auditor", world.clock.now(), tmp_path / "cp.json")


def verify(world: World, cp: Path) -> list[str]:
    return uc.verify_audit(world.svc, "auditor") + checkpoints.verify_files(world.app, "auditor", [cp])


@pytest.fixture
def two(world: World, tmp_path: Path) -> tuple[str, str, Path]:
    archived = run_to(world, "archived")
    newest = run_to(world, "drafted")
    cp = checkpoint(world, tmp_path)
    assert verify(world, cp) == []
    return archived, newest, cp


def _events(world: World, number: str) -> list[dict[str, Any]]:
    with world.app.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(t.events).where(ev.case_number == number)
                                              .order_by(ev.seq)).mappings()]


def test_untouched_database_passes_with_its_checkpoint(world: World, two: tuple[str, str, Path]) -> None:
    archived, _, cp = two
    world.clock.advance(hours=1)
    run_to(world, "drafted")  # the database moves on: it still extends the checkpoint
    assert verify(world, cp) == []
    signed = json.loads(cp.read_text())
    assert {c["number"] for c in signed["statement"]["cases"]} >= {archived}


def test_event_rewritten_and_rehashed_with_the_public_algorithm(world: World, two: tuple[str, str, Path]) -> None:
    """The forger rewrites event 10, recomputes every later hash with plain SHA-256 and fixes the case row."""
    n, _, cp = two
    rows = _events(world, n)
    prev = rows[8]["hash"]
    stmts: list[Any] = []
    for r in rows[9:]:
        payload = r["payload"]
        if r["seq"] == 10:
            data = json.loads(payload)
            data["reason"] = "伪造的理由"
            payload = canonical_json(data)
        h = event_hash(case_number=n, seq=r["seq"], type_=r["type"], schema_version=r["schema_version"],
                       actor=r["actor"], occurred_at=r["occurred_at"], recorded_at=r["recorded_at"], payload=payload,
                       prev_hash=prev)
        stmts.append(update(t.events).where(ev.id == r["id"]).values(payload=payload, prev_hash=prev, hash=h,
                                                                      key_id=None))
        prev = h
    stmts.append(update(t.cases).where(t.cases.c.number == n).values(last_hash=prev))
    tamper(world, *stmts)
    found = verify(world, cp)
    assert any(n in f and "event 10" in f and "rewritten" in f for f in found), found
    assert any(f.startswith(f"{n} event {rows[-1]['seq']}: rewritten") for f in found), found


def test_last_event_deleted_and_case_row_rebuilt(world: World, two: tuple[str, str, Path]) -> None:
    n, _, cp = two
    rows = _events(world, n)
    last = rows[-1]
    remaining = [SqlCaseRepository._stored(r).event for r in rows[:-1]]
    case = replay(remaining)
    assert case is not None
    tamper(world, delete(t.events).where(ev.id == last["id"]),
           update(t.cases).where(t.cases.c.number == n).values(
               version=case.version, status=str(case.status), outcome=str(case.outcome) if case.outcome else None,
               last_hash=rows[-2]["hash"], snapshot=canonical_json(case.to_dict())))
    assert uc.verify_audit(world.svc, "auditor") == []  # a consistent rebuild: only the checkpoint knows
    found = checkpoints.verify_files(world.app, "auditor", [cp])
    assert found == [f"{n}: rolled back or truncated — the checkpoint of {_issued(cp)} saw version {last['seq']}, "
                     f"the log ends at event {last['seq'] - 1}"]


def test_newest_case_deleted_and_counter_lowered(world: World, two: tuple[str, str, Path]) -> None:
    _, newest, cp = two
    prefix, year, seq = newest.rsplit("-", 2)
    tamper(world, delete(t.deadlines).where(t.deadlines.c.case_number == newest),
           delete(t.events).where(ev.case_number == newest),
           delete(t.cases).where(t.cases.c.number == newest),
           update(t.counters).where(t.counters.c.name == f"case:{prefix}:{year}").values(value=int(seq) - 1))
    assert uc.verify_audit(world.svc, "auditor") == []
    found = checkpoints.verify_files(world.app, "auditor", [cp])
    assert any(f.startswith(f"{newest}: deleted") for f in found), found
    assert any("counter was lowered" in f and f"from {int(seq)} to {int(seq) - 1}" in f for f in found), found


def test_tombstone_rewritten_and_its_chain_recomputed(world: World, tmp_path: Path) -> None:
    with world.svc.uow() as uow:
        for n in ("YRD-2019-0001", "YRD-2019-0002"):
            uow.retention.add_tombstone(_tombstone(n))
        uow.commit()
    cp = checkpoint(world, tmp_path)
    assert verify(world, cp) == []
    with world.app.engine.connect() as conn:
        tombs = [dict(r) for r in conn.execute(select(t.tombstones).order_by(t.tombstones.c.id)).mappings()]
    prev, stmts = GENESIS, []
    for row in tombs:
        row = {**row, "product_name": "另一件产品" if row["number"].endswith("1") else row["product_name"]}
        h = tombstone_hash(row, prev)
        stmts.append(update(t.tombstones).where(t.tombstones.c.id == row["id"]).values(
            product_name=row["product_name"], prev_hash=prev, hash=h, key_id=None))
        prev = h
    tamper(world, *stmts)
    found = verify(world, cp)
    assert any(f.startswith("YRD-2019-0001 tombstone:") and "rewritten" in f for f in found), found
    assert any(f.startswith("YRD-2019-0002 tombstone: rewritten") for f in found), found


def test_older_backup_restored_after_the_checkpoint(world: World, tmp_path: Path, db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("a file copy is the backup on SQLite; PostgreSQL's restore is the same rows rolled back")
    path = Path(world.app.engine.url.database or "")
    first = run_to(world, "drafted")
    backup = tmp_path / "backup.db"
    src, dst = sqlite3.connect(path), sqlite3.connect(backup)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    world.clock.advance(hours=1)
    later = run_to(world, "drafted")
    cp = checkpoint(world, tmp_path)
    world.app.engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(backup, path)
    assert uc.verify_audit(world.svc, "auditor") == []
    found = checkpoints.verify_files(world.app, "auditor", [cp])
    assert any(f.startswith(f"{later}: deleted") for f in found), found
    assert not any(first in f for f in found), found
    assert any("counter was lowered" in f for f in found), found


def test_a_forged_checkpoint_is_refused(world: World, two: tuple[str, str, Path]) -> None:
    _, _, cp = two
    data = json.loads(cp.read_text())
    data["statement"]["cases"] = []
    cp.write_text(json.dumps(data))
    assert checkpoints.verify_files(world.app, "auditor", [cp]) == [
        "checkpoint cp.json: the signature does not verify with this server's checkpoint key"]


def _issued(cp: Path) -> str:
    return str(json.loads(cp.read_text())["statement"]["issued_at"])


def _tombstone(number: str) -> dict[str, Any]:
    at = datetime.fromisoformat("2020-01-02T03:04:05+00:00")
    return dict(number=number, batch="2025-001", applicant="SH", lead="JS", status="archived", outcome="defect",
                product_name="某产品", product_model="X1", opened_at=at, submitted_at=at, terminal_at=at,
                retention_until="2025-01-02", appraised_at=at, approver="某人", appraisal_note="到期",
                purged_at=at, purged_by="admin", events=3, materials=0, final_event_hash="f" * 64)
