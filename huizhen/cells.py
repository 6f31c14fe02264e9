"""What people typed, made safe for the files they download (issue 15): one helper for every CSV and XLSX writer
(a cell that starts with =, +, -, @, a tab or a CR would be read as a formula by a spreadsheet program: it gets a
leading apostrophe and is shown as the text it is), and one for Markdown (the year report's tables and lines)."""

from __future__ import annotations

import re
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>#!|~])")  # inside a table cell: inline markup, links, HTML, the cell bar


def safe_cell(value: Any) -> Any:
    """VALUE as a spreadsheet should show it: text that a spreadsheet would evaluate gets a leading apostrophe; a
    plain number written as text (-12.50) and every non-text value stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def md(value: Any) -> str:
    """A value as literal Markdown text on one line: markup characters escaped, line breaks made spaces."""
    text = "" if value is None else str(value)
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return _MARKDOWN.sub(r"\\\1", text)
