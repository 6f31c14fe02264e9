# ruff: noqa: F811  (the fixtures come from websupport and are used as arguments)
"""Checkpoints on the 审计 page and in the API (issue 15), and the scheduler's daily checkpoint: an auditor issues
one and downloads it, sees it kept and the public key shown, uploads it to 核对检查点 and reads the findings in
Chinese once a case was deleted behind the application's back; the API does the same; each working day the
scheduler issues exactly one (across restarts) and sends it to the liaisons and the auditors."""

from __future__ import annotations

import base64
import json
import re

from conftest import run_to
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import delete
from websupport import Site, db_url, site  # noqa: F401  (fixtures)

from huizhen import checkpoints, daily_checkpoint
from storage import tables as t
from storage.chain import canonical_json
from workflow import timekeeping


def _delete_case(site: Site, number: str) -> None:
    with site.world.app.engine.begin() as conn:
        conn.execute(delete(t.events).where(t.events.c.case_number == number))
        conn.execute(delete(t.cases).where(t.cases.c.number == number))


def test_the_auditor_issues_keeps_and_verifies_a_checkpoint_on_the_page(site: Site) -> None:
    number = run_to(site.world, "drafted")
    c = site.client("auditor")
    page = c.get("/audit")
    assert page.status_code == 200
    for words in ("生成检查点", "核对检查点", "检查点公钥", "尚无检查点", "BEGIN PUBLIC KEY"):
        assert words in page.text, words

    got = site.post("auditor", "/audit/checkpoints")
    assert got.status_code == 200 and "attachment" in got.headers["content-disposition"]
    cp = json.loads(got.content)
    pem = c.get("/audit/public-key").content
    load_pem_public_key(pem).verify(base64.b64decode(cp["signature"]),  # type: ignore[union-attr]
                                    canonical_json(cp["statement"]).encode())
    assert [x["number"] for x in cp["statement"]["cases"]] == [number]
    page = c.get("/audit").text
    (name,) = re.findall(r'href="/audit/checkpoints/(checkpoint-[0-9T]+\.json)"', page)
    assert c.get(f"/audit/checkpoints/{name}").content == got.content

    ok = site.post("auditor", "/audit/verify", files={"file": ("cp.json", got.content, "application/json")})
    assert ok.status_code == 200 and "核对通过" in ok.text

    _delete_case(site, number)
    bad = site.post("auditor", "/audit/verify", files={"file": ("cp.json", got.content, "application/json")})
    assert bad.status_code == 200
    assert f"案件 {number} 已被删除" in bad.text and "发现 1 处问题" in bad.text

    forged = json.loads(got.content)
    forged["statement"]["cases"] = []
    refused = site.post("auditor", "/audit/verify",
                        files={"file": ("cp.json", json.dumps(forged).encode(), "application/json")})
    assert "签名无法用本系统的检查点公钥核验" in refused.text
    junk = site.post("auditor", "/audit/verify", files={"file": ("x.json", b"\xff\xfe", "application/json")})
    assert junk.status_code == 200 and "不是可读取的检查点文件" in junk.text


def test_the_api_issues_lists_and_verifies(site: Site) -> None:
    number = run_to(site.world, "drafted")
    api = site.api("auditor")
    made = api.post("/api/v1/audit/checkpoints")
    assert made.status_code == 200, made.text
    cp = made.json()["checkpoint"]
    assert [r["name"] for r in api.get("/api/v1/audit/checkpoints").json()] == [made.json()["name"]]
    key = api.get("/api/v1/audit/public-key").json()
    assert key["algorithm"] == "Ed25519" and "BEGIN PUBLIC KEY" in key["public_key"]
    assert api.post("/api/v1/audit/verify", json=cp).json() == {"ok": True, "gaps": [], "findings": []}
    _delete_case(site, number)
    found = api.post("/api/v1/audit/verify", json=cp).json()
    assert not found["ok"] and found["gaps"][0]["kind"] == "deleted" and found["gaps"][0]["number"] == number
    assert number in found["findings"][0] and "已被删除" in found["findings"][0]
    # A liaison witnesses checkpoints (list, download, key) but does not issue or verify them.
    liaison = site.api("zj")
    assert liaison.get(f"/api/v1/audit/checkpoints/{made.json()['name']}").status_code == 200
    assert liaison.post("/api/v1/audit/checkpoints").status_code == 403
    assert site.api("auditor").get("/api/v1/audit/checkpoints/..%2Fcheckpoint.key").status_code == 404


def test_the_scheduler_issues_one_checkpoint_each_working_day_and_sends_it(site: Site) -> None:
    app, clock = site.world.app, site.world.clock
    run_to(site.world, "drafted")
    clock.set("2026-09-26T10:00:00+08:00")  # a Saturday (no make-up working day): nothing is issued
    assert daily_checkpoint.catch_up(app) is None and checkpoints.kept(app) == []
    clock.set("2026-09-24T07:30:00+08:00")  # a Thursday before working hours
    assert daily_checkpoint.catch_up(app) is None
    clock.set("2026-09-24T09:05:00+08:00")
    name = daily_checkpoint.catch_up(app)
    assert name and [k["name"] for k in checkpoints.kept(app)] == [name]
    clock.set("2026-09-24T15:00:00+08:00")
    assert daily_checkpoint.catch_up(app) == name  # a later sweep, or a restarted scheduler: the same one
    assert len(checkpoints.kept(app)) == 1

    svc = site.svc
    for person in ("sh", "js", "zj", "ah", "auditor"):
        items = [i for i in timekeeping.inbox(svc, person, False) if "检查点" in i["subject"]]
        assert len(items) == 1, person
        assert f"/audit/checkpoints/{name}" in items[0]["body"]
    assert not [i for i in timekeeping.inbox(svc, "x1", False) if "检查点" in i["subject"]]
    # The link in the inbox works for the liaison it was sent to.
    assert site.client("sh").get(f"/audit/checkpoints/{name}").status_code == 200

    clock.set("2026-09-29T09:30:00+08:00")  # another working day (25th: 中秋节): a new one
    other = daily_checkpoint.catch_up(app)
    assert other and other != name and len(checkpoints.kept(app)) == 2
