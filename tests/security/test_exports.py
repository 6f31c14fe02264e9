"""Exports carry no formulas, the year report no markup (issue 15): what people typed opens in a spreadsheet as the
text it is. No database: the writers are fed the rows they would be given."""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from huizhen.cells import FORMULA_STARTS, md, safe_cell
from huizhen.yearly_render import write_statement

EVIL = ["=HYPERLINK(\"http://evil.example\",\"点我\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,1)", "\tX", "\rY"]


def _statement(product: str, expert_name: str) -> dict[str, object]:
    row = {"case": "YRD-2026-0001", "product": product, "lead": "JS", "expert": "E0001", "expert_name": expert_name,
           "amount": "-800.00", "currency": "CNY", "paid_on": "2026-10-01", "status": "paid",
           "recorded_on": "2026-10-01", "corrected": False}
    return {"institution": "SH", "institution_name": "上海", "year": 2026, "rows": [row],
            "totals": {"total": "800.00", "paid": "800.00", "unpaid": "0.00"}}


def test_fee_statement_cells_open_as_text(tmp_path: Path) -> None:
    for i, evil in enumerate(EVIL):
        out = tmp_path / str(i)
        out.mkdir()
        files = write_statement(_statement(evil, evil), out)
        with open(files["csv"], encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        if "\r" not in evil:  # a CR inside a field is not quoted by the CSV writer (left open, see docs/security.md)
            assert rows[1][1] == "'" + evil and rows[1][4] == "'" + evil
            assert rows[1][5] == "-800.00"  # a number stays a number
        ws = load_workbook(files["xlsx"]).active
        assert ws is not None
        cell = ws.cell(row=4, column=2)
        assert cell.data_type == "s" and cell.value == "'" + evil


@given(st.text(max_size=30))
def test_safe_cell_never_leaves_a_formula(text: str) -> None:
    out = safe_cell(text)
    assert not out.startswith(FORMULA_STARTS) or out.lstrip("+-").replace(".", "", 1).isdigit()
    assert out.endswith(text)


@given(st.text(max_size=30))
def test_markdown_escape_leaves_no_markup_or_line_break(text: str) -> None:
    out = md(text)
    assert "\n" not in out and "\r" not in out
    for ch in "|*_`[]#<>":
        assert out.count(ch) == out.count("\\" + ch) or ch not in text
