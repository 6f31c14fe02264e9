"""A CR or LF in a one-line field of a case file (product name, model, brand, producer) is refused naming the field:
those go into mail subjects, and a line break there broke every later mail about the case (issue 15)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from states.casefile import ONE_LINE_FIELDS, parse_case_file
from states.errors import InvalidInput

EXAMPLE = yaml.safe_load((Path(__file__).resolve().parents[2] / "examples" / "case.yaml").read_text(encoding="utf-8"))
MEMBERS = ("SH", "JS", "ZJ", "AH")


def _with(key: str, value: str) -> dict[str, Any]:
    data = {**EXAMPLE, "product": {**EXAMPLE["product"], key: value}}
    return data


@pytest.mark.parametrize("key", ONE_LINE_FIELDS)
@pytest.mark.parametrize("brk", ["\r\n", "\n", "\r"])
def test_line_break_refused_naming_the_field(key: str, brk: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_case_file(_with(key, f"甲{brk}Bcc: evil@example.org"), MEMBERS)
    assert exc.value.field == f"product.{key}"


def test_the_example_still_parses() -> None:
    assert parse_case_file(EXAMPLE, MEMBERS)["product"]["name"] == EXAMPLE["product"]["name"]


@given(st.text(max_size=40))
def test_any_name_either_parses_as_one_line_or_is_refused(text: str) -> None:
    try:
        product = parse_case_file(_with("name", text), MEMBERS)["product"]
    except InvalidInput:
        return
    assert "\r" not in product["name"] and "\n" not in product["name"]
