# ruff: noqa: F811  (the fixtures come from websupport and are used as arguments)
"""The help pages (issue 18): the guide's chapters served in the product, the 帮助 link of every page opening that
role's chapter at the step that fits (the case page: the step of its state), the PDF, and the pages the guide names
still existing in the app."""

from __future__ import annotations

import re

import pytest
from conftest import run_to
from websupport import Site, db_url, site  # noqa: F401  (fixtures)

from huizhen import guide
from workflow import usecases as uc

HELP_LINK = re.compile(r'<a href="([^"]*)" class="help-link">帮助</a>')


def help_link(site: Site, who: str | None, path: str) -> str:
    resp = site.client(who).get(path)
    assert resp.status_code == 200, (path, resp.status_code)
    found = HELP_LINK.search(resp.text)
    assert found, f"no 帮助 link on {path}"
    return found.group(1)


def reach(site: Site, state: str) -> str:
    if state == "withdrawn":
        n = run_to(site.world, "preliminary_review")
        uc.withdraw(site.svc, "sh", n, "申请有误")
        return n
    if state == "continued_attention":
        from conftest import opinion

        unsure = opinion("uncertain", 2, 3, public_opinion_risk=True)
        return run_to(site.world, state, opinions=[unsure] * 3)
    return run_to(site.world, state)


# Who works on the case in each state, and where their 帮助 link lands (SH applies, JS leads).
CASE_STEPS = [
    ("drafted", "sh", "/help/applicant-liaison#step-draft"),
    ("preliminary_review", "sh", "/help/applicant-liaison#step-panel"),
    ("awaiting_experts", "sh", "/help/applicant-liaison#step-analysis"),
    ("convening", "js", "/help/lead-liaison#step-schedule"),
    ("convened", "js", "/help/lead-liaison#step-opinion"),
    ("decided", "js", "/help/lead-liaison#step-minutes"),
    ("continued_attention", "sh", "/help/applicant-liaison#step-track"),
    ("archived", "js", "/help/lead-liaison#step-archive"),
    ("withdrawn", "sh", "/help/applicant-liaison#step-withdraw"),
]


@pytest.mark.parametrize(("state", "who", "want"), CASE_STEPS, ids=[s for s, _, _ in CASE_STEPS])
def test_the_help_link_of_a_case_page_opens_the_step_of_its_state(site: Site, state: str, who: str,
                                                                   want: str) -> None:
    n = reach(site, state)
    assert site.client(who).get(f"/cases/{n}").text.count('id="case-status"') == 1
    assert help_link(site, who, f"/cases/{n}") == want
    chapter, _, anchor = want.partition("#")
    page = site.client(None).get(chapter)
    assert page.status_code == 200 and f'<a id="{anchor}"></a>' in page.text


def test_each_role_gets_its_own_chapter(site: Site) -> None:
    n = run_to(site.world, "convened")
    assert help_link(site, "x1", f"/cases/{n}") == "/help/expert#step-opinion"
    assert help_link(site, "auditor", f"/cases/{n}") == "/help/auditor#step-opinion"
    assert help_link(site, "admin", f"/cases/{n}") == "/help/admin#step-opinion"
    assert help_link(site, "sh", f"/cases/{n}") == "/help/applicant-liaison#step-opinion"  # SH applied


@pytest.mark.parametrize(("who", "path", "want"), [
    ("sh", "/dashboard", "/help/applicant-liaison#step-dashboard"),
    ("sh", "/inbox", "/help/applicant-liaison#step-inbox"),
    ("sh", "/cases/new", "/help/applicant-liaison#step-draft"),
    ("sh", "/retention", "/help/applicant-liaison#step-retention"),
    ("x1", "/my/panels", "/help/expert#step-dashboard"),
    ("x1", "/inbox", "/help/expert#step-inbox"),
    ("auditor", "/dashboard", "/help/auditor#step-dashboard"),
    ("auditor", "/audit", "/help/auditor#step-audit"),
    ("admin", "/retention", "/help/admin#step-retention"),
    ("admin", "/audit", "/help/admin#step-audit"),
    (None, "/login", "/help#step-dashboard"),
    ("sh", "/help/expert", "/help/applicant-liaison"),
])
def test_the_help_link_of_other_pages(site: Site, who: str | None, path: str, want: str) -> None:
    assert help_link(site, who, path) == want


def test_the_expert_forms_and_the_replay_open_their_steps(site: Site) -> None:
    n = run_to(site.world, "awaiting_experts")
    assert help_link(site, "x1", f"/cases/{n}/analysis") == "/help/expert#step-analysis"
    assert help_link(site, "auditor", f"/audit/cases/{n}") == "/help/auditor#step-replay"


def test_every_chapter_is_served_with_its_pictures_and_contents(site: Site) -> None:
    for slug in guide.CHAPTERS:
        resp = site.client(None).get("/help" if slug == "index" else f"/help/{slug}")
        assert resp.status_code == 200, slug
        assert f"<h1>{guide.title_of(slug)}</h1>" in resp.text
        assert 'href="/help/guide.pdf"' in resp.text and "下载全文（PDF）" in resp.text
        assert ".md" not in re.sub(r"<code>[^<]*</code>", "", resp.text.split('id="help-body"')[1]), slug
    page = site.client("sh").get("/help/applicant-liaison").text
    assert '<img src="/help/images/dashboard-1366.png"' in page
    assert 'href="/help/lead-liaison"' in page  # links between chapters stay in the product
    assert 'id="who">sh<' in page  # signed in: the navigation is theirs


def test_unknown_chapters_and_pictures_are_not_found(site: Site) -> None:
    assert site.client("sh").get("/help/nothing").status_code == 404
    assert site.client("sh").get("/help/images/nothing.png").status_code == 404
    assert site.client("sh").get("/help/images/..%2Fadmin.md").status_code == 404
    assert site.client("sh").get("/help/api").status_code == 200  # the API list keeps its address


def test_a_picture_is_served(site: Site) -> None:
    name = sorted(guide.embedded_images())[0]
    resp = site.client(None).get(f"/help/images/{name}")
    assert resp.status_code == 200 and resp.headers["content-type"] == "image/png"
    assert resp.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_page_the_guide_names_exists(site: Site) -> None:
    """Removing (or renaming) a page the guide names or shows makes this fail."""
    from starlette.routing import Match

    def answers(path: str) -> bool:
        scope = {"type": "http", "method": "GET", "path": path, "root_path": ""}
        return any(r.matches(scope)[0] == Match.FULL for r in site.web.router.routes)

    named = guide.named_pages()
    assert len(named) >= 15 and "/cases/YRD-2026-0009/analysis" in named
    assert guide.missing_pages(named, answers) == []
    assert guide.missing_pages(["/cases/YRD-2026-0001/nowhere"], answers) == ["/cases/YRD-2026-0001/nowhere"]


def test_the_guide_as_one_pdf(site: Site) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    resp = site.client(None).get("/help/guide.pdf")
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/pdf"
    reader = PdfReader(BytesIO(resp.content))
    assert len(reader.pages) > 20
    contents = "".join(reader.pages[i].extract_text() for i in range(1, 5))
    assert "目录" in contents and "第一步" in contents and "管理员" in contents  # chapters and their sections
    assert re.search(r"申请机构联络员\s*\.*\s*\d+", contents), contents[:400]  # with page numbers
    last = reader.pages[-1].extract_text()
    assert re.search(rf"\b{len(reader.pages)}\b", last)  # numbered pages
    images = sum(len(p.images) for p in reader.pages)
    assert images >= len(guide.embedded_images())
