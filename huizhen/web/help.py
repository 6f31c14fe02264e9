"""The help pages: the user guide (操作手册, docs/guide) chapter by chapter, its pictures, and the whole guide as one
PDF; and the 帮助 link every page draws (`help_href` in the templates: that role's chapter at the step that fits the
page). Open without signing in: the guide holds no case data (its pictures are of the demo), and a person who cannot
sign in can read how to."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, Response

from huizhen import guide
from huizhen.web.auth import Viewer
from huizhen.web.common import WebError, attachment, call, render, session_data, web

router = APIRouter(include_in_schema=False)
IMAGE_NAME = re.compile(r"^[a-z0-9-]+\.png$")
_pdf_cache: dict[str, Any] = {}


async def optional_viewer(request: Request) -> Viewer | None:
    """The signed-in person if there is one (the navigation and the 帮助 link are theirs), else None."""
    data = session_data(request)
    if not data:
        return None
    user = await call(web(request).auth.session_user, data)
    return Viewer(user, str(data["c"]), "session") if user is not None else None


def help_href(request: Request, viewer: Viewer | None, case: Any = None) -> str:
    """The 帮助 link of the page being drawn (a template global)."""
    user = viewer.user if viewer else None
    return guide.help_href(user.role if user else None, user.institution if user else None, request.url.path,
                           case if isinstance(case, dict) else None)


def install(env: Any) -> None:
    env.globals["help_href"] = help_href


async def _chapter(request: Request, slug: str) -> Response:
    if slug not in guide.CHAPTERS:
        raise WebError(404, "没有这一章 / No such chapter")
    viewer = await optional_viewer(request)
    return render(request, "help.html.j2", {"slug": slug, "title": guide.title_of(slug), "toc": guide.toc(),
                                            "body": guide.chapter_html(slug)}, viewer=viewer)


@router.get("/help")
async def help_index(request: Request) -> Response:
    return await _chapter(request, "index")


@router.get("/help/guide.pdf")
async def help_pdf(request: Request) -> Response:
    root = guide.GUIDE_DIR
    stamp = ",".join(str(p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file())
    if _pdf_cache.get("stamp") != stamp:
        today = f"{web(request).svc.clock.now():%Y-%m-%d}"
        _pdf_cache.update(stamp=stamp, pdf=await call(guide.guide_pdf, None, today))
    return attachment(_pdf_cache["pdf"], "huizhen-guide.pdf", "application/pdf")


@router.get("/help/images/{name}")
async def help_image(name: str) -> Response:
    path = guide.GUIDE_DIR / guide.IMAGES / name
    if not IMAGE_NAME.match(name) or not Path(path).is_file():
        raise WebError(404, "没有这张图片 / No such picture")
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "no-cache"})


@router.get("/help/{chapter}")
async def help_chapter(request: Request, chapter: str) -> Response:
    return await _chapter(request, chapter)
