"""Checkpoints on the auditors' page and in the API (issue 15): issue one and download it, the kept ones, the
public key that verifies them, and a verify against an uploaded checkpoint with its findings in words. The same
use cases as `huizhen audit checkpoint / public-key / verify --checkpoint` (huizhen.checkpoints)."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from huizhen import checkpoints
from huizhen.keys import public_pem, signing_key
from huizhen.web.api import Me, _me
from huizhen.web.common import attachment, call, page_viewer, posted, render, web
from huizhen.web.inputs import UploadRefused
from workflow import usecases as uc
from workflow.errors import NotFound

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["huizhen"])

MAX_CHECKPOINT_BYTES = 20 * 1024 * 1024  # a statement of every case's head: generous, still bounded


def audit_context(request: Request, actor: str) -> dict[str, Any]:
    """What the 审计 page shows of checkpoints: the kept ones and the public key (blocking: call it off the loop)."""
    hz = web(request).hz
    uc.may_read_checkpoints(hz.services, actor)
    pem = public_pem(signing_key(hz.settings))
    return {"checkpoints": checkpoints.kept(hz), "public_key": pem,
            "public_key_fingerprint": hashlib.sha256(pem.encode("ascii")).hexdigest()}


def _kept(request: Request, actor: str, name: str) -> bytes:
    hz = web(request).hz
    uc.may_read_checkpoints(hz.services, actor)
    data = checkpoints.read_kept(hz, name)
    if data is None:
        raise NotFound(f"checkpoint {name} does not exist", key="checkpoint_missing", name=name[:80])
    return data


def _public_key(request: Request, actor: str) -> str:
    hz = web(request).hz
    uc.may_read_checkpoints(hz.services, actor)
    return public_pem(signing_key(hz.settings))


# --- pages ----------------------------------------------------------------------------------------------------


@pages.post("/audit/checkpoints")
async def issue_page(request: Request) -> Response:
    """生成检查点: sign one now, keep it in the folder, and download it."""
    viewer, _ = await posted(request)
    hz = web(request).hz
    name, data = await call(checkpoints.issue, hz, viewer.user.name, hz.services.clock.now())
    return attachment(data, name, "application/json")


@pages.get("/audit/checkpoints/{name}")
async def kept_page(request: Request, name: str) -> Response:
    viewer = await page_viewer(request)
    data = await call(_kept, request, viewer.user.name, name)
    return attachment(data, name, "application/json")


@pages.get("/audit/public-key")
async def public_key_page(request: Request) -> Response:
    viewer = await page_viewer(request)
    pem = await call(_public_key, request, viewer.user.name)
    return attachment(pem.encode("ascii"), "huizhen-checkpoint-public-key.pem", "application/x-pem-file")


@pages.post("/audit/verify")
async def verify_page(request: Request) -> Response:
    """核对检查点: the database against an uploaded checkpoint; the findings in words."""
    viewer, form = await posted(request, max_files=1)
    hz = web(request).hz
    item = form.get("file")
    if not isinstance(item, UploadFile):
        raise UploadRefused(400, "请选择要核对的检查点文件")
    data = await item.read(MAX_CHECKPOINT_BYTES + 1)
    if len(data) > MAX_CHECKPOINT_BYTES:
        raise UploadRefused(413, "检查点文件过大")
    gaps = await call(checkpoints.gaps_of, hz, viewer.user.name, data)
    return render(request, "audit_checkpoint.html.j2",
                  {"findings": [checkpoints.in_words(g) for g in gaps], "file_name": (item.filename or "")[:120]},
                  viewer=viewer)


# --- the API --------------------------------------------------------------------------------------------------


@api.post("/audit/checkpoints", summary="Sign a checkpoint now and keep it (huizhen audit checkpoint)")
async def issue_api(request: Request, viewer: Me) -> dict[str, Any]:
    hz = web(request).hz
    checkpoint = await call(checkpoints.make, hz, _me(viewer), hz.services.clock.now())
    name = await call(_keep, request, checkpoint)
    return {"name": name, "checkpoint": checkpoint}


def _keep(request: Request, checkpoint: dict[str, Any]) -> str:
    return checkpoints.keep(web(request).hz, checkpoint)


@api.get("/audit/checkpoints", summary="The kept checkpoints (liaisons, auditors, admins)")
async def kept_api(request: Request, viewer: Me) -> list[dict[str, Any]]:
    def rows() -> list[dict[str, Any]]:
        uc.may_read_checkpoints(web(request).svc, _me(viewer))
        return checkpoints.kept(web(request).hz)

    return await call(rows)


@api.get("/audit/checkpoints/{name}", summary="One kept checkpoint", response_class=Response)
async def kept_one_api(request: Request, viewer: Me, name: str) -> Response:
    data = await call(_kept, request, _me(viewer), name)
    return attachment(data, name, "application/json")


@api.get("/audit/public-key", summary="The public key that verifies checkpoints (huizhen audit public-key)")
async def public_key_api(request: Request, viewer: Me) -> dict[str, str]:
    return {"algorithm": "Ed25519", "public_key": await call(_public_key, request, _me(viewer))}


@api.post("/audit/verify", summary="Does the database still extend this checkpoint? (audit verify --checkpoint)")
async def verify_api(request: Request, viewer: Me, body: dict[str, Any]) -> dict[str, Any]:
    gaps = await call(checkpoints.gaps_of_checkpoint, web(request).hz, _me(viewer), body)
    return {"ok": not gaps, "gaps": gaps, "findings": [checkpoints.in_words(g) for g in gaps]}
