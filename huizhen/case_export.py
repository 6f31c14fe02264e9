"""The export of a filtered case list (issue 14 item 3) as CSV (UTF-8 with BOM, for spreadsheet programs) and
XLSX: the columns of workflow.finding.EXPORT_COLUMNS under their Chinese headings, codes in words, instants in
Beijing time, and every cell made formula-safe (huizhen.cells). One writer for the page, the API and the CLI."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from huizhen.cells import safe_cell
from huizhen.labels import CASE_COLUMNS, DEADLINE_LABELS, STATUS_LABELS, beijing_text
from workflow.finding import EXPORT_COLUMNS

FORMATS = ("csv", "xlsx")
MIME = {"csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _cell(key: str, value: Any) -> Any:
    if key == "status":
        value = STATUS_LABELS.get(value, value)
    elif key == "next_kind":
        value = DEADLINE_LABELS.get(value, value) if value else ""
    elif key in ("created_at", "updated_at") and value:
        value = beijing_text(datetime.fromisoformat(str(value)))
    return safe_cell("" if value is None else value)


def table(rows: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    """The heading row and one row a case, safe."""
    keys = [k for k, _ in EXPORT_COLUMNS]
    return [[CASE_COLUMNS.get(k, k) for k in keys]] + [[_cell(k, r.get(k)) for k in keys] for r in rows]


def csv_bytes(rows: Sequence[Mapping[str, Any]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(table(rows))
    return buf.getvalue().encode("utf-8-sig")


def xlsx_bytes(rows: Sequence[Mapping[str, Any]]) -> bytes:
    from openpyxl import Workbook  # only the export needs it

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "案件列表"
    for line in table(rows):
        ws.append(line)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_bytes(fmt: str, rows: Sequence[Mapping[str, Any]]) -> bytes:
    return csv_bytes(rows) if fmt == "csv" else xlsx_bytes(rows)


def filename(fmt: str, now: datetime) -> str:
    return f"cases-{now.strftime('%Y%m%d-%H%M')}.{fmt}"
