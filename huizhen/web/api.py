"""The JSON API under /api/v1: every command and query of the CLI, authenticated with per-user API tokens
(`Authorization: Bearer <token>`, issued by `huizhen users token NAME`). Each endpoint calls one use case.

Errors are `{"error": {"status", "code", "message", "key", "field", "params"}}`: `message` is the sentence in
Chinese (the field by its Chinese name), `key` which sentence it is, `field` the input's path, `params` its values.
400 bad input, 401 no or bad token, 403 not permitted, 404 not found, 409 not allowed in the case's state / a rule
of the regulation not met / someone else acted first, 413 too large, 415 unsupported file type.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from huizhen import case_export
from huizhen.commands import run_simple
from huizhen.web.auth import Viewer
from huizhen.web.common import WebError, api_viewer, call, web
from huizhen.web.inputs import UploadRefused, check_upload, no_markup, upload_name
from huizhen.web.shared import material_response, meeting_instant, simple_actions
from states.commands import Command
from states.errors import InvalidInput
from workflow import finding, nominations, queries, timekeeping
from workflow import usecases as uc

router = APIRouter(prefix="/api/v1", tags=["huizhen"])
Me = Annotated[Viewer, Depends(api_viewer)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Product(Body):
    name: str | None = None
    model: str | None = None
    brand: str | None = None
    producer: str | None = None
    registered_province: str | None = None
    production_province: str | None = None
    test_basis: str | None = None
    report_numbers: list[str] = []
    suspected_defect: str | None = None


class Basis(Body):
    samr_assignment: str | None = None
    joint_decision: str | None = None


class CaseFile(Body):
    """产品及生产信息 — the same content as a case file (`huizhen case new FILE.yaml`)."""
    product: Product = Product()
    sources: list[str] = []
    source_other: str | None = None
    basis: Basis = Basis()


class Reason(Body):
    reason: str = ""


class Note(Body):
    note: str


class Panel(Body):
    experts: list[str]
    reason: str = ""


class Analysis(Body):
    expert: str | None = Field(default=None, description="your expert id (default: your own)")
    text: str


class Opinion(Body):
    expert: str | None = Field(default=None, description="your expert id (default: your own)")
    answers: dict[str, Any] = Field(description="the 会诊信息 answers, as in an opinion file")


class Chase(Body):
    expert: str
    note: str = ""


class Absence(Body):
    expert: str
    reason: str


class Attendance(Body):
    institution: str = Field(description="the member institution's code, e.g. SH")
    staff: list[str] = Field(default=[], description="its 1–2 staff at the meeting, by real name")
    absent: bool = Field(default=False, description="true: the institution sent no one")


class Statement(Body):
    expert: str
    text: str
    order: int | None = Field(default=None, description="the speaking order (default: the order of recording)")


class MinutesText(Body):
    summary: str | None = Field(default=None, description="the discussion (讨论情况)")
    decision_text: str | None = Field(default=None, description="the decision's wording (会诊意见表述)")
    follow_up: str | None = Field(default=None, description="the follow-up (后续工作)")


class MinutesCorrection(MinutesText):
    reason: str


class Meeting(Body):
    at: str = Field(description="ISO 8601 instant with offset, e.g. 2026-10-14T14:00:00+08:00")
    platform: str
    link: str | None = None
    attendees: list[str] = []
    order: list[str] = []


# --- i12-panel ---
class Nomination(Body):
    experts: list[str]
    note: str = ""


class Answer(Body):
    expert: str | None = Field(default=None, description="your expert id (default: your own)")
    answer: str = Field(description="accept | decline")
    employer: str | None = Field(default=None, description="default: the expert pool's record")
    province: str | None = Field(default=None, description="default: the expert pool's record")
    relation: str = Field(default="none", description="relation to the producer: none | related")
    relation_text: str = ""
    note: str = ""


class Keep(Body):
    expert: str
    reason: str


class YearFile(Body):
    content: str = Field(description="a year file's YAML text (scheduler/years/README.md)")


def _clean(body: BaseModel | None) -> None:
    if body is not None:
        no_markup(body.model_dump(), "body")


def _me(viewer: Viewer) -> str:
    return viewer.user.name


# --- who am I, what is there ---------------------------------------------------------------------------------


@router.get("/me", summary="The signed-in user")
async def me(viewer: Me) -> dict[str, Any]:
    u = viewer.user
    return {"name": u.name, "role": u.role, "institution": u.institution, "expert": u.expert_id}


def _asked(status: str | None, institution: str | None, year: str | None, q: str | None, sort: str | None,
           mine: str | None) -> dict[str, Any]:
    return {"state": status, "institution": institution, "year": year, "q": q, "sort": sort, "mine": mine}


@router.get("/cases", summary="Cases you may see, 50 a page (huizhen case list): search, sort, filters")
async def list_cases(request: Request, viewer: Me, status: str | None = None, institution: str | None = None,
                     year: str | None = None, q: str | None = None, sort: str | None = None,
                     mine: str | None = None, page: str | None = None, limit: str | None = None) -> dict[str, Any]:
    """`{items, total, page, pages, limit, next}`. `q`: every space-separated term is a substring of the number,
    product name, model, brand, producer, a report number or the suspected defect; `sort`: deadline (default),
    number, updated, status; `mine`: me (待我处理) or institution (待本单位处理)."""
    return await call(finding.case_list, web(request).svc, _me(viewer), page=page, limit=limit,
                      **_asked(status, institution, year, q, sort, mine))


async def _export(request: Request, viewer: Viewer, fmt: str, asked: dict[str, Any]) -> Response:
    svc = web(request).svc
    rows = await call(finding.export_rows, svc, _me(viewer), **asked)
    data = await call(case_export.export_bytes, fmt, rows)
    name = case_export.filename(fmt, svc.clock.now())
    return Response(data, media_type=case_export.MIME[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/cases/export.csv", summary="The filtered list, every page, as CSV (same filters as /cases)",
            response_class=Response)
async def export_csv(request: Request, viewer: Me, status: str | None = None, institution: str | None = None,
                     year: str | None = None, q: str | None = None, sort: str | None = None,
                     mine: str | None = None) -> Response:
    return await _export(request, viewer, "csv", _asked(status, institution, year, q, sort, mine))


@router.get("/cases/export.xlsx", summary="The filtered list, every page, as XLSX (same filters as /cases)",
            response_class=Response)
async def export_xlsx(request: Request, viewer: Me, status: str | None = None, institution: str | None = None,
                      year: str | None = None, q: str | None = None, sort: str | None = None,
                      mine: str | None = None) -> Response:
    return await _export(request, viewer, "xlsx", _asked(status, institution, year, q, sort, mine))


@router.get("/cases/similar", summary="Earlier cases you may see with the same producer, model or report number")
async def similar(request: Request, viewer: Me, producer: str | None = None, model: str | None = None,
                  report: Annotated[list[str] | None, Query()] = None) -> list[dict[str, Any]]:
    product = {"producer": producer or "", "model": model or "", "report_numbers": report or []}
    return await call(finding.similar_cases, web(request).svc, _me(viewer), product)


@router.get("/dashboard", summary="The coordinators' dashboard: rows with working days left and 督办 colours")
async def dashboard(request: Request, viewer: Me, state: str | None = None, institution: str | None = None,
                    year: str | None = None, q: str | None = None, sort: str | None = None, mine: str | None = None,
                    page: str | None = None) -> dict[str, Any]:
    return await call(queries.dashboard, web(request).svc, _me(viewer), state, institution, year, q, sort, mine,
                      page)


@router.get("/events/latest", summary="The event log's highest id (poll it to notice changes)")
async def latest_event(request: Request, viewer: Me) -> dict[str, int]:
    return {"max_id": await call(web(request).store.max_event_id)}


# --- one case ------------------------------------------------------------------------------------------------


@router.post("/cases", status_code=201, summary="Open a case (huizhen case new)")
async def new_case(request: Request, viewer: Me, body: CaseFile) -> dict[str, Any]:
    _clean(body)
    svc = web(request).svc
    case = await call(uc.new_case, svc, _me(viewer), body.model_dump(exclude_none=True))
    shown = await call(uc.show_case, svc, _me(viewer), case.number)
    # A warning, not a refusal: earlier cases with the same producer, model or report number (issue 14).
    shown["similar"] = await call(finding.similar_cases, svc, _me(viewer), case.product, case.number)
    return shown


@router.get("/cases/{number}", summary="One case (huizhen case show)")
async def show_case(request: Request, viewer: Me, number: str) -> dict[str, Any]:
    return await call(uc.show_case, web(request).svc, _me(viewer), number)


@router.put("/cases/{number}", summary="Replace a draft's product section (huizhen case edit)")
async def edit_case(request: Request, viewer: Me, number: str, body: CaseFile) -> dict[str, Any]:
    _clean(body)
    svc = web(request).svc
    await call(uc.edit_case, svc, _me(viewer), number, body.model_dump(exclude_none=True))
    return await call(uc.show_case, svc, _me(viewer), number)


@router.get("/cases/{number}/actions", summary="What you may do on the case now (and what still blocks it)")
async def actions(request: Request, viewer: Me, number: str) -> list[dict[str, Any]]:
    return await call(queries.available_actions, web(request).svc, _me(viewer), number)


@router.get("/cases/{number}/panel", summary="The panel with each expert's record and progress")
async def panel(request: Request, viewer: Me, number: str) -> list[dict[str, Any]]:
    return await call(queries.panel_of, web(request).svc, _me(viewer), number)


@router.get("/cases/{number}/history", summary="The case's events, oldest first (huizhen case history)")
async def history(request: Request, viewer: Me, number: str) -> list[dict[str, Any]]:
    return await call(uc.history, web(request).svc, _me(viewer), number)


async def _shown(request: Request, viewer: Viewer, number: str) -> dict[str, Any]:
    return await call(uc.show_case, web(request).svc, _me(viewer), number)


# The API's words for the simple commands of the catalogue (a row without them is summarised by its name).
SIMPLE_SUMMARIES: dict[str, str] = {
    "submit": "Submit the application (Art. 6–7)",
    "dispatch": "Send the materials to the panel; starts T1 (Art. 8(2))",
    "refer": "Refer to the lead; starts T2 (Art. 8(3)); reason needed when analyses are missing after T1",
    "convene": "The online meeting is held (Art. 8(4))",
    "decide": "Count the forms by majority (Art. 8(6))",
    "issue_minutes": "Issue the minutes, cc'd to the other institutions (Art. 8(7))",
    "archive": "Archive a decided case whose minutes are issued (Art. 9)",
    "conclude": "End continued attention (reason required); archives the case",
    "withdraw": "Withdraw the application (reason required)",
    "cancel_meeting": "Cancel the scheduled meeting (everyone invited is told)",
}


def simple_routes() -> list[tuple[str, Command, str]]:
    """(URL slug, catalogue row, summary) of each simple command: POST /api/v1/cases/{number}/SLUG."""
    return [(cmd.route, cmd, SIMPLE_SUMMARIES.get(cmd.name, cmd.name.replace("_", " ")))
            for cmd in simple_actions().values()]


def simple_router() -> APIRouter:
    """The simple commands' routes, from the catalogue as it is when the app is made."""
    simple = APIRouter(prefix="/api/v1", tags=["huizhen"])
    for slug, cmd, summary in simple_routes():
        simple.add_api_route(f"/cases/{{number}}/{slug}", _simple_endpoint(slug, cmd), methods=["POST"],
                             summary=summary, name=f"case_{slug.replace('/', '_')}")
    return simple


