"""Bad bytes in the CLI's YAML input (issue 15): invalid UTF-8, a NUL, a lone surrogate (a YAML escape) anywhere in
case.yaml or a form are refused in one Chinese line naming the file and the field, with the exit code of invalid
input, before anything is written; people's names (experts) are one line, as the product's fields. Property tests
(hypothesis) over the parser: any bytes either parse to clean text or are refused as invalid input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import World
from hypothesis import given
from hypothesis import strategies as st

from huizhen.cli.common import bad_text_at, parse_yaml
from states.errors import InvalidInput
from workflow import usecases as uc

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / "examples" / "case.yaml").read_bytes()
HZ = str(Path(sys.executable).with_name("huizhen"))


def _clean(data: object) -> bool:
    return bad_text_at(data) is None


@pytest.mark.parametrize(("raw", "words"), [
    (EXAMPLE.replace("儿童".encode(), b"\xff\xfe", 1), "无效的 UTF-8"),
    (EXAMPLE.replace("儿童".encode(), b"\x00", 1), "空字符"),
    (EXAMPLE.replace(b"name:", b'name: "\\ud800"\n  x_name:', 1), "product.name"),
    (EXAMPLE.replace(b"name:", b'name: "a\\0b"\n  x_name:', 1), "product.name"),
])
def test_a_case_file_with_bad_bytes_is_refused_naming_the_place(raw: bytes, words: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_yaml(raw, "case.yaml", "FILE")
    assert words in exc.value.message and "case.yaml" in exc.value.message and "未作任何更改" in exc.value.message


def test_the_example_parses() -> None:
    assert parse_yaml(EXAMPLE, "case.yaml", "FILE")["product"]["name"]


@given(st.binary(max_size=200))
def test_any_bytes_parse_clean_or_are_refused_as_invalid_input(raw: bytes) -> None:
    try:
        data = parse_yaml(raw, "x.yaml", "FILE")
    except InvalidInput:
        return
    assert _clean(data)


@given(st.text(max_size=60))
def test_any_text_in_a_value_parses_clean_or_is_refused(text: str) -> None:
    escaped = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace") if text else text
    doc = "product:\n  name: " + '"' + "".join(f"\\u{ord(c):04x}" if ord(c) < 0x10000 else c for c in escaped) \
        + '"\n'
    try:
        data = parse_yaml(doc.encode("utf-8"), "x.yaml", "FILE")
    except InvalidInput:
        return
    assert _clean(data)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("brk", ["\r\n", "\n", "\r", "\x00"])
@pytest.mark.parametrize("field", ["name", "field", "employer", "title"])
def test_an_expert_name_with_a_line_break_is_refused_naming_the_field(world: World, field: str, brk: str) -> None:
    values = {"name": "张工", "field_": "机械", "employer": "某院", "title": "高工"}
    values["field_" if field == "field" else field] = f"甲{brk}Bcc: x@example.org"
    before = len(uc.list_experts(world.svc, "admin"))
    with pytest.raises(InvalidInput) as exc:
        uc.add_expert(world.svc, "admin", province="SH", **values)
    assert exc.value.field == field and exc.value.key == "not_one_line"
    assert len(uc.list_experts(world.svc, "admin")) == before


@pytest.mark.e2e
def test_the_command_line_refuses_in_one_chinese_line_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "case.yaml"
    bad.write_bytes(EXAMPLE.replace("儿童".encode(), b"\xc3\x28", 1))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUIZHEN_")}
    env.update(HUIZHEN_CONFIG=str(tmp_path / "nowhere.yaml"))
    r = subprocess.run([HZ, "form", "check", str(bad)], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2, r.stderr
    (line,) = r.stderr.strip().splitlines()
    assert "case.yaml" in line and "无效的 UTF-8" in line and "未作任何更改" in line
