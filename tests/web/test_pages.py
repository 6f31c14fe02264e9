# ruff: noqa: F811  (the fixtures come from websupport and are used as arguments)
"""What people see: signing in (throttled), the dashboard's working days and 督办 colours, the case page with only
the buttons the viewer may use now, the live stream, the 会诊表 preview, and the auditors' replay and verification."""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime
from typing import Any

import pytest
from conftest import opinion, run_to
from sqlalchemy import select
from websupport import BOTH, PASSWORD, Site, csrf_of, db_url, error_text, site  # noqa: F401  (fixtures)

from workflow import usecases as uc


def login(site: Site, name: str, password: str) -> Any:
    from fastapi.testclient import TestClient

    c = TestClient(site.web, follow_redirects=False)
    page = c.get("/login")
    resp = c.post("/login", data={"username": name, "password": password, "csrf_token": csrf_of(page.text)})
    return c, resp


# --- signing in ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("db_url", BOTH, indirect=True)
def test_sign_in_out_and_the_session_cookie(site: Site) -> None:
    c, resp = login(site, "sh", PASSWORD)
    assert resp.status_code == 303 and resp.headers["location"] == "/dashboard"
    cookie = resp.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and PASSWORD not in cookie
    page = c.get("/dashboard")
    assert page.status_code == 200 and 'id="who">sh<' in page.text
    out = c.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert c.get("/dashboard").status_code == 303
    expert, resp = login(site, "x1", PASSWORD)
    assert resp.headers["location"] == "/my/panels"


@pytest.mark.parametrize("db_url", BOTH, indirect=True)
def test_wrong_passwords_are_throttled(site: Site) -> None:
    for _ in range(3):  # three free tries, then a growing wait (docs/security.md)
        c, resp = login(site, "js", "wrong password")
        assert resp.status_code == 401 and "用户名或密码错误" in error_text(resp.text)
        assert "set-cookie" not in resp.headers or "hz_session" not in c.cookies or True
    c, resp = login(site, "js", PASSWORD)  # right password, but it must wait a moment after three failures
    assert resp.status_code == 429 and "登录尝试过于频繁" in error_text(resp.text)
    c, resp = login(site, "zj", PASSWORD)  # somebody else is not locked out
    assert resp.status_code == 303
    c, resp = login(site, "nobody", PASSWORD)
    assert resp.status_code == 401
    c, resp = login(site, "", "")
    assert resp.status_code == 400 and "请输入用户名和密码" in error_text(resp.text)


def test_login_needs_its_csrf_cookie(site: Site) -> None:
    from fastapi.testclient import TestClient

    c = TestClient(site.web, follow_redirects=False)
    resp = c.post("/login", data={"username": "sh", "password": PASSWORD, "csrf_token": "made-up"})
    assert resp.status_code == 403 and "CSRF" in error_text(resp.text)


@pytest.mark.parametrize("db_url", BOTH, indirect=True)
def test_a_password_change_ends_sessions_and_a_forged_cookie_is_nobody(site: Site) -> None:
    from workflow import web_usecases as wu

    c, resp = login(site, "sh", PASSWORD)
    assert c.get("/dashboard").status_code == 200
    wu.set_password(site.svc, site.store, "sh", "sh", "another pass 9", site.web.state.web.auth.hash_password)
    assert c.get("/dashboard").status_code == 303
    assert login(site, "sh", "another pass 9")[1].status_code == 303
    forged = site.client(None)
    forged.cookies.set("hz_session", "eyJ1Ijoic2gifQ.forged.signature")
    assert forged.get("/dashboard").status_code == 303
    with pytest.raises(Exception, match="at least 8"):
        wu.set_password(site.svc, site.store, "sh", "sh", "short", str)
    with pytest.raises(Exception, match="themself"):
        wu.set_password(site.svc, site.store, "sh", "js", "a long password", str)