def _simple_endpoint(slug: str, cmd: Command) -> Any:
    async def endpoint(request: Request, viewer: Me, number: str, body: Reason | None = None) -> dict[str, Any]:
        _clean(body)
        svc, reason = web(request).svc, (body.reason if body else "")
        await call(run_simple, cmd, svc, _me(viewer), number, reason)
        return await _shown(request, viewer, number)

    endpoint.__name__ = f"case_{slug.replace('/', '_')}"
    return endpoint


@router.post("/cases/{number}/reopen", summary="End continued attention with a new linked draft (reason required)")
async def reopen(request: Request, viewer: Me, number: str, body: Reason) -> dict[str, Any]:
    _clean(body)
    old, new = await call(uc.reopen, web(request).svc, _me(viewer), number, body.reason)
    return {"archived": old.number, "new_case": new.number}


@router.post("/cases/{number}/verify", summary="Record the preliminary verification (初步核实判断, Art. 7)")
async def verify(request: Request, viewer: Me, number: str, body: Note) -> dict[str, Any]:
    _clean(body)
    await call(uc.verify, web(request).svc, _me(viewer), number, body.note)
    return await _shown(request, viewer, number)


@router.post("/cases/{number}/concur", summary="Concur with a draft's joint decision (Art. 4(3)), for your institution")
async def concur(request: Request, viewer: Me, number: str, body: Note) -> dict[str, Any]:
    _clean(body)
    await call(uc.concur, web(request).svc, _me(viewer), number, body.note)
    return await _shown(request, viewer, number)


