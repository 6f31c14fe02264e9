"""Experts' fees (Art. 10) over SQLite and PostgreSQL: only the applicant's liaison enters them, for a panel expert,
as a positive amount in CNY with at most two decimals; each is an event in the history; a refusal writes nothing;
the per-institution, per-year statement as CSV and XLSX, read back."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import World, run_to
from sqlalchemy import select

from states.errors import DomainError, GuardFailed, InvalidInput, InvalidTransition
from storage import tables as t
from workflow import accounts
from workflow import usecases as uc
from workflow.errors import NotPermitted


def events(world: World) -> int:
    with world.app.engine.connect() as conn:
        return len(conn.execute(select(t.events.c.id)).all())


@pytest.fixture
def case(world: World) -> str:
    n = run_to(world, "decided")
    world.clock.set("2026-10-15T10:00:00+08:00")
    return n


def test_the_applicant_records_a_fee_in_the_history(world: World, case: str) -> None:
    svc, e1 = world.svc, world.experts[0]
    c = accounts.record_fee(svc, "sh", case, e1, "1500.00", "2026-10-15")
    assert c.fees[e1] == {"amount": "1500.00", "currency": "CNY", "paid_on": "2026-10-15", "payer": "SH",
                          "recorded_by": "sh", "recorded_at": "2026-10-15T02:00:00+00:00"}
    last = uc.history(svc, "auditor", case)[-1]
    assert (last["type"], last["payload"]) == ("FeeRecorded", {"expert": e1, "amount": "1500.00", "currency": "CNY",
                                                               "paid_on": "2026-10-15", "payer": "SH"})
    # by the expert's name, an amount without decimals
    accounts.record_fee(svc, "sh", case, "专家2", "800")
    rows = accounts.list_fees(svc, "js", case)
    assert [(r["expert"], r["expert_name"], r["amount"], r["status"]) for r in rows] == [
        (e1, "专家1", "1500.00", "paid"), (world.experts[1], "专家2", "800.00", "unpaid")]
    assert [r["expert"] for r in accounts.list_fees(svc, "x2", case)] == [world.experts[1]]  # an expert: own fee
    world.clock.advance(days=1)
    c = accounts.correct_fee(svc, "sh", case, world.experts[1], "按合同金额更正", amount="850.50", paid_on="2026-10-16")
    fee = c.fees[world.experts[1]]
    assert (fee["amount"], fee["paid_on"], fee["correction_reason"]) == ("850.50", "2026-10-16", "按合同金额更正")
    assert uc.history(svc, "auditor", case)[-1]["payload"]["reason"] == "按合同金额更正"
    assert uc.verify_audit(svc, "auditor") == []


@pytest.mark.parametrize(("who", "why"), [("js", "applicant"), ("zj", "applicant"), ("x1", "not record fee"),
                                          ("auditor", "not record fee"), ("admin", "not record fee")])
def test_only_the_applicants_liaison_may_enter_fees(world: World, case: str, who: str, why: str) -> None:
    before = events(world)
    with pytest.raises(NotPermitted, match=why):
        accounts.record_fee(world.svc, who, case, world.experts[0], "1500.00")
    assert events(world) == before


def field_of(exc: DomainError) -> str | None:
    """The input an error is about. Messages from states/ that still start with a CLI flag (`--amount: ...`,
    before that room names its fields) are read the same way."""
    if exc.field:
        return exc.field
    old = re.match(r"^--([a-z-]+)(?:/--[a-z-]+)?: ", exc.message)
    return old.group(1).replace("-", "_") if old else None


@pytest.mark.parametrize(("amount", "paid_on", "expert", "field", "says"), [
    ("-100", None, 0, "amount", "more than 0"),
    ("0", None, 0, "amount", "more than 0"),
    ("1500.005", None, 0, "amount", "more than 2 decimal places"),
    ("abc", None, 0, "amount", "not an amount"),
    ("1,500", None, 0, "amount", "not an amount"),
    ("1e3", None, 0, "amount", "not an amount"),
    ("", None, 0, "amount", "not an amount"),
    ("100000.01", None, 0, "amount", "limit"),
    ("1500", "2026-13-01", 0, "paid_on", "not a date"),
    ("1500", "2026-10-16", 0, "paid_on", "in the future"),
    ("1500", None, 4, "expert", "not on the panel"),  # E0005 exists but is not on this panel
    ("1500", None, None, "expert", "not on the panel"),
])
def test_bad_input_is_refused_naming_the_field(world: World, case: str, amount: str, paid_on: str | None,
                                               expert: int | None, field: str, says: str) -> None:
    before = events(world)
    who = world.experts[expert] if expert is not None else "无名氏"
    with pytest.raises(InvalidInput, match=says) as refused:
        accounts.record_fee(world.svc, "sh", case, who, amount, paid_on)
    assert field_of(refused.value) == field
    assert events(world) == before


def test_fees_exist_once_the_panel_has_the_materials(world: World) -> None:
    svc = world.svc
    draft = run_to(world, "preliminary_review")
    with pytest.raises(InvalidTransition, match="cannot record fee a case that is preliminary_review"):
        accounts.record_fee(svc, "sh", draft, world.experts[0], "1500")
    n = run_to(world, "awaiting_experts")
    accounts.record_fee(svc, "sh", n, world.experts[0], "1500")
    with pytest.raises(GuardFailed, match="already recorded"):
        accounts.record_fee(svc, "sh", n, world.experts[0], "1600")
    with pytest.raises(GuardFailed, match="no fee of"):
        accounts.correct_fee(svc, "sh", n, world.experts[1], "更正", amount="1")
    with pytest.raises(InvalidInput) as refused:
        accounts.correct_fee(svc, "sh", n, world.experts[0], " ", amount="1")
    assert field_of(refused.value) == "reason"
    with pytest.raises(InvalidInput) as refused:
        accounts.correct_fee(svc, "sh", n, world.experts[0], "更正")
    assert field_of(refused.value) in ("amount", "paid_on")
    world.clock.advance(hours=1)
    uc.withdraw(svc, "sh", n, "撤回")
    accounts.record_fee(svc, "sh", n, world.experts[1], "300")  # the analysis was work: still owed
    # a case withdrawn before the dispatch never had the panel at work
    early = run_to(world, "preliminary_review")
    world.clock.advance(hours=1)
    uc.withdraw(svc, "sh", early, "撤回")
    with pytest.raises(GuardFailed, match="never went to the panel"):
        accounts.record_fee(svc, "sh", early, world.experts[0], "300")


def test_the_yearly_statement_csv_and_xlsx(world: World, case: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from huizhen.yearly_render import STATEMENT_COLUMNS, write_statement

    svc, ex = world.svc, world.experts
    accounts.record_fee(svc, "sh", case, ex[0], "1500.00", "2026-10-15")
    accounts.record_fee(svc, "sh", case, ex[1], "1200.50")
    accounts.record_fee(svc, "sh", case, ex[2], "999.99", "2026-10-15")
    with pytest.raises(NotPermitted, match="SH only"):
        accounts.fee_statement(svc, "sh", "JS", 2026)
    with pytest.raises(InvalidInput) as refused:
        accounts.fee_statement(svc, "admin", "XX", 2026)
    assert (refused.value.key, refused.value.field) == ("institution_unknown", "institution")
    assert accounts.fee_statement(svc, "sh", "SH", 2025).rows == []
    assert accounts.fee_statement(svc, "auditor", "JS", 2026).rows == []
    st = accounts.fee_statement(svc, "sh", "sh", 2026).to_dict()
    assert st["totals"] == {"fees": 3, "total": "3700.49", "paid": "2499.99", "unpaid": "1200.50", "currency": "CNY"}
    files = write_statement(st, tmp_path)
    assert Path(files["csv"]).name == "fees-SH-2026.csv" and Path(files["xlsx"]).name == "fees-SH-2026.xlsx"

    rows = list(csv.DictReader(io.StringIO(Path(files["csv"]).read_text(encoding="utf-8-sig"))))
    assert list(rows[0]) == list(STATEMENT_COLUMNS)
    assert [(r["case"], r["expert"], r["expert_name"], r["amount"], r["paid_on"], r["status"]) for r in rows] == [
        (case, ex[0], "专家1", "1500.00", "2026-10-15", "paid"),
        (case, ex[1], "专家2", "1200.50", "", "unpaid"),
        (case, ex[2], "专家3", "999.99", "2026-10-15", "paid"),
    ]
    assert not any("bank" in c or "account" in c for c in rows[0])  # no bank details, ever

    ws = load_workbook(files["xlsx"]).active
    assert ws is not None
    values: list[tuple[Any, ...]] = [tuple(r) for r in ws.iter_rows(values_only=True)]
    assert "2026年度专家费用明细" in values[0][0] and "SH" in values[0][0]
    assert values[1][:6] == ("案件编号", "产品名称", "牵头机构", "专家编号", "专家姓名", "金额")
    assert values[2] == tuple(STATEMENT_COLUMNS)
    data = values[3:6]
    assert [(r[0], r[3], r[5], r[7], r[8]) for r in data] == [
        (case, ex[0], 1500.0, "2026-10-15", "已支付"), (case, ex[1], 1200.5, None, "未支付"),
        (case, ex[2], 999.99, "2026-10-15", "已支付")]
    totals = {r[0]: r[5] for r in values[6:] if r and r[0]}
    assert totals == {"合计 total": 3700.49, "已支付 paid": 2499.99, "未支付 unpaid": 1200.5}
