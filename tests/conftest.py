"""The shared fixtures (a fake clock, a fresh database per test, the app, a small world), the hypothesis profiles,
and the rule that tests/unit needs no database. What test modules import lives in support.py.

The storage-facing suites run over both backends: `db_url` is parametrised over SQLite and PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Re-exported for the test modules that still say `from conftest import ...`; new code imports from support.
from support import (  # noqa: F401
    CONFIG,
    EXAMPLES,
    PG_ADMIN_URL,
    ROOT,
    FakeClock,
    World,
    drop_pg_template,
    fresh_database,
    load_example,
    make_world,
    opinion,
    premigrate,
    require_pg,
    run_to,
)

# --- hypothesis ---------------------------------------------------------------------------------------------------
# deadline=None in both: the machine is 2 cores shared by several people, so a single slow example is load, not a
# bug. A test that states its own max_examples keeps it (that number is what the test proves); the profile sets
# the number for the others. HYPOTHESIS_PROFILE picks one; CI=true picks "ci", anything else "dev".
settings.register_profile(
    "ci",
    deadline=None,
    max_examples=100,  # hypothesis' own default: the full search on every CI run
    print_blob=True,  # a failure prints the blob that replays it with @reproduce_failure
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    deadline=None,
    max_examples=50,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


# --- tests/unit needs no database ---------------------------------------------------------------------------------

UNIT_DIR = Path(__file__).resolve().parent / "unit"
DB_FIXTURES = frozenset({"db_url", "app", "world", "site"})


def _is_unit(item: pytest.Item) -> bool:
    return UNIT_DIR in Path(str(item.path)).resolve().parents


# The long subprocess and browser walks run first, so that under xdist no worker is left with one of them at the
# end while the other idles. A stable sort: the order within each group stays the collection order, and every
# worker computes the same order (xdist requires it).
LONG_FIRST = ("browser", "e2e")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _is_unit(item):
            item.add_marker(pytest.mark.unit)
    items.sort(key=lambda item: 0 if any(item.get_closest_marker(m) for m in LONG_FIRST) else 1)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("unit") is None:
        return
    wanted = DB_FIXTURES.intersection(getattr(item, "fixturenames", ()))
    if wanted:
        pytest.fail(f"tests/unit needs no database, but this test requests {', '.join(sorted(wanted))}: "
                    "move it to tests/integration", pytrace=False)


def _refuse(what: str) -> Callable[..., Any]:
    def refused(*args: Any, **kwargs: Any) -> Any:
        target = f" {args[0]}" if args else ""
        pytest.fail(f"tests/unit needs no database, but this test opened one ({what}{target}): move it to "
                    "tests/integration", pytrace=False)

    return refused


@pytest.fixture(autouse=True)
def _unit_tests_open_no_database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under tests/unit every database driver's connect fails the test (pytest.fail is a BaseException, so no
    `except Exception` in the code under test hides it)."""
    if request.node.get_closest_marker("unit") is None:
        return
    import psycopg

    monkeypatch.setattr(sqlite3, "connect", _refuse("sqlite3.connect"))
    monkeypatch.setattr(sqlite3.dbapi2, "connect", _refuse("sqlite3.connect"))
    monkeypatch.setattr(psycopg, "connect", _refuse("psycopg.connect"))
    monkeypatch.setattr(psycopg.Connection, "connect", classmethod(_refuse("psycopg.connect")))


# --- databases, the app, the world --------------------------------------------------------------------------------


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    drop_pg_template()


@pytest.fixture(scope="session")
def sqlite_template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where this test process keeps its one migrated SQLite file (each xdist worker has its own base temp)."""
    return tmp_path_factory.mktemp("sqlite-template")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_database(request.param, tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def signing_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("signing")


@pytest.fixture
def app(db_url: str, clock: FakeClock, sqlite_template_dir: Path, tmp_path: Path,
        signing_dir: Path) -> Iterator[Any]:
    from huizhen import signing
    from huizhen.bootstrap import bootstrap

    premigrate(db_url, sqlite_template_dir)
    a = bootstrap(CONFIG, clock=clock, database_url=db_url)
    # Each test keeps its checkpoints in a folder of its own (not the shared var/ beside the config); the papers'
    # keys are made once per run, in a folder of the run's own.
    audit = a.settings.audit.model_copy(update={"checkpoint_dir": tmp_path / "checkpoints",
                                                "signing_dir": signing_dir})
    a.settings = a.settings.model_copy(update={"audit": audit})
    signing.configure(a.settings)
    a.init()
    yield a
    a.engine.dispose()


@pytest.fixture
def world(app: Any, clock: FakeClock) -> World:
    """admin, one liaison per institution (sh, js, zj, ah), an auditor, five experts with their users."""
    return make_world(app, clock)