@router.post("/cases/{number}/panel", summary="Form the panel (Art. 8(1)): odd size ≥ 3; an even one needs a reason")
async def form_panel(request: Request, viewer: Me, number: str, body: Panel) -> dict[str, Any]:
    _clean(body)
    await call(uc.form_panel, web(request).svc, _me(viewer), number, body.experts, body.reason)
    return await _shown(request, viewer, number)


@router.post("/cases/{number}/nominations", summary="Nominate experts of your own province's pool (Art. 8(1))")
async def nominate(request: Request, viewer: Me, number: str, body: Nomination) -> dict[str, Any]:
    _clean(body)
    await call(nominations.nominate, web(request).svc, _me(viewer), number, body.experts, body.note)
    return await _shown(request, viewer, number)


@router.delete("/cases/{number}/nominations/{expert}", summary="Withdraw your institution's nomination")
async def withdraw_nomination(request: Request, viewer: Me, number: str, expert: str) -> dict[str, Any]:
    no_markup(expert, "expert")
    await call(nominations.withdraw_nomination, web(request).svc, _me(viewer), number, expert)
    return await _shown(request, viewer, number)


@router.post("/cases/{number}/response", summary="Accept or decline a panel and declare conflicts (Art. 8(1))")
async def respond(request: Request, viewer: Me, number: str, body: Answer) -> dict[str, Any]:
    _clean(body)
    expert = body.expert or viewer.user.expert_id or ""
    await call(nominations.respond, web(request).svc, _me(viewer), number, expert, body.answer,
               employer=body.employer, province=body.province, relation=body.relation,
               relation_text=body.relation_text, note=body.note)
    return await _shown(request, viewer, number)


