"""The API's papers, audit, the form's rules and the state diagram (the rest of the CLI's `docs`, `audit`, `form`
and `diagram`)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from huizhen import dossier as builder
from huizhen.clock import parse_instant
from huizhen.papers import render_form, render_minutes
from huizhen.web import diagram
from huizhen.web.api import Me, _me
from huizhen.web.common import attachment, call, web
from huizhen.web.downloads import logged
from huizhen.web.inputs import no_markup
from states.errors import InvalidInput
from states.machine import mermaid
from states.rules import derive_conclusions, parse_opinion
from states.status import CaseStatus
from workflow import queries
from workflow import usecases as uc
from workflow.documents import form_context, minutes_context

router = APIRouter(prefix="/api/v1", tags=["huizhen"])


# --- papers ----------------------------------------------------------------------------------------------------


def _paper(kind: str, svc: uc.Services, actor: str, number: str, expert: str | None, fmt: str,
           issue: int | None = None) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"paper.{fmt}"
        if kind == "form":
            render_form(form_context(svc, actor, number, expert), out)
        else:
            render_minutes(minutes_context(svc, actor, number, issue), out)
        return out.read_bytes()


@router.get("/cases/{number}/papers/form", summary="The 会诊表 (one expert's signed form, or blank)",
            response_class=Response)
async def paper_form(request: Request, viewer: Me, number: str, expert: str | None = None,
                     format: Literal["pdf", "docx"] = "pdf") -> Response:
    data = await call(_paper, "form", web(request).svc, _me(viewer), number, expert, format)
    await logged(request, _me(viewer), "form" if expert else "blank_form", number,
                 f"{expert}.{format}" if expert else format, "api")
    return attachment(data, f"{number}-form.{format}")


@router.get("/cases/{number}/papers/minutes",
            summary="The 会议纪要 in force (a draft before they are issued; ?issue=N an earlier numbered issue)",
            response_class=Response)
async def paper_minutes(request: Request, viewer: Me, number: str, format: Literal["pdf", "docx"] = "pdf",
                        issue: Annotated[int | None, Query(ge=1, le=1000)] = None) -> Response:
    data = await call(_paper, "minutes", web(request).svc, _me(viewer), number, None, format, issue)
    await logged(request, _me(viewer), "minutes", number, format, "api")
    return attachment(data, f"{number}-minutes.{format}")


# --- audit -----------------------------------------------------------------------------------------------------


@router.get("/audit/verify", summary="Recompute every hash and replay every case (huizhen audit verify)")
async def audit_verify(request: Request, viewer: Me, case: str | None = None) -> dict[str, Any]:
    findings = await call(uc.verify_audit, web(request).svc, _me(viewer), case)
    return {"ok": not findings, "findings": findings}


@router.get("/cases/{number}/replay", summary="The case as it stood at an instant (huizhen audit replay --at)")
async def replay(request: Request, viewer: Me, number: str,
                 at: Annotated[str | None, Query(description="ISO 8601 instant with offset")] = None) -> dict[str, Any]:
    when = parse_instant(at, "at") if at else None
    return await call(uc.replay_at, web(request).svc, _me(viewer), number, when)


@router.get("/cases/{number}/export", summary="The event log with hashes (huizhen audit export)")
async def export(request: Request, viewer: Me, number: str) -> list[dict[str, Any]]:
    events = await call(uc.export_events, web(request).svc, _me(viewer), number)
    await logged(request, _me(viewer), "export", number, "json", "api")
    return events


@router.get("/cases/{number}/dossier", summary="The archive dossier ZIP (huizhen audit dossier)",
            response_class=Response)
async def dossier(request: Request, viewer: Me, number: str) -> Response:
    svc = web(request).svc

    def build() -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "dossier.zip"
            builder.build(svc, _me(viewer), number, out, svc.clock.now())
            return out.read_bytes()

    data = await call(build)
    await logged(request, _me(viewer), "dossier", number, "zip", "api")
    return attachment(data, f"{number}-dossier.zip", "application/zip")


# --- the form's rules and the diagram --------------------------------------------------------------------------


@router.post("/form/preview", summary="A 会诊表's conclusions for some answers (huizhen form check; partial allowed)")
async def form_preview(viewer: Me, body: dict[str, Any]) -> dict[str, Any]:
    no_markup(body, "body")
    return queries.preview_opinion(body)


@router.post("/form/check", summary="A complete 会诊表's derived conclusions (huizhen form check)")
async def form_check(viewer: Me, body: dict[str, Any]) -> dict[str, Any]:
    no_markup(body, "body")
    return derive_conclusions(parse_opinion(body)).to_dict()


@router.get("/diagram", summary="The case state diagram, Mermaid text and SVG (huizhen diagram)")
async def state_diagram(viewer: Me, current: str | None = None) -> dict[str, str]:
    if current is not None and current not in CaseStatus.__members__:
        raise InvalidInput(f"must be one of {', '.join(CaseStatus)}, not {current!r}", key="not_one_of",
                           field="current", allowed=list(CaseStatus), value=current)
    return {"mermaid": mermaid(), "svg": diagram.render(current)}
