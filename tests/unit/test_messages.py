"""Words belong to the shell (ARCHITECTURE decision 11): no message raised below it names a command-line flag
(`--reason`), a command (`huizhen case verify`) or an environment variable (`HUIZHEN_USER`). The source of every
raise, and of every error built to be raised, is read with `ast`; nothing is exempt. One test per room, so a room
that still speaks CLI is named."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROOMS = ("states", "workflow", "scheduler", "storage")
CLI_WORDS = re.compile(r"(?<![\w-])--[a-z]|\bhuizhen |HUIZHEN_")
ERROR_NAMES = re.compile(r"(Error|Conflict|InvalidInput|InvalidTransition|GuardFailed|NotPermitted|NotFound|"
                         r"Unavailable|Exception)$")


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _texts(node: ast.AST) -> Iterator[str]:
    """The literal text of a message: plain strings and the fixed parts of f-strings."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            yield sub.value


def messages(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every raise and every error built (an error may be built here and raised elsewhere)."""
    return list(dict.fromkeys(_messages(path)))


def _messages(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            for text in _texts(node.exc):
                yield node.lineno, text
        elif isinstance(node, ast.Call) and ERROR_NAMES.search(_name(node.func)):
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                for text in _texts(arg):
                    yield node.lineno, text


def speaking_cli(room: str) -> list[str]:
    found = []
    for path in sorted((ROOT / room).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for line, text in messages(path):
            if CLI_WORDS.search(text):
                found.append(f"{path.relative_to(ROOT)}:{line}: {text!r}")
    return sorted(set(found))


@pytest.mark.parametrize("room", ROOMS)
def test_no_message_below_the_shell_speaks_cli(room: str) -> None:
    assert speaking_cli(room) == []


def test_the_scan_sees_what_it_looks_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('def f(x):\n    raise InvalidInput(f"--note: {x} (huizhen case verify)")\n'
                      'def g():\n    return NotPermitted("HUIZHEN_USER is not set")\n'
                      'def h():\n    raise InvalidInput("a date-time in ISO form", key="at--ok")\n', encoding="utf-8")
    texts = [t for _, t in messages(sample) if CLI_WORDS.search(t)]
    assert texts == ["--note: ", " (huizhen case verify)", "HUIZHEN_USER is not set"]
