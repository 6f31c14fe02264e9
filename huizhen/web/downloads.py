"""Papers and exports in the pages (issue 14): the minutes and the 会诊表 on the case page, an expert's signed
answers, the dossier and the event export for auditors, material previews, the fee statement and the year report
on 年度统计 — each through the same use case as its CLI command and API route (so the same permission check), and
each written down in the read log (workflow.readlog) in the same request. The auditors' pages of the read log
live here too."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from huizhen import dossier as builder
from huizhen import labels
from huizhen.cells import safe_cell
from huizhen.papers import printed
from huizhen.web.audit_words import WORDS, local_instant
from huizhen.web.auth import Viewer
from huizhen.web.common import attachment, call, page_viewer, render, web
from huizhen.web.inputs import mime_of
from huizhen.web.shared import material_response
from states.beijing import BEIJING
from states.errors import InvalidInput
from workflow import accounts, auditing, readlog, reports
from workflow import usecases as uc
from workflow.documents import form_context
from workflow.errors import NotFound

router = APIRouter(include_in_schema=False)

PAPER_FORMATS = ("pdf", "docx")
EXPORT_COLUMNS = ("case", "seq", "type", "schema_version", "actor", "occurred_at", "recorded_at", "payload",
                  "prev_hash", "hash")
PREVIEWABLE = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"})


async def logged(request: Request, who: str, what: str, number: str | None = None, item: str = "",
                 channel: str = "web") -> None:
    """Write down that WHO has just read WHAT: called after the use case handed the bytes over, before they go."""
    await call(readlog.record_read, web(request).svc, who, what, number, item, channel)


def _format(fmt: str, allowed: tuple[str, ...], what: str) -> str:
    if fmt not in allowed:
        raise NotFound(f"{what}.{fmt[:10]} does not exist ({', '.join(allowed)})", key="file_format_unknown",
                       name=f"{what}.{fmt[:10]}", allowed=list(allowed))
    return fmt


# --- the papers of a case ----------------------------------------------------------------------------------------


@router.get("/cases/{number}/papers/minutes.{fmt}")
async def minutes_file(request: Request, number: str, fmt: str) -> Response:
    """会议纪要 as PDF or DOCX (a draft before they are issued) for everyone who may read the case."""
    from huizhen.web.api_records import _paper

    viewer = await page_viewer(request)
    _format(fmt, PAPER_FORMATS, "minutes")
    data = await call(_paper, "minutes", web(request).svc, viewer.user.name, number, None, fmt)
    await logged(request, viewer.user.name, "minutes", number, fmt)
    return attachment(data, f"{number}-minutes.{fmt}")


@router.get("/cases/{number}/papers/form.{fmt}")
async def form_file(request: Request, number: str, fmt: str) -> Response:
    """The 会诊表: blank (no ?expert=), or one expert's signed form — the expert's own, or any for the organisers."""
    from huizhen.web.api_records import _paper

    viewer = await page_viewer(request)
    _format(fmt, PAPER_FORMATS, "form")
    expert = request.query_params.get("expert", "").strip()[:16] or None
    data = await call(_paper, "form", web(request).svc, viewer.user.name, number, expert, fmt)
    await logged(request, viewer.user.name, "form" if expert else "blank_form", number,
                 f"{expert}.{fmt}" if expert else fmt)
    return attachment(data, f"{number}-form{'-' + expert if expert else ''}.{fmt}")


@router.get("/cases/{number}/forms/{expert}")
async def expert_record(request: Request, number: str, expert: str) -> Response:
    """An expert's signed 会诊表 as a page: every answer they recorded, the conclusions, the downloads."""
    viewer = await page_viewer(request)
    ctx = await call(form_context, web(request).svc, viewer.user.name, number, expert[:16])
    await logged(request, viewer.user.name, "expert_record", number, expert[:16])
    return render(request, "expert_form.html.j2", {"f": ctx, "number": number, "printed": printed}, viewer=viewer)