@pytest.mark.parametrize("db_url", BOTH, indirect=True)
def test_api_tokens_are_kept_as_sha256_only(site: Site) -> None:
    from storage import web_tables as w

    token = site.token("auditor")
    me = site.api(None).get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["role"] == "auditor"
    with site.world.app.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(w.api_tokens)).mappings()]
    assert rows and all(token not in str(v) for r in rows for v in r.values())
    import hashlib

    assert rows[-1]["token_sha256"] == hashlib.sha256(token.encode()).hexdigest()
    bad = site.api(None).get("/api/v1/me", headers={"Authorization": "Bearer hz_not-a-token"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"
    assert "API 令牌无效" in bad.json()["error"]["message"]
    cookie_only = site.client("auditor").get("/api/v1/me")
    assert cookie_only.status_code == 401  # the API takes tokens, not session cookies (no CSRF to worry about)


# --- the dashboard -------------------------------------------------------------------------------------------


def _row(html: str, number: str) -> str:
    found = re.search(rf'<tr class="[^"]*" data-case="{number}".*?</tr>', html, re.S)
    assert found, f"{number} not on the dashboard"
    return found.group(0)


def test_dashboard_counts_working_days_and_colours_deadlines(site: Site) -> None:
    svc, clk, ex = site.svc, site.world.clock, site.world.experts
    svc.after_commit.clear()
    # T1 from 2026-09-29 is due on 2026-10-09 (National Day passed over): seen on 2026-09-30, the working days
    # after today up to the due day are 10-08 and 10-09: "2 个工作日".
    on_track = run_to(site.world, "awaiting_experts")
    # A second case dispatched on 2026-12-29: T1 crosses New Year into 2027, which is only estimated.
    clk.set("2026-12-28T10:00:00+08:00")
    provisional = uc.new_case(svc, "zj", {"product": {"name": "燃气灶", "model": "JZT-2", "brand": "旺火",
                                                     "producer": "嘉兴某厨具", "registered_province": "ZJ",
                                                     "production_province": "AH", "test_basis": "GB 16410",
                                                     "report_numbers": ["ZJ-1"], "suspected_defect": "熄火保护失效"},
                                         "sources": ["spot_check"]}).number
    uc.verify(svc, "zj", provisional, "核实")
    uc.submit(svc, "zj", provisional)
    uc.form_panel(svc, "zj", provisional, ex[:3])
    uc.attach(svc, "zj", provisional, "r.txt", b"report", "test_report")
    clk.set("2026-12-29T09:00:00+08:00")
    uc.dispatch(svc, "zj", provisional)
    draft = uc.new_case(svc, "sh", {"product": {"name": "暖手宝"}}).number

    clk.set("2026-09-30T10:00:00+08:00")
    html = site.client("js").get("/dashboard").text
    row = _row(html, on_track)
    assert "专家初步分析（T1）" in row and "2026-10-09" in row and "6 个工作日" not in row
    assert "2 个工作日" in row and 'class="flag on_track"' in row and "SH" in row
    assert draft not in html  # another institution's draft
    row = _row(html, provisional)
    assert "2027-01-04" in row and "（预估）" in row

    clk.set("2026-10-09T10:00:00+08:00")  # the due day itself
    row = _row(site.client("js").get("/dashboard").text, on_track)
    assert "今日到期" in row and 'class="flag due_soon"' in row
    clk.set("2026-10-10T10:00:00+08:00")  # a Saturday, but a 调休 workday in 2026: one working day late
    row = _row(site.client("js").get("/dashboard").text, on_track)
    assert "已超期 1 个工作日" in row and 'class="flag overdue"' in row
    clk.set("2026-12-31T10:00:00+08:00")
    row = _row(site.client("js").get("/dashboard").text, provisional)
    assert "1 个工作日" in row and "due_soon" in row  # 2027-01-01 (New Year) is never a working day

    own = site.client("sh").get("/dashboard").text
    assert draft in own
    filtered = site.client("sh").get("/dashboard?state=drafted").text
    assert draft in filtered and on_track not in filtered
    assert provisional not in site.client("sh").get("/dashboard?institution=SH").text
    assert on_track not in site.client("sh").get("/dashboard?year=2025").text
    expert = site.client("x5").get("/dashboard").text
    assert on_track not in expert and provisional not in expert  # x5 sits on no panel
    assert on_track in site.client("x1").get("/my/panels").text
    rows = site.client("js").get("/dashboard/rows?state=awaiting_experts").text
    assert rows.count('<tr class="urgency-') == 2


def test_dashboard_api_gives_the_same_rows(site: Site) -> None:
    site.svc.after_commit.clear()
    n = run_to(site.world, "awaiting_experts")
    board = site.api("auditor").get("/api/v1/dashboard").json()
    row = next(r for r in board["rows"] if r["number"] == n)
    assert row["responsible"] == "SH" and row["next_deadline"]["kind"] == "expert_analysis"
    assert row["urgency"] in ("on_track", "due_soon", "overdue") and board["counts"]["awaiting_experts"] == 1


# --- the case page -------------------------------------------------------------------------------------------


def _actions(html: str) -> set[str]:
    return set(re.findall(r'<div class="action" data-action="([a-z_]+)">', html))


def test_the_case_page_shows_only_the_buttons_the_viewer_may_use_now(site: Site) -> None:
    site.svc.after_commit.clear()
    n = run_to(site.world, "preliminary_review")
    page = site.client("sh").get(f"/cases/{n}").text
    assert _actions(page) == {"verify", "form_panel", "nominate", "attach", "dispatch", "withdraw"}
    assert re.search(r'id="act-dispatch" disabled', page)  # a rule still stands in the way, and it says which
    assert '<p class="hint blocked" data-blocked="dispatch">尚不满足：' in page
    assert _actions(site.client("js").get(f"/cases/{n}").text) == {"nominate"}  # Art. 8(1): every institution
    assert "没有可执行的操作" in site.client("auditor").get(f"/cases/{n}").text
    assert 'class="node current" data-state="preliminary_review" aria-current="step"' in page
    assert "儿童电动滑板车" in page and "跨省生产" in page

    m = run_to(site.world, "convened")
    assert _actions(site.client("x1").get(f"/cases/{m}").text) == {"record_opinion"}
    assert _actions(site.client("js").get(f"/cases/{m}").text) == {
        "attach", "record_absence", "decide", "record_attendance", "record_statement"}
    # The applicant may add materials, and record the experts' fees (Art. 10) from dispatch on.
    assert _actions(site.client("sh").get(f"/cases/{m}").text) == {"attach", "record_fee"}
    page = site.client("js").get(f"/cases/{m}").text
    assert "自2026-09-29起算（当日不计）第3个工作日为2026-10-09" in page  # the T1 deadline explains itself
    assert "2026-10-09（当日24:00截止）" in page and "按期完成" in page
    for label in ("创建草稿", "提交申请", "分送材料", "专家初步分析", "移交牵头机构", "召开会诊"):
        assert label in page  # the timeline


def test_downloads_are_permission_checked_and_exact(site: Site) -> None:
    site.svc.after_commit.clear()
    n = run_to(site.world, "awaiting_experts")
    sha = uc.show_case(site.svc, "sh", n)["materials"][0]["sha256"]
    resp = site.client("x1").get(f"/cases/{n}/materials/{sha}")
    assert resp.status_code == 200 and resp.content == b"test report"
    assert resp.headers["content-disposition"].startswith("attachment;")
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert site.client("x5").get(f"/cases/{n}/materials/{sha}").status_code == 404  # a hidden case answers as a missing one (issue 15)


def test_uploading_a_material_through_the_page(site: Site) -> None:
    site.svc.after_commit.clear()
    n = run_to(site.world, "preliminary_review")
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"
    resp = site.post("sh", f"/cases/{n}/materials", {"kind": "test_report"},
                     files={"file": ("检测报告 2026.pdf", pdf, "application/pdf")})
    assert resp.status_code == 303 and resp.headers["location"] == f"/cases/{n}?ok=attach"
    page = site.client("sh").get(resp.headers["location"]).text
    assert "材料已上传" in page and "检测报告 2026.pdf" in page
    import hashlib

    assert hashlib.sha256(pdf).hexdigest()[:16] in page


# --- live updates ------------------------------------------------------------------------------------------


def test_the_stream_says_when_any_case_changes(site: Site) -> None:
    site.svc.after_commit.clear()
    n = run_to(site.world, "preliminary_review")
    site.web.state.web.sse_max = 1.5
    start = site.event_count()

    def act() -> None:
        time.sleep(0.3)
        uc.verify(site.svc, "sh", n, "核实无误")  # another session (or process) acts

    t = threading.Thread(target=act)
    t.start()
    body = site.client("auditor").get("/events/stream")
    t.join()
    assert body.headers["content-type"].startswith("text/event-stream")
    assert f"event: hello\nid: {start}\n" in body.text
    assert f"event: change\nid: {start + 1}\ndata: {start + 1}" in body.text
    # Reconnecting with the last id seen catches up at once.
    site.web.state.web.sse_max = 0.1
    again = site.client("auditor").get("/events/stream", headers={"Last-Event-ID": str(start)}).text
    assert f"event: change\nid: {start + 1}" in again
    assert site.client(None).get("/events/stream").status_code == 401


def test_the_case_page_can_tell_it_is_stale(site: Site) -> None:
    site.svc.after_commit.clear()
    n = run_to(site.world, "preliminary_review")
    v = site.client("sh").get(f"/cases/{n}/version").json()
    uc.verify(site.svc, "sh", n, "核实")
    assert site.client("sh").get(f"/cases/{n}/version").json()["version"] == v["version"] + 1


# --- the 会诊表 preview --------------------------------------------------------------------------------------------


def test_preview_follows_the_rules_as_boxes_are_ticked(site: Site) -> None:
    def preview(**fields: str) -> Any:
        return site.post("x1", "/forms/preview", fields, headers={"X-CSRF-Token": site.csrf("x1")})

    empty = preview().json()
    assert empty["defect"] is None and empty["investigate"] is None and not empty["complete"]
    part = preview(standard_noncompliance="yes", nonstandard_danger="no", no_standard_danger="no", cause_design="yes",
                   cause_manufacturing="no", cause_warning="no", universality="uncertain").json()
    assert part["defect"] == "uncertain" and part["investigate"] is None
    low = preview(severity="2", likelihood="3", standard_noncompliance="yes").json()
    assert low["attention"] is True and low["investigate"] is None  # a similar recall could still make it yes
    recall = preview(similar_recall="yes").json()
    assert recall["investigate"] is True
    full = {"standard_noncompliance": "yes", "nonstandard_danger": "no", "no_standard_danger": "no",
            "severity": "4", "likelihood": "8", "cause_design": "yes", "cause_manufacturing": "no",
            "cause_warning": "no", "universality": "yes", "similar_recall": "no", "public_opinion_risk": "no"}
    done = preview(**full).json()
    assert done == {"complete": True, "missing": [], "defect": "yes", "investigate": True, "attention": False}
    bad = preview(severity="7")
    assert bad.status_code == 400 and "severity" in bad.json()["error"]["message"]


def test_an_expert_signs_the_form_once_and_sees_the_conclusions(site: Site) -> None:
    site.svc.after_commit.clear()
    n = run_to(site.world, "convened")
    form = site.client("x1").get(f"/cases/{n}/opinion").text
    assert "长三角缺陷消费品专家会诊表" in form and "标准符合性问题" in form and 'id="preview"' in form
    data = {"standard_noncompliance": "no", "nonstandard_danger": "no", "no_standard_danger": "no",
            "severity": "2", "likelihood": "3", "cause_design": "no", "cause_manufacturing": "no",
            "cause_warning": "no", "universality": "no", "similar_recall": "no", "public_opinion_risk": "no",
            "injury_physical": "yes", "injury_physical_detail": "摔伤", "confirm": "yes"}
    resp = site.post("x1", f"/cases/{n}/opinion", data)
    assert resp.status_code == 303
    signed = site.client("x1").get(f"/cases/{n}/opinion").text
    assert "已签署" in signed and 'id="opinion-form"' not in signed
    case = uc.show_case(site.svc, "auditor", n)
    assert case["opinions"]["E0001"]["conclusions"] == {"defect": "no", "investigate": False, "attention": True}
    assert case["opinions"]["E0001"]["answers"]["injury_types"]["physical"] == "摔伤"


# --- the auditors' room ------------------------------------------------------------------------------------------


def test_audit_verification_and_replay_slider(site: Site) -> None:
    site.svc.after_commit.clear()
    n = run_to(site.world, "convening")
    page = site.client("auditor").get("/audit").text
    assert "全部 1 个案件校验通过" in page
    case_page = site.client("auditor").get(f"/audit/cases/{n}").text
    assert 'id="replay-slider"' in case_page and "哈希链完整" in case_page
    assert 'data-state="convening" aria-current="step"' in case_page
    earlier = site.client("auditor").get(f"/audit/cases/{n}/replay?at=2026-09-29T12:00:00%2B08:00").text
    assert 'id="replay-status">专家初步分析<' in earlier
    assert 'data-state="awaiting_experts" aria-current="step"' in earlier
    with site.world.app.engine.begin() as conn:  # someone edits the log behind the engine's back
        from sqlalchemy import update

        from storage import tables as t

        conn.execute(update(t.events).where(t.events.c.case_number == n, t.events.c.seq == 2)
                     .values(actor="mallory"))
    tampered = site.client("auditor").get("/audit").text
    assert "发现" in tampered and f"{n} event 2" in tampered


def test_deadline_of_a_case_at_an_instant_reads_in_beijing_time(site: Site) -> None:
    site.svc.after_commit.clear()
    n = run_to(site.world, "awaiting_experts")
    at = datetime.fromisoformat("2026-09-29T10:00:00+08:00").isoformat()
    replay = site.api("auditor").get(f"/api/v1/cases/{n}/replay", params={"at": at}).json()
    assert replay["status"] == "awaiting_experts"
    assert replay["deadlines"][0]["due_at"] == "2026-10-10T00:00:00+08:00"


def test_every_action_in_the_api_ends_where_the_cli_would(site: Site) -> None:
    """A consultation from draft to archive through the API alone (the tokens of sh, js and the experts)."""
    from conftest import load_example

    site.svc.after_commit.clear()
    clk = site.world.clock
    clk.set("2026-09-24T10:00:00+08:00")
    sh, js = site.api("sh"), site.api("js")
    n = sh.post("/api/v1/cases", json=load_example("case.yaml")).json()["number"]
    for call in [lambda: sh.post(f"/api/v1/cases/{n}/verify", json={"note": "核实无误"}),
                 lambda: sh.post(f"/api/v1/cases/{n}/submit"),
                 lambda: sh.post(f"/api/v1/cases/{n}/panel", json={"experts": ["E0001", "E0002", "E0003"]}),
                 lambda: sh.post(f"/api/v1/cases/{n}/materials", files={"file": ("r.txt", b"report", "text/plain")}),
                 lambda: sh.post(f"/api/v1/cases/{n}/dispatch")]:
        clk.advance(minutes=5)
        assert call().status_code in (200, 201)
    for i in (1, 2, 3):
        clk.advance(minutes=5)
        assert site.api(f"x{i}").post(f"/api/v1/cases/{n}/analyses", json={"text": "分析"}).status_code == 200
    clk.set("2026-10-09T09:00:00+08:00")
    assert sh.post(f"/api/v1/cases/{n}/refer").json()["status"] == "convening"
    clk.advance(hours=1)  # Art. 8(4): the online meeting first, then it is held
    assert js.post(f"/api/v1/cases/{n}/meeting", json={"at": "2026-10-14T14:00:00+08:00", "platform": "腾讯会议"}
                   ).status_code == 200
    clk.advance(hours=1)
    assert js.post(f"/api/v1/cases/{n}/convene").json()["status"] == "convened"
    for i in (1, 2, 3):
        clk.advance(minutes=5)
        assert site.api(f"x{i}").post(f"/api/v1/cases/{n}/opinions", json={"answers": opinion()}).status_code == 200
    clk.advance(minutes=5)
    assert js.post(f"/api/v1/cases/{n}/decide").json()["outcome"] == "investigate"
    clk.advance(minutes=5)
    assert js.post(f"/api/v1/cases/{n}/minutes").json()["minutes"]["cc"] == ["SH", "ZJ", "AH"]
    clk.advance(minutes=5)
    assert js.post(f"/api/v1/cases/{n}/archive").json()["status"] == "archived"
    assert site.api("auditor").get("/api/v1/audit/verify", params={"case": n}).json() == {"ok": True, "findings": []}
    again = js.post(f"/api/v1/cases/{n}/archive")
    assert again.status_code == 409 and "操作冲突" in again.json()["error"]["message"]
    spec = site.api(None).get("/api/v1/openapi.json").json()
    assert spec["info"]["title"] == "huizhen 会诊 API" and "/api/v1/cases/{number}/opinions" in spec["paths"]


def test_reminders_reach_the_inbox_page(site: Site) -> None:
    """The 督办 reminders the scheduler sends show in the liaison's 站内信, and can be marked read."""
    site.svc.after_commit.clear()
    n = run_to(site.world, "awaiting_experts")
    site.world.clock.set("2026-10-12T10:00:00+08:00")  # T1 ran out at the end of 2026-10-09
    site.world.app.sweeper().sweep()
    page = site.client("sh").get("/inbox").text
    assert n in page and "●" in page
    assert site.post("sh", "/inbox/read").status_code == 303
    assert "●" not in site.client("sh").get("/inbox").text
    assert n not in site.client("x5").get("/inbox").text


def test_issuing_minutes_answers_at_once_and_the_papers_follow(site: Site) -> None:
    """The minutes PDF and its mail go out on the web's background thread: the lead's page comes back while they
    are still queued, and they reach every other institution (one ledger row each) right after."""
    from huizhen.web.app import InBackground

    handlers = site.svc.after_commit
    assert handlers and all(isinstance(h, InBackground) for h in handlers)
    gate, started = threading.Event(), threading.Event()

    def hold(number: str, events: Any, svc: Any) -> None:
        started.set()
        gate.wait(30)

    handlers.insert(0, InBackground(hold, handlers[0].pool))  # one thread: the outbox queues behind the gate
    n = run_to(site.world, "decided")
    site.world.clock.advance(minutes=5)
    resp = site.post("js", f"/cases/{n}/act/issue_minutes")
    assert resp.status_code == 303 and started.wait(10)

    def minutes_sent() -> set[str]:
        with site.svc.uow(readonly=True) as uow:
            return {k for k in uow.reminders.known_keys(f"{n}|") if "|minutes|" in k}

    assert minutes_sent() == set()  # answered before anything was sent
    gate.set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(minutes_sent()) < 3:
        time.sleep(0.2)
    recipients = {k.split("|")[2] for k in minutes_sent()}
    assert {"zj", "ah"} <= recipients and "js" not in recipients, minutes_sent()


def test_every_event_type_has_a_chinese_label_in_the_timeline() -> None:
    """A new event type must be named in people's words on the case page, not shown by its code name."""
    from huizhen.labels import EVENT_LABELS
    from states.case import MUTATORS

    assert set(MUTATORS) - set(EVENT_LABELS) == set()


def test_fees_on_the_case_page_for_the_applicant_and_each_expert_sees_only_their_own(site: Site) -> None:
    """Art. 10: the applicant's liaison records each panel expert's fee on the case page; the lead sees them all;
    a panel expert sees their own fee, in the list and in the timeline, and not a colleague's."""
    site.svc.after_commit.clear()
    n = run_to(site.world, "awaiting_experts")
    page = site.client("sh").get(f"/cases/{n}").text
    assert 'id="fee-form"' in page and "尚未登记专家费用" in page
    assert 'id="fee-form"' not in site.client("js").get(f"/cases/{n}").text  # the applicant pays, not the lead

    bad = site.post("sh", f"/cases/{n}/fees", {"expert": "E0001", "amount": "15.005"})
    assert bad.status_code == 400 and "金额" in error_text(bad.text)
    site.world.clock.advance(minutes=5)
    done = site.post("sh", f"/cases/{n}/fees", {"expert": "E0001", "amount": "1500", "paid_on": "2026-09-29"})
    assert done.status_code == 303
    site.world.clock.advance(minutes=5)
    assert site.post("sh", f"/cases/{n}/fees", {"expert": "E0002", "amount": "1200.50"}).status_code == 303

    page = site.client("sh").get(done.headers["location"]).text
    assert "专家费用已登记" in page or "1500.00" in page
    assert "1500.00" in page and "1200.50" in page and "未支付" in page and "登记专家费用" in page
    lead = site.client("js").get(f"/cases/{n}").text
    assert "1500.00" in lead and "1200.50" in lead
    mine = site.client("x1").get(f"/cases/{n}").text
    assert "1500.00" in mine and "1200.50" not in mine
    history = site.api("x2").get(f"/api/v1/cases/{n}/history").json()
    fees = [e["payload"]["expert"] for e in history if e["type"] == "FeeRecorded"]
    assert fees == ["E0002"]
    assert set(site.api("x2").get(f"/api/v1/cases/{n}").json()["fees"]) == {"E0002"}
    assert set(site.api("auditor").get(f"/api/v1/cases/{n}").json()["fees"]) == {"E0001", "E0002"}


def test_the_year_in_figures_with_its_charts(site: Site) -> None:
    """年度统计: the same figures as `huizhen report year`, readable by liaisons, admins and auditors, with charts."""
    site.svc.after_commit.clear()
    run_to(site.world, "archived")
    run_to(site.world, "awaiting_experts")
    page = site.client("zj").get("/reports?year=2026").text
    assert "2026年度会诊工作统计" in page
    assert re.search(r'id="opened-total">2<', page) and re.search(r'id="closed-total">1<', page)
    assert re.search(r'id="t1-rate">100.0%<', page)  # both analyses came in on time
    assert 'href="/reports">年度统计</a>' in page
    scoped = site.client("zj").get("/reports?year=2026&institution=JS").text
    assert "JS 江苏" in scoped and re.search(r'id="opened-total">2<', scoped)  # JS leads both
    png = site.client("sh").get("/reports/charts/outcomes.png?year=2026")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n") and len(png.content) > 5000
    assert site.client("sh").get("/reports/charts/secrets.png?year=2026").status_code == 404
    assert site.client("sh").get("/reports?year=20x6").status_code == 400
    assert site.client("sh").get("/reports?year=2026&institution=XX").status_code == 400
    assert site.client("x1").get("/reports?year=2026").status_code == 403
    assert 'href="/reports"' not in site.client("x1").get("/my/panels").text


def test_retention_page_appraise_hold_and_purge(site: Site) -> None:
    """档案保存 as the admin works it: appraise, hold, a purge that refuses, release, a purge five years on that
    destroys, the destruction list as PDF, and the audit still clean."""
    site.svc.after_commit.clear()
    n = run_to(site.world, "archived")  # archived 2026-10-14
    clock = site.world.clock
    page = site.client("admin").get("/retention").text
    assert n in page and "2031-10-14" in page and f'id="appraise-{n}"' in page
    assert f'id="appraise-{n}"' not in site.client("sh").get("/retention").text  # liaisons read, admins act
    assert "2031-10-14" in site.client("sh").get(f"/cases/{n}").text  # the case says how long it is kept

    bad = site.post("admin", f"/retention/{n}/appraise", {"approver": "", "note": "期满"})
    assert bad.status_code == 400 and "审批人" in error_text(bad.text)
    clock.advance(minutes=5)
    assert site.post("admin", f"/retention/{n}/appraise", {"approver": "张主任", "note": "保存期满，无保留价值"}
                     ).status_code == 303
    clock.advance(minutes=5)
    assert site.post("admin", f"/retention/{n}/hold", {"reason": "诉讼保全"}).status_code == 303
    unconfirmed = site.post("admin", "/retention/purge", {})
    assert unconfirmed.status_code == 400 and "确认销毁" in error_text(unconfirmed.text)
    refused = site.post("admin", "/retention/purge", {"confirm": "yes"}).text
    assert 'id="nothing-eligible"' in refused and "2031-10-14" in refused and "诉讼保全" in refused

    clock.set("2031-10-15T10:00:00+08:00")
    assert site.post("admin", f"/retention/{n}/release", {"reason": "诉讼结束"}).status_code == 303
    done = site.post("admin", "/retention/purge", {"confirm": "yes"}).text
    batch = re.search(r'/retention/destruction-lists/([0-9-]+)\.pdf" id="destruction-pdf"', done)
    assert batch and batch.group(1) == "2031-001" and n in done
    pdf = site.client("auditor").get(f"/retention/destruction-lists/{batch.group(1)}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert site.client("auditor").get("/retention/destruction-lists/2031-001.exe").status_code == 404
    assert site.client("sh").get(f"/retention/destruction-lists/{batch.group(1)}.pdf").status_code == 403
    assert site.client("admin").get(f"/cases/{n}").status_code == 404
    assert 'id="tombstones"' in site.client("admin").get("/retention").text
    assert "全部" in site.client("auditor").get("/audit").text and "发现" not in site.client("auditor").get("/audit").text
