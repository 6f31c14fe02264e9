"""The auditor's tools in the JSON API (issue 14): the read log (huizhen audit reads) and the case compared between
two instants (huizhen audit diff)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from huizhen.clock import parse_instant
from huizhen.web.api import Me, _me
from huizhen.web.common import call, web
from workflow import auditing, readlog

router = APIRouter(prefix="/api/v1", tags=["huizhen: the auditor's tools"])
INSTANT = "ISO 8601 instant with offset, e.g. 2026-10-14T14:00:00+08:00"


@router.get("/audit/reads", summary="Who opened or downloaded which paper, material or expert record (huizhen "
                                    "audit reads; auditors and admins)")
async def reads(request: Request, viewer: Me, case: str | None = None, user: str | None = None,
                since: Annotated[str | None, Query(description=INSTANT)] = None,
                until: Annotated[str | None, Query(description=INSTANT)] = None) -> list[dict[str, Any]]:
    start = parse_instant(since, "since") if since else None
    end = parse_instant(until, "until") if until else None
    return await call(readlog.read_log, web(request).svc, _me(viewer), case, user, start, end)


@router.get("/cases/{number}/diff", summary="The fields of a case that changed between two instants (huizhen audit "
                                             "diff)")
async def diff(request: Request, viewer: Me, number: str,
               start: Annotated[str, Query(alias="from", description=INSTANT)],
               end: Annotated[str, Query(alias="to", description=INSTANT)]) -> dict[str, Any]:
    return await call(auditing.case_diff, web(request).svc, _me(viewer), number, parse_instant(start, "from"),
                      parse_instant(end, "to"))
