"""The databases of earlier releases still verify when today's rules are tightened (events are facts).

Each fixture in tests/fixtures/releases is copied and upgraded (`init`: the migrations), then `audit verify` — the
use case behind `huizhen audit verify` — runs with the panel minimum raised from 3 to 5 and the product section
demanding a field no old case has. Every stored case must replay to its stored snapshot: no finding at all.
In process (no subprocess per command), so the rules can be monkeypatched.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from huizhen.bootstrap import bootstrap
from states import guards
from states.aggregate import Case
from states.errors import GuardFailed
from states.guards import Attempt
from workflow import usecases as uc

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "releases"
AUDITORS = {"cli-demo-v1.db": "审计员", "web-demo-v1.db": "auditor", "web-demo-purged-v1.db": "auditor"}


def _tighten(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guards, "PANEL_MINIMUM", 5)
    complete = guards.GUARDS["product_complete"]

    def with_batch(case: Case, attempt: Attempt) -> None:
        complete(case, attempt)
        if not case.product.get("batch"):
            raise GuardFailed(f"{case.number}: product.batch missing", key="product_incomplete",
                              field="product.batch")

    monkeypatch.setitem(guards.GUARDS, "product_complete", with_batch)


@pytest.mark.parametrize("fixture", sorted(AUDITORS))
def test_release_database_verifies_under_tightened_rules(fixture: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / fixture
    shutil.copyfile(FIXTURES / fixture, db)
    app = bootstrap(ROOT / "config.yaml", database_url=f"sqlite:///{db}")
    try:
        app.init()
        svc = app.services
        with svc.uow(readonly=True) as uow:
            numbers = uow.cases.numbers()
            panels = [len((uow.cases.snapshot(n) or {}).get("panel") or []) for n in numbers]
        assert numbers, "the fixture holds cases"
        assert any(0 < size < 5 for size in panels), "some old case has a panel the tightened rule refuses"
        _tighten(monkeypatch)
        assert uc.verify_audit(svc, AUDITORS[fixture]) == []
    finally:
        app.engine.dispose()
