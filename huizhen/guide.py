"""The user guide (操作手册, `docs/guide/*.md`) for the people who use huizhen: rendered to HTML for the help pages
and to one PDF (WeasyPrint + Noto CJK, as the papers); which chapter and step a page's 帮助 link opens; and the
checks that keep its pictures true (the pages it names exist, each image it embeds was taken by the browser test).

The Markdown is rendered by markdown-it-py (CommonMark + tables, raw HTML kept for the `<a id="step-…">` anchors).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup, escape

GUIDE_DIR = Path(os.environ.get("HUIZHEN_GUIDE_DIR") or Path(__file__).resolve().parents[1] / "docs" / "guide")
IMAGES = "images"
MANIFEST = "manifest.json"  # written by tests/browser/test_guide_pictures.py beside the images

# The chapters in reading order: (slug, file). The PDF binds them in this order.
CHAPTERS: tuple[str, ...] = ("index", "applicant-liaison", "lead-liaison", "expert", "auditor", "admin", "images")
ROLE_CHAPTER = {"expert": "expert", "auditor": "auditor", "admin": "admin", "liaison": "applicant-liaison"}

# The case page in each state opens this step (issue 18).
STATE_STEP = {
    "drafted": "step-draft", "preliminary_review": "step-panel", "awaiting_experts": "step-analysis",
    "convening": "step-schedule", "convened": "step-opinion", "decided": "step-minutes",
    "continued_attention": "step-track", "archived": "step-archive", "withdrawn": "step-withdraw",
}
LEAD_STATES = frozenset({"convening", "convened", "decided", "archived"})  # the lead's part of the work

# Pages other than the case page: (path pattern, step). The first that matches wins.
PAGE_STEP: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), s) for p, s in (
    (r"^/(dashboard)?$", "step-dashboard"),
    (r"^/my/panels$", "step-dashboard"),
    (r"^/inbox$", "step-inbox"),
    (r"^/reports$", "step-dashboard"),
    (r"^/retention$", "step-retention"),
    (r"^/audit$", "step-audit"),
    (r"^/audit/reads$", "step-reads"),  # issue 14
    (r"^/audit/cases/[^/]+$", "step-replay"),
    (r"^/cases/new$", "step-draft"),
    (r"^/cases/[^/]+/edit$", "step-draft"),
    (r"^/cases/[^/]+/analysis$", "step-analysis"),
    (r"^/cases/[^/]+/opinion$", "step-opinion"),
    (r"^/admin/users(/.*)?$", "step-users"),
    (r"^/admin/experts$", "step-experts"),
    (r"^/admin/calendar$", "step-calendar"),
    (r"^/admin/log$", "step-admin-log"),
    (r"^/rotation$", "step-rotation"),
    (r"^/account$", "step-account"),
))

ANCHOR_RE = re.compile(r'<a id="([a-z0-9-]+)"></a>')
IMAGE_RE = re.compile(r"!\[[^\]]*\]\((images/[^)\s]+\.png)\)")
TABLE_URL_RE = re.compile(r"^\|\s*`images/([^`]+\.png)`\s*\|\s*(\d+)\s*\|\s*`(/[^`]*)`\s*\|\s*([^|]*)\|")


# --- reading the guide -----------------------------------------------------------------------------------------


def chapter_path(slug: str, root: Path | None = None) -> Path:
    return (root or GUIDE_DIR) / f"{slug}.md"


def source(slug: str, root: Path | None = None) -> str:
    if slug not in CHAPTERS:
        raise KeyError(slug)
    return chapter_path(slug, root).read_text(encoding="utf-8")


def title_of(slug: str, root: Path | None = None) -> str:
    for line in source(slug, root).splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return slug


def anchors(slug: str, root: Path | None = None) -> list[str]:
    return ANCHOR_RE.findall(source(slug, root))


def embedded_images(root: Path | None = None) -> dict[str, list[str]]:
    """Every picture the chapters embed: file name → the chapters that embed it."""
    found: dict[str, list[str]] = {}
    for slug in CHAPTERS:
        if slug == "images":
            continue
        for ref in IMAGE_RE.findall(source(slug, root)):
            found.setdefault(ref.removeprefix("images/"), []).append(slug)
    return found


@dataclass(frozen=True)
class Picture:
    """One row of the screenshot list (images.md): the file, its width, the page and who is signed in."""
    name: str
    width: int
    url: str
    account: str  # the demo login, or "" when taken signed out


def picture_list(root: Path | None = None) -> list[Picture]:
    rows = []
    for line in source("images", root).splitlines():
        m = TABLE_URL_RE.match(line)
        if m:
            who = re.match(r"\s*`([a-z0-9_]+)`", m.group(4))
            rows.append(Picture(m.group(1), int(m.group(2)), m.group(3), who.group(1) if who else ""))
    return rows


# --- rendering ---------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable("table")


def _rewrite(href: str, link: Any) -> str:
    if re.match(r"^[a-z]+:", href) or href.startswith("/"):
        return href
    page, _, anchor = href.partition("#")
    if page.startswith(IMAGES + "/"):
        return str(link(None, page.removeprefix(IMAGES + "/"), ""))
    if page.endswith(".md") and page[:-3] in CHAPTERS:
        return str(link(page[:-3], None, anchor))
    if not page and anchor:
        return str(link("", None, anchor))
    return href


def _render(slug: str, link: Any, root: Path | None) -> str:
    md = _md()
    tokens = md.parse(source(slug, root))
    for token in tokens:
        for child in token.children or ():
            if child.type == "link_open" and child.attrs.get("href"):
                child.attrs["href"] = _rewrite(str(child.attrs["href"]), link)
            elif child.type == "image" and child.attrs.get("src"):
                child.attrs["src"] = _rewrite(str(child.attrs["src"]), link)
                child.attrs["loading"] = "lazy"
    html: str = md.renderer.render(tokens, md.options, {})
    return html


def web_link(chapter: str | None, image: str | None, anchor: str) -> str:
    """A guide link as the help pages serve it."""
    if image is not None:
        return f"/help/images/{image}"
    base = "" if chapter == "" else ("/help" if chapter in (None, "index") else f"/help/{chapter}")
    return base + (f"#{anchor}" if anchor else "")


def chapter_html(slug: str, root: Path | None = None) -> Markup:
    """One chapter as HTML for the help page (the guide is ours: its raw HTML is trusted)."""
    return Markup(_render(slug, web_link, root))  # noqa: S704


def toc(root: Path | None = None) -> list[tuple[str, str]]:
    return [(slug, title_of(slug, root)) for slug in CHAPTERS]


# --- the 帮助 link -----------------------------------------------------------------------------------------------


def help_target(role: str | None, institution: str | None, path: str,
                case: Mapping[str, Any] | None = None) -> tuple[str, str]:
    """(chapter, step) the 帮助 link of PATH opens for a person of ROLE (None: signed out). A liaison's case page
    opens the lead's chapter where the case is in the lead's part and their institution leads it, the applicant's
    chapter otherwise."""
    if not role:
        return "index", "step-dashboard" if path == "/login" else ""
    chapter = ROLE_CHAPTER.get(role, "index")
    step = ""
    if case and re.match(r"^/cases/[^/]+$", path) and case.get("status") in STATE_STEP:
        status = str(case["status"])
        step = STATE_STEP[status]
        if role == "liaison" and institution and institution == case.get("lead") and (
                status in LEAD_STATES or institution != case.get("applicant")):
            chapter = "lead-liaison"
    else:
        step = next((s for pattern, s in PAGE_STEP if pattern.match(path)), "")
    if step and step not in anchors(chapter):
        step = ""
    return chapter, step


def help_href(role: str | None, institution: str | None, path: str, case: Mapping[str, Any] | None = None) -> str:
    chapter, step = help_target(role, institution, path, case)
    return web_link(chapter, None, step)


# --- the PDF -----------------------------------------------------------------------------------------------------


def _pdf_link(images: Path) -> Any:
    def link(chapter: str | None, image: str | None, anchor: str) -> str:
        if image is not None:
            return (images / image).resolve().as_uri()
        if chapter == "":
            return f"#--{anchor}"  # within the chapter: made the chapter's own below
        target = chapter or "index"
        return f"#{target}--{anchor}" if anchor else f"#{target}"
    return link


def _pdf_chapter(slug: str, root: Path | None) -> tuple[str, list[tuple[str, str]]]:
    """One chapter for the PDF, its anchors made its own (`<slug>--step-x`), and its sections (id, title)."""
    guide = root or GUIDE_DIR
    body = _render(slug, _pdf_link(guide / IMAGES), root)
    body = ANCHOR_RE.sub(lambda m: f'<a id="{slug}--{m.group(1)}"></a>', body)
    # links inside one chapter (`#step-x`) keep to that chapter
    body = re.sub(r'href="#--([a-z0-9-]+)"', lambda m: f'href="#{slug}--{m.group(1)}"', body)
    sections: list[tuple[str, str]] = []

    def number(m: re.Match[str]) -> str:
        sections.append((f"{slug}--s{len(sections) + 1}", re.sub(r"<[^>]+>", "", m.group(1))))
        return f'<h2 id="{sections[-1][0]}">{m.group(1)}</h2>'

    body = re.sub(r"<h2>(.*?)</h2>", number, body)
    return f'<section class="chapter" id="{slug}">{body}</section>', sections


def guide_html_for_pdf(root: Path | None = None, today: str = "") -> str:
    from huizhen.papers import fonts

    sans, serif = fonts.SANS, fonts.SERIF
    items, chapters = [], []
    for slug, title in toc(root):
        html, sections = _pdf_chapter(slug, root)
        chapters.append(html)
        items.append(f'<li class="chapter"><a href="#{slug}">{escape(title)}</a></li>')
        items += [f'<li class="section"><a href="#{sid}">{Markup(text)}</a></li>' for sid, text in sections
                  if slug != "images"]
    css = f"""
