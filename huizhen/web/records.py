"""The pages of the record: the year in figures, retention (Art. 9), the auditors' room, the inbox and the API's
help."""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from huizhen import labels
from huizhen.clock import parse_instant
from huizhen.web import checkpoint_web, diagram
from huizhen.web.audit_words import local_instant
from huizhen.web.auth import Viewer
from huizhen.web.common import (
    attachment,
    call,
    field,
    on_refusal,
    page_viewer,
    posted,
    render,
    web,
)
from huizhen.web.downloads import audit_tools
from huizhen.web.inputs import text
from huizhen.yearly_render import CHART_NAMES, draw_charts, write_destruction_list
from states.beijing import BEIJING
from states.errors import InvalidInput
from workflow import accounts, reports, timekeeping
from workflow import usecases as uc
from workflow.errors import NotFound

router = APIRouter(include_in_schema=False)


# --- the year in figures ------------------------------------------------------------------------------------

_chart_cache: dict[str, dict[str, bytes]] = {}


def _report_query(request: Request, svc: Any) -> tuple[int, str | None]:
    raw = request.query_params.get("year", "").strip() or str(svc.clock.now().astimezone(BEIJING).year)
    if not raw.isdigit() or len(raw) != 4:
        raise InvalidInput(f"{raw[:20]!r} is not a year", key="year_invalid", field="year", value=raw[:20])
    inst = request.query_params.get("institution", "").strip().upper() or None
    return int(raw), inst


def _charts_of(report: dict[str, Any]) -> dict[str, bytes]:
    """The report's PNG charts, drawn once per distinct set of figures (the web keeps the last few)."""
    figures = {k: v for k, v in report.items() if k != "generated_at"}
    key = hashlib.sha256(json.dumps(figures, sort_keys=True, default=str).encode()).hexdigest()
    if key not in _chart_cache:
        with tempfile.TemporaryDirectory(prefix="huizhen-charts-") as tmp:
            files = draw_charts(report, Path(tmp), "chart")
            _chart_cache[key] = {name: (Path(tmp) / file).read_bytes() for name, file in files.items()}
        while len(_chart_cache) > 16:
            _chart_cache.pop(next(iter(_chart_cache)))
    return _chart_cache[key]


@router.get("/reports")
async def report_page(request: Request) -> Response:
    """年度统计: the figures of `huizhen report year` for liaisons, admins and auditors, with the charts."""
    viewer = await page_viewer(request)
    svc = web(request).svc
    year, inst = _report_query(request, svc)
    report = await call(reports.yearly_report, svc, viewer.user.name, year, inst)
    return render(request, "report.html.j2", {"r": report, "charts": CHART_NAMES}, viewer=viewer)


@router.get("/reports/charts/{name}")
async def report_chart(request: Request, name: str) -> Response:
    viewer = await page_viewer(request)
    svc = web(request).svc
    chart = name.removesuffix(".png")
    if chart not in CHART_NAMES:
        raise NotFound(f"chart {name[:40]!r} does not exist ({', '.join(CHART_NAMES)})", key="chart_not_found",
                       chart=name[:40])
    year, inst = _report_query(request, svc)
    report = await call(reports.yearly_report, svc, viewer.user.name, year, inst)
    data = (await call(_charts_of, report))[chart]
    return Response(data, media_type="image/png", headers={"Cache-Control": "private, max-age=60"})


# --- retention (Art. 9): what is kept until when; admins appraise, hold and purge ---------------------------


async def retention_page(request: Request, viewer: Viewer, *, error: str = "", status: int = 200,
                         result: dict[str, Any] | None = None) -> Response:
    svc = web(request).svc
    rows = await call(accounts.retention_list, svc, viewer.user.name)
    purged = await call(accounts.retention_list, svc, viewer.user.name, True)
    ok = request.query_params.get("ok", "") if status == 200 else ""
    ctx = {"rows": rows, "purged": purged, "error": error, "ok": ok, "result": result,
           "years": svc.policy.retention_years}
    return render(request, "retention.html.j2", ctx, status, viewer)


@router.get("/retention")
async def retention(request: Request) -> Response:
    return await retention_page(request, await page_viewer(request))