@router.get("/cases/{number}/materials/{sha256}/preview")
async def material_preview(request: Request, number: str, sha256: str) -> Response:
    """A material shown in the page (PDF in a frame, images inline); other kinds are downloaded."""
    viewer = await page_viewer(request)
    item, data = await call(uc.material, web(request).svc, viewer.user.name, number, sha256)
    await logged(request, viewer.user.name, "material", number, str(item["filename"]))
    mime = mime_of(str(item["filename"]))
    if mime not in PREVIEWABLE:
        return material_response(item, data)
    # Only this response may sit in a frame, and only in our own pages; it runs nothing.
    return Response(data, media_type=mime, headers={
        "Content-Disposition": "inline", "X-Content-SHA256": str(item["sha256"]), "X-Frame-Options": "SAMEORIGIN",
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
                                   "frame-ancestors 'self'; object-src 'self'",
        "Cache-Control": "private, no-store"})


def events_jsonl(events: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in events)


def events_csv(events: list[dict[str, Any]]) -> str:
    """The event log as CSV, formula-safe (huizhen.cells), the payload as JSON in one cell."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(EXPORT_COLUMNS), extrasaction="ignore")
    writer.writeheader()
    for e in events:
        row = {**e, "payload": json.dumps(e["payload"], ensure_ascii=False, sort_keys=True)}
        writer.writerow({k: safe_cell(row.get(k)) for k in EXPORT_COLUMNS})
    return buf.getvalue()


@router.get("/cases/{number}/export.{fmt}")
async def export_file(request: Request, number: str, fmt: str) -> Response:
    """The case's event log with hashes (huizhen audit export): JSON Lines or CSV; auditors and admins."""
    viewer = await page_viewer(request)
    _format(fmt, ("jsonl", "csv"), "export")
    events = await call(uc.export_events, web(request).svc, viewer.user.name, number)
    text = events_jsonl(events) if fmt == "jsonl" else events_csv(events)
    await logged(request, viewer.user.name, "export", number, fmt)
    data = text.encode("utf-8-sig" if fmt == "csv" else "utf-8")
    return attachment(data, f"{number}-events.{fmt}", "application/x-ndjson" if fmt == "jsonl" else "text/csv")


@router.get("/cases/{number}/dossier.zip")
async def dossier_file(request: Request, number: str) -> Response:
    """The archive dossier (huizhen audit dossier); it verifies offline with `huizhen audit dossier-verify`."""
    viewer = await page_viewer(request)
    svc = web(request).svc

    def build() -> bytes:
        with tempfile.TemporaryDirectory(prefix="huizhen-dossier-") as tmp:
            out = Path(tmp) / "dossier.zip"
            builder.build(svc, viewer.user.name, number, out, svc.clock.now())
            return out.read_bytes()

    data = await call(build)
    await logged(request, viewer.user.name, "dossier", number, "zip")
    return attachment(data, f"{number}-dossier.zip", "application/zip")


# --- 年度统计: the fee statement and the year report -------------------------------------------------------------


def _year(request: Request, svc: Any) -> int:
    raw = request.query_params.get("year", "").strip() or str(svc.clock.now().astimezone(BEIJING).year)
    if not raw.isdigit() or len(raw) != 4:
        raise InvalidInput(f"{raw[:20]!r} is not a year", key="year_invalid", field="year", value=raw[:20])
    return int(raw)


@router.get("/reports/statement.{fmt}")
async def statement_file(request: Request, fmt: str) -> Response:
    """An institution's fee statement of a year (huizhen fee statement) as CSV or XLSX."""
    from huizhen.yearly_render import write_statement

    viewer = await page_viewer(request)
    _format(fmt, ("csv", "xlsx"), "statement")
    svc = web(request).svc
    year = _year(request, svc)
    inst = request.query_params.get("institution", "").strip().upper() or (viewer.user.institution or "")
    statement = (await call(accounts.fee_statement, svc, viewer.user.name, inst, year)).to_dict()
    with tempfile.TemporaryDirectory(prefix="huizhen-statement-") as tmp:
        files = await call(write_statement, statement, Path(tmp))
        path = Path(files[fmt])
        data = path.read_bytes()
    await logged(request, viewer.user.name, "fee_statement", None, path.name)
    return attachment(data, path.name)


