# ruff: noqa: F811  (the fixtures come from websupport and are used as arguments)
"""A new simple command is one catalogue row (states/commands.py) and its use case: the CLI command, the API route
and the case page's button follow without touching the shell's files (ARCHITECTURE decision 10).

The case page's part needs `workflow.queries.available_actions` to offer every catalogue command the viewer may run
(the use-case helper's work in issue 11): it passes once that is merged."""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import run_to
from typer.testing import CliRunner
from websupport import Site, db_url, site  # noqa: F401  (fixtures)

from states import commands as catalogue
from states.commands import REASON_OPTIONAL, Command
from states.status import CaseStatus
from workflow import usecases as uc

NUDGE = Command("nudge", "CaseNudged", (CaseStatus.drafted,), who=frozenset({"applicant"}), reason=REASON_OPTIONAL,
                simple=True)


@pytest.fixture
def nudge(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[Any, ...]]]:
    """A test-only simple row and its use case, which records its calls."""
    calls: list[tuple[Any, ...]] = []

    def use_case(svc: Any, actor: str | None, number: str, reason: str) -> Any:
        calls.append((actor, number, reason))
        return SimpleNamespace(number=number, status="drafted", version=1)

    monkeypatch.setattr(uc, "nudge", use_case, raising=False)
    registered = getattr(catalogue, "registered", None)
    if registered is None:  # a catalogue without its registration hook: the row alone
        monkeypatch.setitem(catalogue.COMMANDS, NUDGE.name, NUDGE)
        yield calls
        return
    with registered(NUDGE, lambda case, event: None):  # the row and the fold of its event
        yield calls


def test_the_cli_has_the_new_command(nudge: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch) -> None:
    from huizhen.cli import cases
    from huizhen.cli.main import build_app

    listing = CliRunner().invoke(build_app(), ["case", "--help"], terminal_width=200)
    assert re.search(r"│ nudge\s", listing.output), listing.output
    monkeypatch.setattr(cases, "get_app", lambda: SimpleNamespace(services="svc"))
    monkeypatch.setenv("HUIZHEN_USER", "sh")
    ran = CliRunner().invoke(build_app(), ["case", "nudge", "YRD-1", "--reason", "why"])
    assert ran.exit_code == 0, ran.output
    assert nudge == [("sh", "YRD-1", "why")]


def test_the_api_and_the_page_have_the_new_command(nudge: list[tuple[Any, ...]], site: Site) -> None:
    from huizhen.web import create_app

    app = create_app(site.world.app, secret="t" * 40, fast_hash=True)  # made after the row was added
    assert "/api/v1/cases/{number}/nudge" in app.openapi()["paths"]
    n = run_to(site.world, "drafted")
    site.web = app
    site.clients.clear()
    resp = site.api("sh").post(f"/api/v1/cases/{n}/nudge", json={"reason": "api"})
    assert resp.status_code == 200, resp.text
    resp = site.post("sh", f"/cases/{n}/act/nudge", {"reason": "page"})
    assert resp.status_code == 303, resp.text
    assert nudge == [("sh", n, "api"), ("sh", n, "page")]
    page = site.client("sh").get(f"/cases/{n}").text
    assert '<div class="action" data-action="nudge">' in page
    assert 'action="/cases/' + n + '/act/nudge"' in page