def _refused_to_retention(request: Request, viewer: Viewer) -> None:
    async def again(error: str, status: int) -> Response:
        return await retention_page(request, viewer, error=error, status=status)

    on_refusal(request, again)


async def _retention_act(request: Request, ok: str, run: Callable[[Viewer, FormData], Any]) -> Response:
    viewer, form = await posted(request)
    _refused_to_retention(request, viewer)
    await call(run, viewer, form)
    return RedirectResponse(f"/retention?ok={ok}", status_code=303)


@router.post("/retention/{number}/appraise")
async def retention_appraise(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        approver = text(field(form, "approver"), "approver", required=True, max_len=100)
        note = text(field(form, "note"), "note", required=True, max_len=2000)
        return accounts.appraise(svc, viewer.user.name, number, approver, note)

    return await _retention_act(request, "appraised", run)


@router.post("/retention/{number}/hold")
async def retention_hold(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        reason = text(field(form, "reason"), "reason", required=True, max_len=2000)
        return accounts.place_hold(svc, viewer.user.name, number, reason)

    return await _retention_act(request, "held", run)


@router.post("/retention/{number}/release")
async def retention_release(request: Request, number: str) -> Response:
    svc = web(request).svc

    def run(viewer: Viewer, form: FormData) -> Any:
        return accounts.release_hold(svc, viewer.user.name, number, text(field(form, "reason"), "reason",
                                                                           max_len=2000))

    return await _retention_act(request, "released", run)


@router.post("/retention/purge")
async def retention_purge(request: Request) -> Response:
    """Destroy what is eligible (never anything else); the page then lists what went and what was refused, with
    the destruction list to download."""
    viewer, form = await posted(request)
    svc = web(request).svc
    _refused_to_retention(request, viewer)
    if field(form, "confirm") != "yes":
        raise InvalidInput("tick the box to destroy the eligible cases (this cannot be undone)",
                           key="confirm_purge", field="confirm")
    result = await call(accounts.purge, svc, viewer.user.name, [])
    return await retention_page(request, viewer, result=result.to_dict())


@router.get("/retention/destruction-lists/{name}")
async def destruction_list_file(request: Request, name: str) -> Response:
    """销毁清单 BATCH as CSV or PDF, drawn from its tombstones."""
    viewer = await page_viewer(request)
    w = web(request)
    batch, _, fmt = name.rpartition(".")
    if fmt not in ("csv", "pdf") or not batch:
        raise NotFound(f"destruction list {name[:60]!r} does not exist (BATCH.csv or BATCH.pdf)",
                       key="destruction_list_not_found", batch=name[:60])
    rows = await call(accounts.destruction_list, w.svc, viewer.user.name, batch)
    with tempfile.TemporaryDirectory(prefix="huizhen-destruction-") as tmp:
        files = await call(write_destruction_list, batch, rows, w.hz.settings.members, Path(tmp))
        data = Path(files[fmt]).read_bytes()
    from huizhen.web.downloads import logged  # the read log (issue 14)

    await logged(request, viewer.user.name, "destruction_list", None, f"{batch}.{fmt}")
    return attachment(data, f"destruction-list-{batch}.{fmt}")


# --- the auditors' room ----------------------------------------------------------------------------------------


@router.get("/audit")
async def audit(request: Request) -> Response:
    viewer = await page_viewer(request)
    svc = web(request).svc
    findings = await call(uc.verify_audit, svc, viewer.user.name)
    cases = await call(uc.list_cases, svc, viewer.user.name)
    kept = await call(checkpoint_web.audit_context, request, viewer.user.name)
    return render(request, "audit.html.j2", {"findings": findings, "cases": cases, **kept}, viewer=viewer)


def _at(request: Request) -> datetime | None:
    raw = request.query_params.get("at", "").strip()
    if not raw:  # the page's date-time picker (issue 14): Beijing time without an offset
        return local_instant(request.query_params.get("at_local", ""), "at_local")
    return parse_instant(raw, "at")


@router.get("/audit/cases/{number}")
async def audit_case(request: Request, number: str) -> Response:
    viewer = await page_viewer(request)
    svc = web(request).svc
    findings = await call(uc.verify_audit, svc, viewer.user.name, number)
    events = await call(uc.history, svc, viewer.user.name, number)
    at = _at(request)
    replay = await call(uc.replay_at, svc, viewer.user.name, number, at)
    index = len(events) - 1
    if at is not None:
        index = max([i for i, e in enumerate(events) if datetime.fromisoformat(e["occurred_at"]) <= at] or [0])
    tools = await audit_tools(request, viewer, number)
    return render(request, "audit_case.html.j2", {"number": number, "findings": findings, "events": events,
                                                  "replay": replay, "index": index, "at": at,
                                                  "diagram": diagram.figure(replay["status"]), **tools},
                  viewer=viewer)


@router.get("/audit/cases/{number}/replay")
async def audit_replay(request: Request, number: str) -> Response:
    viewer = await page_viewer(request)
    at = _at(request)
    replay = await call(uc.replay_at, web(request).svc, viewer.user.name, number, at)
    return render(request, "_replay.html.j2", {"replay": replay, "at": at,
                                               "diagram": diagram.figure(replay["status"])}, viewer=viewer)


@router.get("/inbox")
async def inbox(request: Request) -> Response:
    """Your in-app messages: reminders (督办), invitations and minutes."""
    viewer = await page_viewer(request)
    items = await call(timekeeping.inbox, web(request).svc, viewer.user.name, False)
    prefs = await call(timekeeping.notification_prefs, web(request).svc, viewer.user.name)
    return render(request, "inbox.html.j2", {"items": list(reversed(items)), "prefs": prefs}, viewer=viewer)


@router.post("/inbox/prefs")
async def inbox_prefs(request: Request) -> Response:
    """我的设置: notices by mail on or off (the inbox is always on)."""
    viewer, form = await posted(request)
    choice = text(form.get("email"), "email")
    if choice not in ("on", "off"):
        raise InvalidInput(f"email must be on or off, not {choice!r}", key="email_pref_invalid", field="email",
                           value=choice)
    on = choice == "on"
    await call(timekeeping.set_email_notices, web(request).svc, viewer.user.name, viewer.user.name, on)
    return RedirectResponse("/inbox", status_code=303)


@router.post("/inbox/read")
async def inbox_read(request: Request) -> Response:
    viewer, _ = await posted(request)
    await call(timekeeping.inbox, web(request).svc, viewer.user.name, True)
    return RedirectResponse("/inbox", status_code=303)


@router.get("/deliveries")
async def deliveries(request: Request) -> Response:
    """Admins: mails and webhooks abandoned after the retry horizon, each with its last error, to send again."""
    viewer = await page_viewer(request)
    rows = await call(timekeeping.abandoned_deliveries, web(request).svc, viewer.user.name)
    return render(request, "deliveries.html.j2", {"rows": rows, "sent": request.query_params.get("sent")},
                  viewer=viewer)


@router.post("/deliveries/retry")
async def deliveries_retry(request: Request) -> Response:
    viewer, form = await posted(request)
    hz = web(request).hz
    await call(timekeeping.may_retry_deliveries, hz.services, viewer.user.name)
    ids = [int(v) for v in form.getlist("id") if isinstance(v, str) and v.isdigit()]
    report = await call(hz.sweeper().retry_abandoned, ids or None)
    return RedirectResponse(f"/deliveries?sent={len(report.sent)}", status_code=303)


@router.get("/help/api")
async def api_help(request: Request) -> Response:
    viewer = await page_viewer(request)
    schema = request.app.openapi()
    words = labels.table("api")
    endpoints = []
    for path, item in schema.get("paths", {}).items():
        for method in item:
            key = f"{method.upper()} {path.removeprefix('/api/v1')}"
            command = path.rsplit("/", 1)[-1]
            summary = words.get(key) or labels.ACTION_LABELS.get(command) or "（说明待补充）"
            endpoints.append({"method": method.upper(), "path": path, "summary": summary})
    return render(request, "api_help.html.j2", {"endpoints": endpoints}, viewer=viewer)
