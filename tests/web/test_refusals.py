# ruff: noqa: F811  (the fixtures come from websupport and are used as arguments)
"""Every form that can refuse says why in Chinese, naming the field or the step (issue 13, Done when 2): an
incomplete draft, a referral without the analyses and without a reason, a decision before the 会诊表 are in, an
archive before the minutes. Nothing is half-written: the case keeps its version."""

from __future__ import annotations

import re

from conftest import load_example, run_to
from websupport import Site, error_text, site  # noqa: F401  (fixtures)

from workflow import usecases as uc

LATIN_WORD = re.compile(r"[A-Za-z]*[a-z][A-Za-z]*")


def _refused(site: Site, who: str, number: str, command: str, data: dict[str, str] | None = None) -> str:
    before = site.version(number)
    resp = site.post(who, f"/cases/{number}/act/{command}", data or {})
    assert resp.status_code in (400, 409, 422), resp.status_code
    text = error_text(resp.text)
    assert text, "the page shows no refusal"
    assert not LATIN_WORD.findall(text.replace(number, "")), f"English in the refusal: {text}"
    assert "--" not in text and "huizhen" not in text  # no CLI flag or command
    assert site.version(number) == before  # nothing half-written
    return text


def test_an_incomplete_draft_names_the_missing_fields(site: Site) -> None:
    data = load_example("case.yaml")
    data["product"] = {**data["product"], "name": "", "producer": ""}
    n = uc.new_case(site.svc, "sh", data).number
    text = _refused(site, "sh", n, "submit")
    assert "产品名称" in text and "生产者" in text


def test_a_referral_without_analyses_and_without_a_reason_names_the_reason(site: Site) -> None:
    n = run_to(site.world, "awaiting_experts")
    text = _refused(site, "sh", n, "refer")
    assert "理由" in text and "初步分析" in text


def test_a_decision_before_the_forms_are_in_names_the_forms(site: Site) -> None:
    n = run_to(site.world, "convened")
    text = _refused(site, "js", n, "decide")
    assert "会诊表" in text


def test_an_archive_before_the_minutes_names_the_minutes(site: Site) -> None:
    n = run_to(site.world, "decided")
    text = _refused(site, "js", n, "archive")
    assert "纪要" in text