@router.post("/cases/{number}/keep-expert", summary="Keep an expert who declared a conflict, for a reason")
async def keep_expert(request: Request, viewer: Me, number: str, body: Keep) -> dict[str, Any]:
    _clean(body)
    await call(nominations.keep_expert, web(request).svc, _me(viewer), number, body.expert, body.reason)
    return await _shown(request, viewer, number)


@router.post("/cases/{number}/materials", status_code=201, summary="Attach a material (stored by SHA-256)")
async def attach(request: Request, viewer: Me, number: str, file: Annotated[UploadFile, File()],
                 kind: Annotated[str, Form()] = "other") -> dict[str, Any]:
    svc = web(request).svc
    no_markup(kind, "kind")
    await call(queries.preflight, svc, _me(viewer), number, "attach")
    try:
        name = upload_name(file.filename)
        data = await file.read()
        check_upload(name, data, svc.max_material_bytes)
    except UploadRefused as exc:
        raise WebError(exc.status, f"上传被拒绝：{exc.message}") from None
    case = await call(uc.attach, svc, _me(viewer), number, name, data, kind)
    return {"case": case.number, **case.materials[-1]}


@router.get("/cases/{number}/materials/{sha256}", summary="Download a material", response_class=Response)
async def download(request: Request, viewer: Me, number: str, sha256: str) -> Response:
    item, data = await call(uc.material, web(request).svc, _me(viewer), number, sha256)
    from huizhen.web.downloads import logged  # the read log (issue 14)

    await logged(request, _me(viewer), "material", number, str(item["filename"]), "api")
    return material_response(item, data)


@router.post("/cases/{number}/analyses", summary="Record your preliminary analysis (Art. 8(2))")
async def record_analysis(request: Request, viewer: Me, number: str, body: Analysis) -> dict[str, Any]:
    _clean(body)
    expert = body.expert or viewer.user.expert_id or ""
    await call(uc.record_analysis, web(request).svc, _me(viewer), number, expert, body.text)
    return await _shown(request, viewer, number)


@router.post("/cases/{number}/meeting", summary="Schedule or change the online meeting (Art. 8(4)); sends .ics")
async def schedule(request: Request, viewer: Me, number: str, body: Meeting) -> dict[str, Any]:
    _clean(body)
    at = meeting_instant(body.at)
    await call(uc.schedule_meeting, web(request).svc, _me(viewer), number, at, body.platform, body.link,
               body.attendees, body.order)
    return await _shown(request, viewer, number)


@router.post("/cases/{number}/opinions", summary="Sign your 会诊表 (Art. 8(6)); returns the derived conclusions")
async def record_opinion(request: Request, viewer: Me, number: str, body: Opinion) -> dict[str, Any]:
    _clean(body)
    expert = body.expert or viewer.user.expert_id or ""
    result = await call(uc.record_opinion, web(request).svc, _me(viewer), number, expert, body.answers)
    return {"case": number, "expert": expert, **result}


@router.post("/cases/{number}/chases", summary="催办: remind a late panel expert (once per expert per working day)")
async def chase(request: Request, viewer: Me, number: str, body: Chase) -> dict[str, Any]:
    _clean(body)
    await call(uc.chase, web(request).svc, _me(viewer), number, body.expert, body.note)
    return await _shown(request, viewer, number)


@router.post("/cases/{number}/absences", summary="Record a panel expert's absence from the meeting")
async def record_absence(request: Request, viewer: Me, number: str, body: Absence) -> dict[str, Any]:
    _clean(body)
    await call(uc.record_absence, web(request).svc, _me(viewer), number, body.expert, body.reason)
    return await _shown(request, viewer, number)


