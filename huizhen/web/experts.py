"""The experts' pages: their panels, the preliminary analysis and the 会诊表 they sign."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import JSONResponse, RedirectResponse, Response

from huizhen.papers import printed
from huizhen.web import forms
from huizhen.web.auth import Viewer
from huizhen.web.common import (
    CSRF_MESSAGE,
    WebError,
    call,
    csrf_ok,
    error_page,
    field,
    on_refusal,
    page_viewer,
    posted,
    read_form,
    render,
    web,
)
from huizhen.web.inputs import text
from huizhen.web.shared import case_url
from states.errors import InvalidInput
from workflow import queries
from workflow import usecases as uc
from workflow.queries import available_actions, panel_of

router = APIRouter(include_in_schema=False)


# --- the experts' pages ----------------------------------------------------------------------------------------


@router.get("/my/panels")
async def my_panels(request: Request) -> Response:
    viewer = await page_viewer(request)
    rows = await call(queries.my_panels, web(request).svc, viewer.user.name)
    return render(request, "panels.html.j2", {"rows": rows}, viewer=viewer)


async def _expert_page(request: Request, viewer: Viewer, number: str, template: str, action: str, *,
                       error: str = "", status: int = 200, values: dict[str, Any] | None = None) -> Response:
    w = web(request)
    case = await call(uc.show_case, w.svc, viewer.user.name, number)
    actions = {a["action"] for a in await call(available_actions, w.svc, viewer.user.name, number)}
    panel = await call(panel_of, w.svc, viewer.user.name, number)
    me = viewer.user.expert_id
    mine = next((p for p in panel if p["id"] == me), None)
    if mine is None:
        return error_page(request, 403, f"无权执行此操作：您不在 {number} 的专家组中 / you are not on the panel of "
                                        f"{number}", viewer)
    ctx = {"case": case, "mine": mine, "open": action in actions, "error": error, "values": values or {},
           "panel": panel, "printed": printed}
    return render(request, template, ctx, status, viewer)


@router.get("/cases/{number}/analysis")
async def analysis_form(request: Request, number: str) -> Response:
    viewer = await page_viewer(request)
    return await _expert_page(request, viewer, number, "analysis.html.j2", "record_analysis")


async def _expert_post(request: Request, number: str, template: str, action: str,
                       run: Callable[[Viewer, FormData], Any]) -> Response:
    """An expert's form posted: done → the case page; refused → the same form with the message and what was typed
    (or an error page when the expert may not be here at all)."""
    viewer, form = await posted(request)

    async def again(error: str, status: int) -> Response:
        return await _expert_page(request, viewer, number, template, action, error=error, status=status,
                                  values=forms.form_values(form))

    on_refusal(request, again, permission_too=False)
    await call(run, viewer, form)
    return RedirectResponse(case_url(number, action), status_code=303)


@router.post("/cases/{number}/analysis")
async def analysis(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        body = text(field(form, "text"), "text", max_len=20000)
        return uc.record_analysis(svc, viewer.user.name, number, viewer.user.expert_id or "", body)

    return await _expert_post(request, number, "analysis.html.j2", "record_analysis", run)


@router.get("/cases/{number}/opinion")
async def opinion_form(request: Request, number: str) -> Response:
    viewer = await page_viewer(request)
    return await _expert_page(request, viewer, number, "opinion.html.j2", "record_opinion")


def _complete(data: dict[str, Any]) -> None:
    causes = data.get("producer_cause", {})
    for key in ("design", "manufacturing", "warning"):
        if key not in causes:
            raise InvalidInput("missing (answer yes or no)", key="missing", field=f"producer_cause.{key}")


@router.post("/cases/{number}/opinion")
async def opinion(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        data = forms.opinion(form)
        if not field(form, "confirm"):
            raise InvalidInput("tick the confirmation to sign the form (signing is final)", key="confirm_sign",
                               field="confirm")
        if "producer_cause" in data:
            _complete(data)
        return uc.record_opinion(svc, viewer.user.name, number, viewer.user.expert_id or "", data)

    return await _expert_post(request, number, "opinion.html.j2", "record_opinion", run)


@router.post("/forms/preview")
async def preview(request: Request) -> Response:
    """The 会诊表's conclusions for the answers so far (the rules of states/rules.py; nothing is stored)."""
    viewer = await page_viewer(request)
    form = await read_form(request)
    if not csrf_ok(viewer.csrf, request.headers.get("x-csrf-token") or form.get("csrf_token")):
        raise WebError(403, CSRF_MESSAGE)

    async def as_json(error: str, status: int) -> Response:
        return JSONResponse({"error": {"status": 400, "code": "invalid_input", "message": error}}, status_code=400)

    on_refusal(request, as_json)
    return JSONResponse(queries.preview_opinion(forms.opinion(form)))