@page {{ size: A4; margin: 22mm 18mm 20mm 18mm;
  @bottom-center {{ content: "— " counter(page) " —"; font-family: "{sans}"; font-size: 9pt; color: #555; }}
  @top-right {{ content: string(chapter); font-family: "{sans}"; font-size: 8.5pt; color: #777; }} }}
@page :first {{ @top-right {{ content: none; }} @bottom-center {{ content: none; }} }}
body {{ font-family: "{serif}", "{sans}", serif; font-size: 10.5pt; line-height: 1.6; }}
h1, h2, h3 {{ font-family: "{sans}", sans-serif; }}
h1 {{ string-set: chapter content(); font-size: 18pt; }}
section.chapter {{ break-before: page; }}
.cover {{ text-align: center; padding-top: 70mm; }}
.cover h1 {{ string-set: none; font-size: 24pt; }}
nav.toc {{ break-before: page; }}
nav.toc ol {{ list-style: none; padding: 0; }}
nav.toc li {{ font-family: "{sans}"; font-size: 9.5pt; }}
nav.toc li.chapter {{ margin: 3mm 0 1mm; font-weight: bold; font-size: 10.5pt; }}
nav.toc li.section {{ margin: 0.6mm 0 0.6mm 6mm; }}
nav.toc a {{ color: black; text-decoration: none; }}
nav.toc a::after {{ content: leader('.') target-counter(attr(href), page); }}
table {{ border-collapse: collapse; width: 100%; font-size: 8.5pt; margin: 3mm 0; }}
th, td {{ border: 0.5pt solid #999; padding: 1mm 1.5mm; vertical-align: top; }}
th {{ background: #eee; }}
img {{ max-width: 100%; max-height: 120mm; display: block; margin: 3mm auto; border: 0.5pt solid #ccc; }}
img[src$="-390.png"] {{ max-width: 60mm; }}
code {{ font-family: "{sans}"; font-size: 9pt; background: #f3f3f3; }}
a {{ color: #134a8e; }}
"""
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>会诊系统操作手册</title>'
            f"<style>{css}</style></head><body>"
            f'<div class="cover"><h1>长三角缺陷消费品专家会诊系统<br>操作手册</h1><p>{escape(today)}</p></div>'
            f'<nav class="toc"><h2>目录</h2><ol>{"".join(items)}</ol></nav>{"".join(chapters)}</body></html>')


def guide_pdf(root: Path | None = None, today: str = "") -> bytes:
    """The whole guide as one PDF: a cover, the table of contents with page numbers, every chapter and picture."""
    from huizhen.papers import fonts

    fonts.require_pdf_fonts()
    import weasyprint

    guide = root or GUIDE_DIR
    pdf: bytes = weasyprint.HTML(string=guide_html_for_pdf(root, today), base_url=str(guide)).write_pdf(
        optimize_images=True)
    return pdf


# --- keeping the pictures true -----------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_manifest(root: Path | None = None) -> dict[str, Any]:
    path = (root or GUIDE_DIR) / IMAGES / MANIFEST
    if not path.exists():
        return {"run": "", "images": {}}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def picture_problems(root: Path | None = None, run: str | None = None) -> list[str]:
    """What is wrong with the guide's pictures: an image embedded but missing, not in the screenshot list, not taken
    by the browser test (absent from its manifest, or changed since), or — given RUN — not taken by that run."""
    guide = root or GUIDE_DIR
    embedded = embedded_images(root)
    listed = {p.name for p in picture_list(root)}
    manifest = read_manifest(root)
    taken: dict[str, Any] = manifest.get("images", {})
    problems = []
    for name in sorted(embedded):
        path = guide / IMAGES / name
        if name not in listed:
            problems.append(f"{name}: embedded by {embedded[name]} but not in the screenshot list (images.md)")
        if not path.exists():
            problems.append(f"{name}: embedded by {embedded[name]} but missing")
            continue
        entry = taken.get(name)
        if entry is None:
            problems.append(f"{name}: not taken by the browser test (tests/browser/test_guide_pictures.py)")
        elif entry.get("sha256") != sha256_of(path):
            problems.append(f"{name}: changed since the browser test took it")
        elif run is not None and manifest.get("run") != run:
            problems.append(f"{name}: not refreshed by this run ({run}); the manifest is of run {manifest.get('run')}")
    for name in sorted(listed - set(embedded)):
        problems.append(f"{name}: in the screenshot list but embedded by no chapter")
    return problems


def named_pages(root: Path | None = None) -> list[str]:
    """Every page address the guide names: the screenshot list's 页面地址 and any `/…` address in the chapters."""
    urls = [p.url for p in picture_list(root)]
    for slug in CHAPTERS:
        urls += re.findall(r"`(/(?:cases|dashboard|inbox|my|reports|retention|audit|help|login)[^`\s]*)`",
                           source(slug, root))
    return list(dict.fromkeys(urls))


def missing_pages(urls: Iterable[str], answers: Callable[[str], bool]) -> list[str]:
    """The URLs (their paths) that ANSWERS (does a page route take a GET of this path?) says no to."""
    return [u for u in urls if not answers(u.split("?")[0].split("#")[0])]
