"""The API of the admin's work (issue 14): changing and disabling users, resetting a password, one's own contact
details, editing and deactivating experts, previewing a year file, the rotation's terms and the admin's trail.
The same use cases as the CLI and the pages (workflow.people, workflow.web_usecases, workflow.timekeeping)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from huizhen.web.api import Body, Me, YearFile, _clean, _me
from huizhen.web.common import call, web
from workflow import people, timekeeping
from workflow import web_usecases as wu
from workflow.usecases import beijing_day

router = APIRouter(prefix="/api/v1", tags=["huizhen"])


class UserChange(Body):
    role: str | None = None
    institution: str | None = None
    expert: str | None = None
    display_name: str | None = None
    email: str | None = None
    phone: str | None = None


class Contact(Body):
    display_name: str | None = None
    email: str | None = None
    phone: str | None = None


class ExpertChange(Body):
    name: str | None = None
    field: str | None = None
    employer: str | None = None
    title: str | None = None
    province: str | None = None


@router.patch("/users/{name}", summary="Change a user's role, institution, expert link or contact details (admin)")
async def update_user(request: Request, viewer: Me, name: str, body: UserChange) -> dict[str, Any]:
    _clean(body)
    u = await call(people.update_user, web(request).svc, _me(viewer), name, role=body.role,
                   institution=body.institution, expert_id=body.expert, display_name=body.display_name,
                   email=body.email, phone=body.phone)
    return wu.user_row(u)


@router.post("/users/{name}/disable", summary="Disable a user: no sign-in, no token (admin)")
async def disable_user(request: Request, viewer: Me, name: str) -> dict[str, Any]:
    return wu.user_row(await call(people.set_user_active, web(request).svc, _me(viewer), name, False))


@router.post("/users/{name}/enable", summary="Enable a user again (admin; Art. 3 for liaisons)")
async def enable_user(request: Request, viewer: Me, name: str) -> dict[str, Any]:
    return wu.user_row(await call(people.set_user_active, web(request).svc, _me(viewer), name, True))


@router.post("/users/{name}/password/reset", summary="A new one-time password, shown once (admin)")
async def reset_password(request: Request, viewer: Me, name: str) -> dict[str, Any]:
    w = web(request)
    password = await call(wu.reset_password, w.svc, w.store, _me(viewer), name, w.auth.hash_password)
    return {"name": name, "password": password}


@router.patch("/me", summary="Your own display name, email and phone")
async def update_me(request: Request, viewer: Me, body: Contact) -> dict[str, Any]:
    _clean(body)
    u = await call(people.update_own_profile, web(request).svc, _me(viewer), body.display_name, body.email,
                   body.phone)
    return wu.user_row(u)


@router.patch("/experts/{expert_id}", summary="Edit an expert (admin; a liaison in their own pool)")
async def edit_expert(request: Request, viewer: Me, expert_id: str, body: ExpertChange) -> dict[str, Any]:
    _clean(body)
    e = await call(people.edit_expert, web(request).svc, _me(viewer), expert_id, name=body.name, field_=body.field,
                   employer=body.employer, title=body.title, province=body.province)
    return dict(e.__dict__)


@router.post("/experts/{expert_id}/deactivate", summary="Deactivate an expert: not offered for new panels")
async def deactivate_expert(request: Request, viewer: Me, expert_id: str) -> dict[str, Any]:
    return dict((await call(people.set_expert_active, web(request).svc, _me(viewer), expert_id, False)).__dict__)


@router.post("/experts/{expert_id}/activate", summary="Activate an expert again")
async def activate_expert(request: Request, viewer: Me, expert_id: str) -> dict[str, Any]:
    return dict((await call(people.set_expert_active, web(request).svc, _me(viewer), expert_id, True)).__dict__)


@router.post("/calendar/years/preview", summary="Which open deadlines a year file would move; nothing is written")
async def calendar_preview(request: Request, viewer: Me, body: YearFile) -> dict[str, Any]:
    from scheduler.calendar import YEAR_BOOK

    report = await call(timekeeping.load_calendar_year, web(request).svc, _me(viewer), body.content, "api",
                        YEAR_BOOK, preview=True)
    return dict(report.__dict__)


@router.get("/rotation/terms", summary="The lead institution's terms around today (Art. 3)")
async def rotation_terms(request: Request, viewer: Me) -> list[dict[str, Any]]:
    svc = web(request).svc
    rows = await call(people.rotation_terms, svc, beijing_day(svc.clock.now()))
    return [r | {"start": r["start"].isoformat(), "end": r["end"].isoformat()} for r in rows]


@router.get("/admin/actions", summary="The admin's trail: users, the expert pool, the calendar (admins, auditors)")
async def admin_actions(request: Request, viewer: Me) -> list[dict[str, Any]]:
    rows = await call(people.admin_trail, web(request).svc, _me(viewer))
    return [r | {"at": r["at"].isoformat()} for r in rows]
