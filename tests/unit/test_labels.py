"""Words belong to the shell: every error key raised below it has a Chinese sentence, each kind of refusal has one
exit code and one HTTP status, and the CLI and the web render the same error in their own words."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from huizhen import labels
from huizhen.cli.render import cli_message, command_words, flag
from huizhen.errors import KINDS, exit_code, http_status, json_error, web_message
from states.errors import Conflict, DomainError, GuardFailed, InvalidInput, InvalidTransition
from workflow.errors import NotFound, NotPermitted

ROOT = Path(__file__).resolve().parents[2]
ROOMS = ("states", "workflow", "scheduler", "storage")


def _key_params(tree: ast.AST) -> dict[str, int]:
    """Functions of a module that raise with the `key` they are given (helpers like `_required(..., key)`), with
    the position of that parameter."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names = [a.arg for a in node.args.posonlyargs + node.args.args]
            passes_it_on = any(isinstance(n, ast.Raise) and isinstance(n.exc, ast.Call)
                               and any(kw.arg == "key" and isinstance(kw.value, ast.Name) and kw.value.id == "key"
                                       for kw in n.exc.keywords)
                               for n in ast.walk(node))
            if "key" in names and passes_it_on:
                found[node.name] = names.index("key")
    return found


def error_keys(room: str) -> dict[str, str]:
    """Each error key given as a literal below the shell: `key="..."` in any call, or the `key` argument of a
    helper that takes one; with where it is."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / room).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        helpers = _key_params(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            values = [kw.value for kw in node.keywords if kw.arg == "key"]
            callee = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if callee in helpers and len(node.args) > helpers[callee]:
                values.append(node.args[helpers[callee]])
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    found.setdefault(value.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


@pytest.mark.parametrize("room", ROOMS)
def test_every_error_key_below_the_shell_has_a_chinese_sentence(room: str) -> None:
    missing = {key: where for key, where in error_keys(room).items() if not labels.has_sentence(key, "zh-CN")}
    assert not missing, f"error keys of {room}/ without a zh-CN sentence in huizhen/labels.py: {missing}"


def test_sentences_fill_their_parameters_and_lists_read_in_chinese() -> None:
    assert labels.t("user_unknown", name="x") == "用户 x 不存在（用户由管理员添加）"
    assert "E0001、E0002" in labels.t("experts_unaccounted", experts=["E0001", "E0002"], number="C-1")
    with pytest.raises(KeyError):
        labels.t("user_unknown")  # a missing parameter is the caller's to handle


def test_every_locale_has_the_same_kinds_of_words() -> None:
    kinds = {frozenset(words) for words in labels.LABELS.values()}
    assert len(kinds) == 1 and set(labels.ERRORS) == set(labels.LABELS)


@pytest.mark.parametrize(("exc", "code", "status"), [
    (InvalidInput("x"), 2, 400), (NotPermitted("x"), 3, 403), (NotFound("x"), 4, 404),
    (GuardFailed("x"), 5, 409), (InvalidTransition("x"), 5, 409), (Conflict("x"), 6, 409),
])
def test_each_kind_has_one_exit_code_and_one_http_status(exc: DomainError, code: int, status: int) -> None:
    assert (exit_code(exc), http_status(exc)) == (code, status)
    assert KINDS[exc.code].exit_code == code


def test_the_cli_names_the_flag_and_the_command_that_helps() -> None:
    e = InvalidInput("the preliminary verification must say something", key="note_empty", field="note")
    assert cli_message(e, ("case", "verify")) == "--note: the preliminary verification must say something"
    g = GuardFailed("C-1: the preliminary verification is not recorded yet", key="verification_missing",
                    number="C-1")
    assert cli_message(g) == "C-1: the preliminary verification is not recorded yet (huizhen case verify)"
    assert cli_message(NotPermitted("no actor", key="actor_missing")) == "HUIZHEN_USER is not set: say who is acting"
    assert flag("experts") == "EXPERT_ID" and flag("paid_on") == "--paid-on" and flag("name") == "NAME"
    assert flag("product.name") == "product.name" and flag("sources", ("case", "new")) == "sources"
    assert flag("year", ("report", "year")) == "YEAR" and flag("year", ("fee", "statement")) == "--year"
    assert command_words(["case", "panel", "C-1", "E1", "--reason", "x"]) == ("case", "panel")
    old = InvalidInput("--note: the tracking note is empty")  # raised before its room spoke neutrally
    assert cli_message(old) == "--note: the tracking note is empty"


def test_the_web_says_it_in_chinese_with_the_fields_label_and_never_a_flag() -> None:
    e = InvalidInput("must not be empty", key="text_empty", field="note")
    assert web_message(e) == "输入有误（核实意见/说明）：不能为空"
    body = json_error(GuardFailed("C-1: analyses missing", key="analyses_missing_reason_needed", number="C-1",
                                  experts=["E1", "E2"], field="reason"))
    assert body["status"] == 409 and body["code"] == "guard_failed"
    assert body["key"] == "analyses_missing_reason_needed"
    assert body["field"] == "reason" and body["params"] == {"number": "C-1", "experts": ["E1", "E2"]}
    assert "--" not in body["message"] and "E1、E2" in body["message"] and "理由" in body["message"]
    old = InvalidInput("--note: the tracking note is empty")
    assert "--note" not in web_message(old)


def test_an_error_not_yet_neutral_still_reads_without_its_flag() -> None:
    assert web_message(InvalidInput("--note: the tracking note is empty")) == \
        "输入有误（核实意见/说明）：the tracking note is empty"
    assert web_message(InvalidInput("EXPERT_ID: expert E9 does not exist")).startswith("输入有误（专家）：")
    assert json_error(InvalidInput("--paid-on: in the future"))["field"] == "paid_on"


def test_codes_in_parameters_read_in_words() -> None:
    e = InvalidTransition("C-1: cannot convene a case that is preliminary_review", key="wrong_state", number="C-1",
                          command="convene", status="preliminary_review")
    assert web_message(e) == "案件当前状态下不能执行此操作：案件 C-1 当前为“初步核实”状态，不能执行此操作"
