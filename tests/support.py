"""What test modules import (a plain module on the path, unlike conftest.py, which pytest loads itself): the fake
clock, fresh databases (SQLite file, or PostgreSQL copied from a migrated template), the small world of people and
experts, and helpers that drive a case to a state. The fixtures built on these live in conftest.py.

Import it as `from support import World, run_to` (pyproject's `pythonpath = ["tests"]` puts tests/ on the path for
`pytest` and `python -m pytest`, from the repository root or from tests/)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from workflow.testing import FakeClock  # one fake clock for the fake and the real unit of work

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config.yaml"
EXAMPLES = ROOT / "examples"
PG_ADMIN_URL = os.environ.get("HUIZHEN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")




# --- PostgreSQL: one migrated template per test process (each xdist worker), one copy per test -------------------

_PG_PROBLEM: str | None | bool = False
_PG_TEMPLATE: str | None = None


def _pg_reachable() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except Exception as exc:  # any failure means: no server to test against
        return str(exc).strip().splitlines()[0]


def _pg_url(db: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{db}"


def _pg_exec(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def _pg_template() -> str:
    """One migrated database per test process; each test copies it (CREATE DATABASE ... TEMPLATE)."""
    global _PG_TEMPLATE
    if _PG_TEMPLATE is None:
        from storage.db import make_engine, migrate

        name = f"hz_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        _pg_exec(f'CREATE DATABASE "{name}"')
        engine = make_engine(_pg_url(name))
        migrate(engine)
        engine.dispose()
        _PG_TEMPLATE = name
    return _PG_TEMPLATE


def drop_pg_template() -> None:
    """Called once at the end of the session (conftest's pytest_sessionfinish)."""
    global _PG_TEMPLATE
    if _PG_TEMPLATE:
        try:
            _pg_exec(f'DROP DATABASE IF EXISTS "{_PG_TEMPLATE}" WITH (FORCE)')
        except Exception:  # the server went away: nothing left to clean
            pass
        _PG_TEMPLATE = None


def require_pg() -> None:
    global _PG_PROBLEM
    if _PG_PROBLEM is False:
        _PG_PROBLEM = _pg_reachable()
    if _PG_PROBLEM:
        message = f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {_PG_PROBLEM}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI=true: the PostgreSQL suite must run, not skip)")
        pytest.skip(message)


