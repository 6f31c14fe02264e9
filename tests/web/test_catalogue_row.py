# ruff: noqa: F811  (the fixtures come from websupport and are used as arguments)
"""A new simple command is one catalogue row (states/commands.py) and the fold of its event: the CLI command, the API route
and the case page's button follow without touching the shell's files (ARCHITECTURE decision 10).

It runs through workflow's generic reason-only use case, and its `who` decides who may run it."""

from __future__ import annotations

import re
from collections.abc import Iterator

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
def nudge() -> Iterator[None]:
    """A test-only simple row and the fold of its event; no use case, no shell file touched."""
    with catalogue.registered(NUDGE, lambda case, event: None):
        yield


def _nudges(site: Site, number: str) -> list[str]:
    return [e["payload"].get("reason", "") for e in uc.history(site.world.svc, "auditor", number)
            if e["type"] == "CaseNudged"]


def test_the_cli_has_the_new_command(nudge: None, site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    from huizhen.cli import cases
    from huizhen.cli.main import build_app, main

    listing = CliRunner().invoke(build_app(), ["case", "--help"], terminal_width=200)
    assert re.search(r"│ nudge\s", listing.output), listing.output
    n = run_to(site.world, "drafted")
    monkeypatch.setattr(cases, "get_app", lambda: site.world.app)
    monkeypatch.setenv("HUIZHEN_USER", "sh")
    ran = CliRunner().invoke(build_app(), ["case", "nudge", n, "--reason", "why"])
    assert ran.exit_code == 0, ran.output
    assert _nudges(site, n) == ["why"]  # the event is in the case's history, through the generic use case
    monkeypatch.setenv("HUIZHEN_USER", "js")  # the catalogue's `who`: only the applicant's liaisons
    with pytest.raises(SystemExit) as refused:  # the console script's entry: refusals become exit codes
        main(["case", "nudge", n])
    assert refused.value.code == 4  # JS does not see SH's draft: it answers as a missing case (issue 15)
    assert _nudges(site, n) == ["why"]


def test_the_api_and_the_page_have_the_new_command(nudge: None, site: Site) -> None:
    from huizhen.web import create_app

    app = create_app(site.world.app, secret="t" * 40, fast_hash=True)  # made after the row was added
    assert "/api/v1/cases/{number}/nudge" in app.openapi()["paths"]
    n = run_to(site.world, "drafted")
    site.web = app
    site.clients.clear()
    page = site.client("sh").get(f"/cases/{n}").text
    assert '<div class="action" data-action="nudge">' in page
    assert 'action="/cases/' + n + '/act/nudge"' in page
    resp = site.api("sh").post(f"/api/v1/cases/{n}/nudge", json={"reason": "api"})
    assert resp.status_code == 200, resp.text
    resp = site.post("sh", f"/cases/{n}/act/nudge", {"reason": "page"})
    assert resp.status_code == 303, resp.text
    assert _nudges(site, n) == ["api", "page"]
    # JS does not see SH's draft: a missing case to JS (issue 15); nothing is written either way.
    assert site.api("js").post(f"/api/v1/cases/{n}/nudge", json={"reason": "x"}).status_code == 404
