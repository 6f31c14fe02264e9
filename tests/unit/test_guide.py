"""The guide's checks (issue 18), without a database or a browser: every picture the guide embeds exists, is in
the screenshot list and was taken by the browser test (tests/browser/test_guide_pictures.py: its manifest holds each
picture's hash); a picture missing, edited by hand, or not in the manifest fails; the 帮助 link's targets exist."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from huizhen import guide


def test_the_guide_pictures_are_the_ones_the_browser_test_took() -> None:
    assert guide.picture_problems() == []


def test_every_picture_in_the_list_has_a_width_and_a_page() -> None:
    pictures = guide.picture_list()
    assert len(pictures) == len(guide.embedded_images()) >= 20
    for p in pictures:
        assert p.name.endswith(f"-{p.width}.png") and p.width in (1366, 390) and p.url.startswith("/")
    assert {p.width for p in pictures} == {1366, 390}


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    root = tmp_path / "guide"
    shutil.copytree(guide.GUIDE_DIR, root)
    return root


def test_a_missing_picture_fails(copy: Path) -> None:
    (copy / "images" / "dashboard-1366.png").unlink()
    assert guide.picture_problems(copy) == [
        "dashboard-1366.png: embedded by ['index', 'applicant-liaison'] but missing"]


def test_a_picture_changed_since_it_was_taken_fails(copy: Path) -> None:
    path = copy / "images" / "inbox-390.png"
    path.write_bytes(path.read_bytes() + b"\0")
    assert guide.picture_problems(copy) == ["inbox-390.png: changed since the browser test took it"]


def test_a_picture_the_browser_test_did_not_take_fails(copy: Path) -> None:
    chapter = copy / "expert.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n![新](images/new-page-390.png)\n", encoding="utf-8")
    (copy / "images" / "new-page-390.png").write_bytes((copy / "images" / "login-390.png").read_bytes())
    assert guide.picture_problems(copy) == [
        "new-page-390.png: embedded by ['expert'] but not in the screenshot list (images.md)",
        "new-page-390.png: not taken by the browser test (tests/browser/test_guide_pictures.py)"]


def test_pictures_not_of_this_run_fail_when_a_run_is_named(copy: Path) -> None:
    run = json.loads((copy / "images" / guide.MANIFEST).read_text(encoding="utf-8"))["run"]
    assert guide.picture_problems(copy, run=run) == []
    stale = guide.picture_problems(copy, run="another-run")
    assert len(stale) == len(guide.embedded_images()) and "not refreshed by this run" in stale[0]


@pytest.mark.parametrize(("role", "inst", "path", "case", "want"), [
    ("liaison", "SH", "/cases/X", {"status": "drafted", "applicant": "SH", "lead": None},
     "/help/applicant-liaison#step-draft"),
    ("liaison", "JS", "/cases/X", {"status": "convened", "applicant": "SH", "lead": "JS"},
     "/help/lead-liaison#step-opinion"),
    ("liaison", "JS", "/cases/X", {"status": "continued_attention", "applicant": "JS", "lead": "JS"},
     "/help/applicant-liaison#step-track"),  # applicant and lead: the applicant's part
    ("liaison", "JS", "/cases/X", {"status": "archived", "applicant": "JS", "lead": "JS"},
     "/help/lead-liaison#step-archive"),
    ("expert", None, "/cases/X", {"status": "preliminary_review"}, "/help/expert#step-panel"),
    ("expert", None, "/cases/X/opinion", None, "/help/expert#step-opinion"),
    ("auditor", None, "/audit/cases/X", None, "/help/auditor#step-replay"),
    ("admin", None, "/help/api", None, "/help/admin"),
    (None, None, "/login", None, "/help#step-dashboard"),
])
def test_the_help_link(role: str | None, inst: str | None, path: str, case: dict[str, str] | None,
                       want: str) -> None:
    assert guide.help_href(role, inst, path, case) == want


def test_every_step_a_case_state_opens_is_in_each_chapter_that_may_open_it() -> None:
    for chapter in ("applicant-liaison", "lead-liaison", "auditor", "admin"):
        assert set(guide.STATE_STEP.values()) <= set(guide.anchors(chapter)), chapter
