# ruff: noqa: F811  (the fixtures come from websupport and are used as arguments)
"""Nothing leaks by its shape (issue 15): on every page and API route of a case, a case the person may not see
answers exactly as a case that does not exist — the same status and the same bytes but for the number — and no
refusal names a panel's members."""

from __future__ import annotations

from typing import Any

import pytest
from test_permission_matrix import API, PAGES, Route, reach
from websupport import Site, db_url, site  # noqa: F401  (fixtures)

MISSING = "YRD-2026-0999"


def _hidden_role(state: str) -> str:
    """Someone who may not see a case in STATE: another institution's liaison sees no draft of SH's; an expert off
    the panel sees no case at all."""
    return "zj" if state == "drafted" else "x5"


def _case_routes(routes: list[Route]) -> list[Route]:
    return [r for r in routes if r.state and r.state not in ("purged", "joint_draft")
            and "{number}" in r.call.key[1]  # type: ignore[attr-defined]
            and not any(p in r.call.key[1] for p in ("{sha256}", "{batch}", "{token_id}"))  # type: ignore[attr-defined]
            and _hidden_role(r.state) not in r.allowed]


def _same(site: Site, route: Route, who: str, number: str) -> tuple[Any, Any]:
    hidden = route.call(site, who, number)
    missing = route.call(site, who, MISSING)
    return hidden, missing


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_hidden_case_answers_as_a_missing_one_everywhere(site: Site) -> None:
    site.svc.after_commit.clear()
    problems = []
    numbers: dict[str, str] = {}
    for route in _case_routes(PAGES) + _case_routes(API):
        state = route.state or ""
        if state not in numbers:
            numbers[state] = reach(site, state)
        number, who = numbers[state], _hidden_role(state)
        before = site.version(number)
        hidden, missing = _same(site, route, who, number)
        if hidden.status_code != missing.status_code:
            problems.append(f"{route.name} as {who}: {hidden.status_code} for a hidden case, "
                            f"{missing.status_code} for a missing one")
        elif hidden.content.replace(number.encode(), b"N") != missing.content.replace(MISSING.encode(), b"N"):
            problems.append(f"{route.name} as {who}: the bodies differ: {hidden.text[:160]!r} / "
                            f"{missing.text[:160]!r}")
        if site.version(number) != before:
            problems.append(f"{route.name} as {who}: the hidden case changed")
    assert len(numbers) >= 5
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_refusals_never_name_panel_members(site: Site) -> None:
    number = reach(site, "awaiting_experts")
    names = []
    with site.svc.uow(readonly=True) as uow:
        snap = uow.cases.snapshot(number)
        for e in snap["panel"]:
            names += [e, *(x.name for x in uow.experts.all() if x.id == e)]
    for route in [r for r in PAGES + API if r.state == "awaiting_experts" and r.write]:
        is_api = route.call.key[1].startswith("/api/")  # type: ignore[attr-defined]
        # zj may see this case (and its panel, on the page it is sent back to): only the API's refusal is hers.
        for who in ("x5", "zj") if is_api else ("x5",):
            if who in route.allowed:
                continue
            text = route.call(site, who, number).text
            leaked = [n for n in names if n in text]
            assert not leaked, f"{route.name} as {who} names {leaked}: {text[:200]}"
