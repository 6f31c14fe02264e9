"""The command line: parse, call one use case, format. Rich tables for people, --json for scripts.

A package of sub-apps (cases, papers, yearly, web, ... one module each) registered in one list in
`huizhen.cli.main`; they share `huizhen.cli.common` and never import the registry, so there is no import circle.

Exit codes (declared once, per kind of refusal, in huizhen/errors.py): 0 done · 1 audit found problems · 2 bad
input · 3 not permitted · 4 not found · 5 not allowed in the case's state (or a rule not met) · 6 conflict (someone
else acted first) · 7 database unavailable or not initialised · 8 configuration error. A refusal is one line on
stderr, and nothing is written.
"""

from __future__ import annotations

# What a sub-app module needs, by its old name (huizhen/cli_time.py imports these from `huizhen.cli`).
from huizhen.cli.common import (
    CaseArg,
    JsonOpt,
    actor,
    done,
    emit_json,
    err,
    get_app,
    local,
    out,
)

__all__ = ["CaseArg", "JsonOpt", "actor", "done", "emit_json", "err", "get_app",
           "local", "out"]
