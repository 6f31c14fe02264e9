"""Words belong to the shell: no error below it names a CLI flag, a command or an environment variable.

Every DomainError built in states/ is found in the source (a raise, or an error returned for a caller to raise) and
must carry a `key` (the sentence's id, for the shell's labels) and a message free of `--flag`, `huizhen ...` and
`HUIZHEN_...`. A few errors are also triggered, to check what reaches the shell at run time.
"""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from states import case as dom
from states.errors import DomainError

STATES = Path(__file__).resolve().parents[2] / "states"
ERRORS = {"DomainError", "InvalidInput", "InvalidTransition", "GuardFailed", "Conflict", "UnreadableEvent"}
SHELL_WORDS = re.compile(r"(?<![\w-])--[a-z]|\bhuizhen [a-z]|HUIZHEN_")


def _constant_text(node: ast.AST) -> str:
    """The literal parts of a message expression (f-string pieces, concatenations)."""
    return " ".join(n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str))


def _error_calls() -> list[tuple[str, ast.Call]]:
    found = []
    for path in sorted(STATES.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ERRORS:
                found.append((f"{path.name}:{node.lineno}", node))
    return found


def test_the_scan_finds_the_errors() -> None:
    assert len(_error_calls()) > 60


@pytest.mark.parametrize(("where", "call"), _error_calls(), ids=[w for w, _ in _error_calls()])
def test_every_error_has_a_key_and_neutral_words(where: str, call: ast.Call) -> None:
    assert any(k.arg == "key" for k in call.keywords), f"{where}: no key="
    assert call.args, f"{where}: no message"
    text = _constant_text(call.args[0])
    assert not SHELL_WORDS.search(text), f"{where}: {text!r} speaks the shell's words"


def test_the_pattern_catches_what_it_should() -> None:
    for bad in ("--reason: say why", "run huizhen case verify", "HUIZHEN_USER is not set"):
        assert SHELL_WORDS.search(bad)
    for fine in ("no quorum — 1 of 3", "product.name: must be text", "2026-03-02"):
        assert not SHELL_WORDS.search(fine)


def test_errors_raised_at_run_time_speak_no_shell_words() -> None:
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    case, _ = dom.open_case("YRD-2026-0001", "SH", {"product": {}, "sources": [], "basis": {}}, "sh", now)
    attempts = [
        lambda t: dom.submit(case, "SH", "sh", t),
        lambda t: dom.verify(case, " ", "sh", t),
        lambda t: dom.withdraw(case, " ", "sh", t),
        lambda t: dom.archive(case, "sh", t),
        lambda t: dom.form_panel(case, ["E1"], "", "sh", t),
    ]
    seen = []
    for i, attempt in enumerate(attempts, start=1):
        with pytest.raises(DomainError) as info:
            attempt(now + timedelta(hours=i))
        seen.append(info.value)
    for exc in seen:
        assert exc.key and exc.key != exc.code, exc.message
        assert not SHELL_WORDS.search(exc.message), exc.message
    assert [e.key for e in seen] == ["product_incomplete", "note_empty", "reason_required",
                                     "not_in_this_state", "not_in_this_state"]
