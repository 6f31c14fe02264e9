"""A refusal never names the panel's members (issue 15): an expert not on a panel learnt who was on it from the
message. No database: the domain's own refusal, and every place that says "not on the panel"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from states.case import Case
from states.casecommands import _panel_member
from states.errors import DomainError

ROOT = Path(__file__).resolve().parents[2]


def test_the_not_on_the_panel_refusal_names_no_member() -> None:
    case = Case(number="YRD-2026-0001")
    case.panel = ["E0001", "E0002", "E0003"]
    with pytest.raises(DomainError) as exc:
        _panel_member(case, "E0009")
    text = f"{exc.value} {exc.value.params if hasattr(exc.value, 'params') else ''}"
    assert not any(m in text for m in case.panel), text
    assert "E0009" in text


def test_no_not_on_the_panel_message_lists_the_panel() -> None:
    for folder in ("states", "workflow"):
        for path in (ROOT / folder).rglob("*.py"):
            src = path.read_text(encoding="utf-8")
            for m in re.finditer(r"not on the panel[^\n]*\n[^\n]*\n?[^\n]*", src):
                assert "case.panel" not in m.group(0), (path, m.group(0))
