"""The yearly account in the JSON API (/api/v1): experts' fees, the fee statement (JSON, CSV or XLSX), the yearly
report's figures, retention (list, appraisal, legal holds, purge, destruction lists), and API tokens listed and
revoked. Each endpoint calls the same use case as its `huizhen fee|report|retention|users` command."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import Field

from huizhen.web.api import Body, Me, _clean, _me
from huizhen.web.auth import Viewer
from huizhen.web.common import attachment, call, web
from workflow import accounts, reports
from workflow import web_usecases as wu

router = APIRouter(prefix="/api/v1", tags=["huizhen: the yearly account"])
YEAR = Annotated[int, Query(ge=2000, le=2200, description="a year, Beijing time")]


class NewFee(Body):
    expert: str = Field(description="a panel expert's id (or exact name)")
    amount: str = Field(description="CNY, at most 2 decimals, e.g. \"1500.00\"")
    paid_on: str | None = Field(default=None, description="YYYY-MM-DD when paid; omit while unpaid")


class FeeCorrection(Body):
    amount: str | None = None
    paid_on: str | None = None
    reason: str


class Appraisal(Body):
    approver: str
    note: str


class HoldReason(Body):
    reason: str


class ReleaseReason(Body):
    reason: str = ""


class Purge(Body):
    cases: list[str] = Field(default=[], description="only these cases (default: every appraised or expired one)")
    dry_run: bool = False


async def _fee_of(request: Request, viewer: Viewer, number: str, expert_hint: str) -> dict[str, Any]:
    rows = await call(accounts.list_fees, web(request).svc, _me(viewer), number)
    wanted = expert_hint.strip()
    return next(r for r in rows if wanted in (r["expert"], r["expert_name"]))


# --- fees (Art. 10) --------------------------------------------------------------------------------------------


@router.get("/cases/{number}/fees", summary="The experts' fees of a case (huizhen fee list)")
async def list_fees(request: Request, viewer: Me, number: str) -> list[dict[str, Any]]:
    return await call(accounts.list_fees, web(request).svc, _me(viewer), number)


@router.post("/cases/{number}/fees", status_code=201,
             summary="Record a panel expert's fee (the applicant's liaison; huizhen fee record)")
async def record_fee(request: Request, viewer: Me, number: str, body: NewFee) -> dict[str, Any]:
    _clean(body)
    await call(accounts.record_fee, web(request).svc, _me(viewer), number, body.expert, body.amount, body.paid_on)
    return await _fee_of(request, viewer, number, body.expert)


@router.put("/cases/{number}/fees/{expert}",
            summary="Correct a recorded fee, with a reason (huizhen fee correct)")
async def correct_fee(request: Request, viewer: Me, number: str, expert: str, body: FeeCorrection) -> dict[str, Any]:
    _clean(body)
    await call(accounts.correct_fee, web(request).svc, _me(viewer), number, expert, body.reason, body.amount,
               body.paid_on)
    return await _fee_of(request, viewer, number, expert)


@router.get("/fees/statement", summary="An institution's fees of a year (huizhen fee statement): JSON, CSV or XLSX")
async def fee_statement(request: Request, viewer: Me, institution: str, year: YEAR,
                        format: Literal["json", "csv", "xlsx"] = "json") -> Any:
    statement = (await call(accounts.fee_statement, web(request).svc, _me(viewer), institution, year)).to_dict()
    if format == "json":
        return statement
    from huizhen.yearly_render import write_statement

    with tempfile.TemporaryDirectory(prefix="huizhen-statement-") as tmp:
        files = await call(write_statement, statement, Path(tmp))
        path = Path(files[format])
        data = path.read_bytes()
    from huizhen.web.downloads import logged  # the read log (issue 14)

    await logged(request, _me(viewer), "fee_statement", None, path.name, "api")
    return attachment(data, path.name)


# --- the year in figures ---------------------------------------------------------------------------------------


@router.get("/reports/year/{year}", summary="The yearly report's figures (huizhen report year; charts: the CLI)")
async def yearly_report(request: Request, viewer: Me, year: int,
                        institution: str | None = None) -> dict[str, Any]:
    return await call(reports.yearly_report, web(request).svc, _me(viewer), year, institution)


# --- retention (Art. 9) ----------------------------------------------------------------------------------------


@router.get("/retention", summary="Closed cases and when their retention ends; ?purged=true: the tombstones")
async def retention_list(request: Request, viewer: Me, purged: bool = False) -> list[dict[str, Any]]:
    return await call(accounts.retention_list, web(request).svc, _me(viewer), purged)


async def _retention_of(request: Request, viewer: Viewer, number: str) -> dict[str, Any]:
    rows = await call(accounts.retention_list, web(request).svc, _me(viewer), False)
    return next(r for r in rows if r["number"] == number)


@router.post("/cases/{number}/retention/appraise", summary="Record the disposal appraisal (鉴定; admin)")
async def appraise(request: Request, viewer: Me, number: str, body: Appraisal) -> dict[str, Any]:
    _clean(body)
    await call(accounts.appraise, web(request).svc, _me(viewer), number, body.approver, body.note)
    return await _retention_of(request, viewer, number)


@router.post("/cases/{number}/retention/hold", summary="Place a legal hold: the case is not destroyed (admin)")
async def hold(request: Request, viewer: Me, number: str, body: HoldReason) -> dict[str, Any]:
    _clean(body)
    await call(accounts.place_hold, web(request).svc, _me(viewer), number, body.reason)
    return await _retention_of(request, viewer, number)


@router.post("/cases/{number}/retention/release", summary="Release the legal hold (admin)")
async def release(request: Request, viewer: Me, number: str, body: ReleaseReason | None = None) -> dict[str, Any]:
    _clean(body)
    await call(accounts.release_hold, web(request).svc, _me(viewer), number, body.reason if body else "")
    return await _retention_of(request, viewer, number)


@router.post("/retention/purge",
             summary="Destroy appraised, expired, unheld closed cases; keep tombstones (admin; huizhen retention "
                     "purge). The destruction list: GET /retention/destruction-lists/{batch}")
async def purge(request: Request, viewer: Me, body: Purge) -> dict[str, Any]:
    _clean(body)
    result = await call(accounts.purge, web(request).svc, _me(viewer), body.cases, dry_run=body.dry_run)
    return result.to_dict()


@router.get("/retention/destruction-lists/{batch}", summary="A destruction list (销毁清单), from its tombstones")
async def destruction_list(request: Request, viewer: Me, batch: str) -> dict[str, Any]:
    rows = await call(accounts.destruction_list, web(request).svc, _me(viewer), batch)
    from huizhen.web.downloads import logged  # the read log (issue 14)

    await logged(request, _me(viewer), "destruction_list", None, f"{batch}.json", "api")
    return {"batch": batch, "rows": rows}


# --- API tokens ------------------------------------------------------------------------------------------------


@router.get("/users/{name}/tokens", summary="A user's API tokens, never the tokens themselves (admin; yourself)")
async def list_tokens(request: Request, viewer: Me, name: str) -> list[dict[str, Any]]:
    w = web(request)
    return await call(wu.list_tokens, w.svc, w.store, _me(viewer), name)


@router.delete("/users/{name}/tokens/{token_id}", summary="Revoke an API token now (admin; yourself)")
async def revoke_token(request: Request, viewer: Me, name: str, token_id: int) -> dict[str, Any]:
    w = web(request)
    await call(wu.revoke_token, w.svc, w.store, _me(viewer), name, token_id)
    return {"name": name, "token_id": token_id, "revoked": True}