@router.post("/cases/{number}/attendance", summary="Record an institution's 1–2 staff at the meeting, or its absence")
async def record_attendance(request: Request, viewer: Me, number: str, body: Attendance) -> dict[str, Any]:
    _clean(body)
    await call(uc.record_attendance, web(request).svc, _me(viewer), number, body.institution, body.staff,
               body.absent)
    return await _shown(request, viewer, number)


@router.post("/cases/{number}/statements", summary="Record an expert's statement at the meeting (Art. 8(5))")
async def record_statement(request: Request, viewer: Me, number: str, body: Statement) -> dict[str, Any]:
    _clean(body)
    await call(uc.record_statement, web(request).svc, _me(viewer), number, body.expert, body.text, body.order)
    return await _shown(request, viewer, number)


@router.post("/cases/{number}/minutes/draft", summary="Edit the minutes before issuing them (Art. 8(7))")
async def draft_minutes(request: Request, viewer: Me, number: str, body: MinutesText) -> dict[str, Any]:
    _clean(body)
    await call(uc.draft_minutes, web(request).svc, _me(viewer), number, body.summary, body.decision_text,
               body.follow_up)
    return await _shown(request, viewer, number)


@router.post("/cases/{number}/minutes/corrections", status_code=201,
             summary="Issue a correction: the next numbered issue of the minutes, naming the one it corrects")
async def correct_minutes(request: Request, viewer: Me, number: str, body: MinutesCorrection) -> dict[str, Any]:
    _clean(body)
    await call(uc.correct_minutes, web(request).svc, _me(viewer), number, body.reason, body.summary,
               body.decision_text, body.follow_up)
    return await _shown(request, viewer, number)


@router.post("/cases/{number}/tracking", summary="A tracking note under continued attention (restarts its timer)")
async def track(request: Request, viewer: Me, number: str, body: Note) -> dict[str, Any]:
    _clean(body)
    await call(uc.track, web(request).svc, _me(viewer), number, body.note)
    return await _shown(request, viewer, number)


# --- time (the papers, the audit and the form's rules are in api_records.py; people in api_people.py) -------


def _day(raw: str, name: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(f"{raw!r} is not a date (YYYY-MM-DD)", key="date_invalid", field=name, value=raw) from None


@router.get("/rotation/lead", summary="The lead institution on a date (Art. 3)")
async def rotation_lead(request: Request, viewer: Me, date_: Annotated[str | None, Query(alias="date")] = None
                        ) -> dict[str, Any]:
    svc = web(request).svc
    day = _day(date_, "date") if date_ else uc.beijing_day(svc.clock.now())
    code = uc.lead_on_day(svc, day)
    return {"date": day.isoformat(), "lead": code, "name": svc.policy.members.get(code, code)}


@router.get("/calendar/due", summary="The due date N working days after START (the start day never counts)")
async def calendar_due(request: Request, viewer: Me, start: str, n: Annotated[int, Query(ge=1, le=1000)]
                       ) -> dict[str, Any]:
    cal: Any = web(request).svc.calendar
    due = cal.add_working_days(_day(start, "start"), n)
    return {"start": due.start.isoformat(), "working_days": due.working_days, "due": due.due.isoformat(),
            "due_at": due.due_at.isoformat(), "provisional": due.provisional, "explanation": due.explain(),
            "calendar_version": due.calendar_version}


@router.get("/calendar/workday", summary="Whether a date is a working day, and why")
async def calendar_workday(request: Request, viewer: Me, date_: Annotated[str, Query(alias="date")]) -> dict[str, Any]:
    cal: Any = web(request).svc.calendar
    d = _day(date_, "date")
    workday, reason, provisional = cal.day_kind(d)
    return {"date": d.isoformat(), "workday": workday, "reason": reason, "provisional": provisional}


@router.post("/calendar/years", summary="Load a year's official holiday arrangement (admin); open deadlines move")
async def calendar_load(request: Request, viewer: Me, body: YearFile) -> dict[str, Any]:
    from scheduler.calendar import YEAR_BOOK

    report = await call(timekeeping.load_calendar_year, web(request).svc, _me(viewer), body.content, "api", YEAR_BOOK)
    return dict(report.__dict__)


@router.get("/calendar/status", summary="Which years are official or provisional")
async def calendar_status(request: Request, viewer: Me) -> dict[str, Any]:
    svc = web(request).svc
    cal: Any = svc.calendar
    return {"lines": cal.status(uc.beijing_day(svc.clock.now()))}
