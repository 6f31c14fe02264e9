"""The API's people: the expert pool, users, passwords and tokens, and each person's messages and reminders."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import Field

from huizhen.web.api import Body, Me, _clean, _me
from huizhen.web.common import call, web
from workflow import timekeeping
from workflow import usecases as uc
from workflow import web_usecases as wu

router = APIRouter(prefix="/api/v1", tags=["huizhen"])


class NewExpert(Body):
    name: str
    field: str
    employer: str
    title: str
    province: str


class NewUser(Body):
    name: str
    role: Literal["liaison", "expert", "auditor", "admin"]
    institution: str | None = None
    expert: str | None = None
    email: str | None = None
    display_name: str = ""
    phone: str | None = None
    password: str | None = Field(default=None, description="an initial sign-in password (at least 8 characters)")


class Password(Body):
    password: str


class TokenRequest(Body):
    label: str = ""


@router.get("/experts", summary="The expert pool (liaisons, admins, auditors)")
async def experts(request: Request, viewer: Me) -> list[dict[str, Any]]:
    return [e.__dict__ for e in await call(uc.list_experts, web(request).svc, _me(viewer))]


@router.post("/experts", status_code=201, summary="Add an expert to a province's pool")
async def add_expert(request: Request, viewer: Me, body: NewExpert) -> dict[str, Any]:
    _clean(body)
    e = await call(uc.add_expert, web(request).svc, _me(viewer), body.name, body.field, body.employer, body.title,
                   body.province)
    return dict(e.__dict__)


@router.get("/users", summary="Users (admins and auditors)")
async def users(request: Request, viewer: Me) -> list[dict[str, Any]]:
    return await call(wu.list_users, web(request).svc, _me(viewer))


@router.post("/users", status_code=201, summary="Add a user (admin)")
async def add_user(request: Request, viewer: Me, body: NewUser) -> dict[str, Any]:
    _clean(body)
    w = web(request)
    password_hash = None
    if body.password is not None:
        wu.check_password(body.password, body.name)
        password_hash = w.auth.hash_password(body.password)
    u = await call(uc.add_user, w.svc, _me(viewer), body.name, body.role, body.institution, body.expert,
                   body.email, password_hash, display_name=body.display_name, phone=body.phone)
    return wu.user_row(u)


@router.post("/users/{name}/password", summary="Set a sign-in password (admin for anyone; yourself)")
async def set_password(request: Request, viewer: Me, name: str, body: Password) -> dict[str, Any]:
    w = web(request)
    user = await call(wu.set_password, w.svc, w.store, _me(viewer), name, body.password, w.auth.hash_password)
    return {"name": user.name, "password": "set"}


@router.post("/users/{name}/tokens", status_code=201, summary="Issue an API token (shown once)")
async def issue_token(request: Request, viewer: Me, name: str, body: TokenRequest | None = None) -> dict[str, Any]:
    _clean(body)
    w = web(request)
    token = await call(wu.issue_token, w.svc, w.store, _me(viewer), name, body.label if body else "")
    return {"name": name, "token": token}


@router.get("/inbox", summary="Your in-app messages (reminders)")
async def inbox(request: Request, viewer: Me) -> list[dict[str, Any]]:
    items = await call(timekeeping.inbox, web(request).svc, _me(viewer), False)
    return [{"case": i["case_number"], "subject": i["subject"], "body": i["body"],
             "created_at": i["created_at"].isoformat(), "read": i["read_at"] is not None} for i in items]


class Prefs(Body):
    email: bool = Field(description="notices by mail on (true) or off (false); the inbox is always on")


@router.get("/prefs", summary="Your notification preferences (mail on or off; the inbox is always on)")
async def prefs(request: Request, viewer: Me) -> dict[str, Any]:
    return await call(timekeeping.notification_prefs, web(request).svc, _me(viewer))


@router.put("/prefs", summary="Set your notification preferences")
async def set_prefs(request: Request, viewer: Me, body: Prefs) -> dict[str, Any]:
    return await call(timekeeping.set_email_notices, web(request).svc, _me(viewer), viewer.user.name, body.email)


@router.post("/inbox/read", summary="Mark your messages read")
async def inbox_read(request: Request, viewer: Me) -> dict[str, int]:
    items = await call(timekeeping.inbox, web(request).svc, _me(viewer), True)
    return {"messages": len(items)}


@router.get("/reminders", summary="Reminders in the ledger (yours; all for admins and auditors)")
async def reminders(request: Request, viewer: Me, case: str | None = None) -> list[dict[str, Any]]:
    rows = await call(timekeeping.reminders, web(request).svc, _me(viewer), case)
    return [{"case": r["case_number"], "deadline_kind": r["deadline_kind"], "reminder_kind": r["reminder_kind"],
             "recipient": r["recipient"], "channel": r["channel"], "scheduled_at": r["scheduled_at"].isoformat(),
             "status": r["status"], "attempts": r["attempts"],
             "sent_at": r["sent_at"].isoformat() if r["sent_at"] else None} for r in rows]


def _delivery(r: dict[str, Any]) -> dict[str, Any]:
    return {"id": r["id"], "case": r["case_number"], "kind": r["reminder_kind"], "recipient": r["recipient"],
            "channel": r["channel"], "subject": r["subject"], "scheduled_at": r["scheduled_at"].isoformat(),
            "attempts": r["attempts"], "last_error": r["last_error"]}


@router.get("/deliveries/abandoned", summary="Mails and webhooks abandoned after the retry horizon (admin)")
async def deliveries_abandoned(request: Request, viewer: Me) -> list[dict[str, Any]]:
    rows = await call(timekeeping.abandoned_deliveries, web(request).svc, _me(viewer))
    return [_delivery(r) for r in rows]


class RetryBody(Body):
    # none: every abandoned delivery; each id a database integer (a larger one is a 400, not a 500: schemathesis)
    ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] | None = None


@router.post("/deliveries/retry", summary="Send abandoned deliveries again now (admin; huizhen reminders retry)")
async def deliveries_retry(request: Request, viewer: Me, body: RetryBody | None = None) -> dict[str, Any]:
    hz = web(request).hz
    await call(timekeeping.may_retry_deliveries, hz.services, _me(viewer))
    report = await call(hz.sweeper().retry_abandoned, (body.ids if body else None) or None)
    return {"sent": [r["key"] for r in report.sent], "failed": [r["key"] for r in report.failed]}