@router.get("/reports/year.{fmt}")
async def year_report_file(request: Request, fmt: str) -> Response:
    """The year report (huizhen report year): Markdown, JSON, or a ZIP of both with the charts (PNG)."""
    from huizhen.yearly_render import write_report

    viewer = await page_viewer(request)
    _format(fmt, ("md", "json", "zip"), "year")
    svc = web(request).svc
    year = _year(request, svc)
    inst = request.query_params.get("institution", "").strip().upper() or None
    report = await call(reports.yearly_report, svc, viewer.user.name, year, inst)
    with tempfile.TemporaryDirectory(prefix="huizhen-report-") as tmp:
        full = await call(write_report, report, Path(tmp))
        files = full["files"]
        stem = Path(files["markdown"]).stem
        if fmt == "zip":
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                for name in [files["markdown"], files["json"], *files["charts"].values()]:
                    z.write(Path(tmp) / name, name)
            data, name = buf.getvalue(), f"{stem}.zip"
        else:
            name = files["markdown"] if fmt == "md" else files["json"]
            data = (Path(tmp) / name).read_bytes()
    await logged(request, viewer.user.name, "year_report", None, name)
    return attachment(data, name, "text/markdown; charset=utf-8" if fmt == "md" else None)


# --- 阅读记录: the read log, for auditors and admins -------------------------------------------------------------


def _day(raw: str, field: str) -> datetime | None:
    """A YYYY-MM-DD from a date picker: the start of that Beijing day."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw[:10]).replace(tzinfo=BEIJING)
    except ValueError:
        raise InvalidInput(f"{raw[:20]!r} is not a date (YYYY-MM-DD)", key="date_invalid", field=field,
                           value=raw[:20]) from None


def read_filters(request: Request) -> dict[str, Any]:
    q = request.query_params
    since = _day(q.get("since", ""), "since")
    until = _day(q.get("until", ""), "until")
    return {"case": q.get("case", "").strip()[:32], "user": q.get("user", "").strip()[:64],
            "since": since, "until": until + timedelta(days=1) if until else None,  # the end day counts whole
            "since_raw": q.get("since", "").strip()[:10], "until_raw": q.get("until", "").strip()[:10]}


async def _reads(request: Request, viewer: Viewer) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    f = read_filters(request)
    rows = await call(readlog.read_log, web(request).svc, viewer.user.name, f["case"], f["user"], f["since"],
                      f["until"])
    return f, rows


READ_COLUMNS = ("at", "user_name", "role", "what", "case_number", "item", "channel")
READ_HEADINGS = ("时间（北京时间）", "人员", "角色", "内容", "案件", "文件/专家", "途径")


def reads_csv(rows: list[dict[str, Any]]) -> str:
    """The read log as CSV: Chinese headings, Beijing time, words for codes, every cell formula-safe."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(READ_HEADINGS)
    for r in rows:
        w.writerow([safe_cell(v) for v in (
            datetime.fromisoformat(r["at"]).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"), r["user_name"],
            labels.label("role", r["role"]), labels.label("read", r["what"]), r["case_number"] or "", r["item"],
            labels.label("read_channel", r["channel"]))])
    return buf.getvalue()


@router.get("/audit/reads")
async def reads_page(request: Request) -> Response:
    viewer = await page_viewer(request)
    f, rows = await _reads(request, viewer)
    query = urlencode({k: v for k, v in (("case", f["case"]), ("user", f["user"]), ("since", f["since_raw"]),
                                         ("until", f["until_raw"])) if v})
    return render(request, "audit_reads.html.j2", {"f": f, "rows": rows[:500], "total": len(rows),
                                                    "query": query}, viewer=viewer)


@router.get("/audit/reads.csv")
async def reads_file(request: Request) -> Response:
    viewer = await page_viewer(request)
    _, rows = await _reads(request, viewer)
    await logged(request, viewer.user.name, "read_log", None, "csv")
    return attachment(reads_csv(rows).encode("utf-8-sig"), "read-log.csv", "text/csv")


# --- the auditor's tools on /audit/cases/N: the event's content in words, the comparison of two instants ----------


async def audit_tools(request: Request, viewer: Viewer, number: str) -> dict[str, Any]:
    """What the audit page of a case adds (issue 14): the words for payloads, and the diff when both instants of
    the comparison form are given (date-time pickers, Beijing time)."""
    q = request.query_params
    start = local_instant(q.get("from", ""), "from")
    end = local_instant(q.get("to", ""), "to")
    diff = None
    if start is not None and end is not None:
        diff = await call(auditing.case_diff, web(request).svc, viewer.user.name, number, start, end)
    elif start is not None or end is not None:
        raise InvalidInput("give both instants to compare", key="diff_needs_both", field="to" if start else "from")
    return {"words": WORDS, "diff": diff, "diff_from": q.get("from", "")[:19], "diff_to": q.get("to", "")[:19]}