def fresh_database(kind: str, tmp_path: Path, prefix: str = "hz_t") -> Iterator[str]:
    """A fresh database of KIND; yields its URL. "sqlite": a file in tmp_path that does not exist yet (so the
    tests that run `huizhen init` on it still create it); "postgresql": a copy of the migrated template, dropped
    afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'huizhen.db'}"
        return
    require_pg()
    template = _pg_template()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    _pg_exec(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _pg_url(name)
    finally:
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- SQLite: one migrated file per test process, copied where a test's app would otherwise migrate ---------------

_SQLITE_TEMPLATE: Path | None = None


def _sqlite_template(base: Path) -> Path:
    """The newest schema, migrated once per test process into BASE (a session temporary folder)."""
    global _SQLITE_TEMPLATE
    if _SQLITE_TEMPLATE is None:
        from storage.db import make_engine, migrate

        path = base / "migrated.db"
        engine = make_engine(f"sqlite:///{path}")
        migrate(engine)
        engine.dispose()  # the last connection closes: WAL checkpointed into the file, nothing left beside it
        _SQLITE_TEMPLATE = path
    return _SQLITE_TEMPLATE


def premigrate(url: str, base: Path) -> None:
    """If URL is a SQLite file that does not exist yet, make it a copy of the migrated template, so that the app's
    `init()` finds the schema at head (one migration per process instead of one per test). The migrations
    themselves stay tested where a test runs `huizhen init` on a new file and in tests/upgrade."""
    if not url.startswith("sqlite:///"):
        return
    target = Path(url.removeprefix("sqlite:///"))
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_sqlite_template(base), target)


# --- the small world, and a case driven to a state ------------------------------------------------------------


@dataclass
class World:
    app: Any
    clock: FakeClock
    experts: list[str]

    @property
    def svc(self) -> Any:
        return self.app.services


def make_world(app: Any, clock: FakeClock) -> World:
    """admin, one liaison per institution (sh, js, zj, ah), an auditor, five experts with their users."""
    from workflow import usecases as uc

    svc = app.services
    uc.add_user(svc, None, "admin", "admin", bootstrap=True)
    for code in ("SH", "JS", "ZJ", "AH"):
        uc.add_user(svc, "admin", code.lower(), "liaison", code, email=f"{code.lower()}@example.org")
    uc.add_user(svc, "admin", "auditor", "auditor")
    ids = []
    for i, prov in enumerate(["SH", "JS", "ZJ", "AH", "SH"], start=1):
        ex = uc.add_expert(svc, "admin", f"专家{i}", "机械安全", f"单位{i}", "高级工程师", prov)
        uc.add_user(svc, "admin", f"x{i}", "expert", expert_id=ex.id, email=f"x{i}@example.org")
        ids.append(ex.id)
    return World(app, clock, ids)


def load_example(name: str) -> Any:
    return yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))


def opinion(defect: str = "yes", severity: int = 4, likelihood: int = 8, *, similar_recall: bool = False,
            public_opinion_risk: bool = False) -> dict[str, Any]:
    """An opinion file: `defect` picks the safety, cause and universality answers that derive that defect;
    severity × likelihood picks the matrix cell (4×8 investigate, 2×3 attention)."""
    safety = defect in ("yes", "uncertain")
    return {
        "standard_noncompliance": {"answer": safety, "detail": "不符合第5.3条" if safety else ""},
        "nonstandard_danger": {"answer": False, "detail": ""},
        "no_standard_danger": {"answer": False, "detail": ""},
        "injury_types": {"physical": "摔伤", "chemical": None, "biological": None},
        "severity": severity,
        "likelihood": likelihood,
        "producer_cause": {"design": safety, "manufacturing": False, "warning": False},
        "universality": defect,
        "similar_recall": {"answer": similar_recall, "detail": ""},
        "public_opinion_risk": {"answer": public_opinion_risk, "detail": ""},
    }


def run_to(world: World, target: str, *, panel: int = 3, opinions: list[dict[str, Any]] | None = None) -> str:
    """Drive a fresh case (SH applies; JS leads in 2026) to a target state; returns its number."""
    from workflow import usecases as uc

    svc, clk = world.svc, world.clock
    clk.set("2026-09-24T10:00:00+08:00")
    case = uc.new_case(svc, "sh", load_example("case.yaml")).number
    if target == "drafted":
        return case
    clk.advance(minutes=5)
    uc.verify(svc, "sh", case, "核实无误")  # Art. 7: before the application
    uc.submit(svc, "sh", case)
    if target == "preliminary_review":
        return case
    clk.advance(minutes=5)
    uc.form_panel(svc, "sh", case, world.experts[:panel])
    uc.attach(svc, "sh", case, "report.txt", b"test report", "test_report")
    clk.set("2026-09-29T10:00:00+08:00")
    uc.dispatch(svc, "sh", case)
    if target == "awaiting_experts":
        return case
    for i, e in enumerate(world.experts[:panel], start=1):
        clk.advance(minutes=1)
        uc.record_analysis(svc, f"x{i}", case, e, "分析意见")
    clk.set("2026-10-09T09:00:00+08:00")
    uc.refer(svc, "sh", case)
    # Art. 5 / 8(4): convening needs a scheduled online meeting.
    clk.set("2026-10-09T10:00:00+08:00")
    uc.schedule_meeting(svc, "js", case, datetime.fromisoformat("2026-10-14T14:00:00+08:00"), "腾讯会议")
    if target == "convening":
        return case
    clk.set("2026-10-14T14:00:00+08:00")
    uc.convene(svc, "js", case)
    if target == "convened":
        return case
    ops = opinions or [opinion()] * panel
    for i, (e, op) in enumerate(zip(world.experts[:panel], ops, strict=False), start=1):
        clk.advance(minutes=1)
        uc.record_opinion(svc, f"x{i}", case, e, op)
    clk.advance(minutes=10)
    uc.decide(svc, "js", case)
    if target in ("decided", "continued_attention"):
        return case
    clk.advance(hours=1)
    uc.issue_minutes(svc, "js", case)
    if target == "minutes":
        return case
    clk.advance(hours=1)
    uc.archive(svc, "js", case)
    return case
