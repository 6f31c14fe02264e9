# ruff: noqa: F811  (the fixtures come from websupport and are used as arguments)
"""The admin's work without a shell (issue 14 item 2) and Art. 3's limit of liaisons (issue 12 item 10): users, the
expert pool, the working calendar with its preview, the rotation, the admin's trail, and everyone's own account —
from the pages, as the people who use them, with refusals that name the field and write nothing."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from conftest import run_to
from test_pages import login
from websupport import BOTH, PASSWORD, Site, db_url, error_text, site  # noqa: F401  (fixtures)

from workflow import people
from workflow import usecases as uc

YEAR_2027 = "year: 2027\nnotice: 测试用通知（非官方）\nholidays:\n  - {date: 2027-01-01, name: 元旦}\n"


def ok(resp: Any, where: str = "") -> str:
    assert resp.status_code in (200, 303), resp.text[:500]
    return where


def trail(site: Site) -> list[tuple[str, str, str]]:
    return [(r["actor"], r["action"], r["target"]) for r in people.admin_trail(site.svc, "auditor")]


@pytest.mark.parametrize("db_url", BOTH, indirect=True)
def test_an_admin_adds_a_user_and_an_expert_and_loads_a_year_from_the_pages(site: Site) -> None:
    """The Done-when of issue 14 item 2, from the pages alone, and each step in the admin's trail."""
    # an expert into the pool
    resp = site.post("admin", "/admin/experts", {"name": "王工", "field": "电气安全", "employer": "某检测院",
                                                 "title": "正高级工程师", "province": "ZJ"})
    assert resp.status_code == 303 and "ok=added" in resp.headers["location"]
    page = site.client("admin").get("/admin/experts").text
    assert "王工" in page and "电气安全" in page and "某检测院" in page and "正高级工程师" in page
    (new_expert,) = [e for e in uc.list_experts(site.svc, "admin") if e.name == "王工"]
    # a user for that expert, with an initial password: they can sign in with it
    resp = site.post("admin", "/admin/users", {"name": "wanggong", "display_name": "王工", "role": "expert",
                                               "expert": new_expert.id, "email": "wang@example.org",
                                               "phone": "0571-88886666", "password": "initial pass 1"})
    assert resp.status_code == 303 and resp.headers["location"] == "/admin/users/wanggong?ok=added"
    listing = site.client("admin").get("/admin/users").text
    assert "wanggong" in listing and "0571-88886666" in listing
    c, signed = login(site, "wanggong", "initial pass 1")
    assert signed.status_code == 303 and signed.headers["location"] == "/my/panels"
    # a year file: preview lists what would move and writes nothing; confirming loads it
    n = run_to(site.world, "awaiting_experts")  # T1 runs: an open deadline
    standing = site.client("admin").get("/admin/calendar").text
    assert "2027年：<b>预估</b>" in standing and "2026年：正式安排（系统内置）" in standing
    with site.svc.uow(readonly=True) as uow:
        before = len(uow.calendar_years.all())
    preview = site.client("admin").post("/admin/calendar/preview", data={
        "csrf_token": site.csrf("admin")}, files={"file": ("2027.yaml", YEAR_2027.encode(), "text/yaml")})
    assert preview.status_code == 200 and 'id="preview"' in preview.text and "2027年" in preview.text
    assert 'id="load-year"' in preview.text
    with site.svc.uow(readonly=True) as uow:
        assert len(uow.calendar_years.all()) == before
    content = html.unescape(re.search(r'name="content" value="([^"]*)"', preview.text).group(1))  # type: ignore[union-attr]
    assert content == YEAR_2027
    loaded = site.post("admin", "/admin/calendar/load", {"content": content, "filename": "2027.yaml",
                                                         "confirm": "yes"})
    assert loaded.status_code == 303 and loaded.headers["location"].startswith("/admin/calendar?ok=loaded")
    page = site.client("admin").get("/admin/calendar").text
    assert "测试用通知（非官方）" in page and "2027年：正式安排（已载入）" in page
    assert n
    got = trail(site)
    assert ("admin", "expert_add", new_expert.id) in got
    assert ("admin", "user_add", "wanggong") in got
    assert ("admin", "calendar_load", "2027") in got
    log = site.client("auditor").get("/admin/log").text
    assert "添加用户" in log and "添加专家" in log and "载入放假安排" in log and "专家" in log


def test_the_preview_names_the_moved_deadline(site: Site) -> None:
    """A holiday inside T1 moves its due date: the preview shows the case, the deadline and both dates. (2026 is
    in the package; 2027 is not yet official, so a 2027 file may move a deadline of March 2027.)"""
    w = site.world
    n = run_to(w, "preliminary_review")
    uc.form_panel(site.svc, "sh", n, w.experts[:3])
    uc.attach(site.svc, "sh", n, "report.txt", b"test report", "test_report")
    w.clock.set("2027-03-01T09:00:00+08:00")
    uc.dispatch(site.svc, "sh", n)
    with site.svc.uow(readonly=True) as uow:
        (d,) = uow.cases.load(n, lock=False).open_deadlines()
    due = d.due_at.astimezone(uc.BEIJING).date()
    year = f"year: {due.year}\nnotice: 测试通知\nholidays:\n  - {{date: {due.isoformat()}, name: 测试假日}}\n"
    page = site.post("admin", "/admin/calendar/preview", {"content": year})
    assert page.status_code == 200, error_text(page.text)
    from huizhen.labels import DEADLINE_LABELS

    moves = re.search(r'id="moves">(.*?)</table>', page.text, re.S)
    assert moves, page.text[:500]
    assert n in moves.group(1) and DEADLINE_LABELS[d.kind] in moves.group(1)
    assert due.isoformat() in moves.group(1)  # the old date, and a later new one beside it
    with site.svc.uow(readonly=True) as uow:  # nothing written: the deadline is as it was
        assert [x.id for x in uow.cases.load(n, lock=False).open_deadlines()] == [d.id]


def test_a_bad_year_file_is_refused_naming_its_field(site: Site) -> None:
    bad = "year: 2027\nnotice: 测试\nholidays:\n  - {date: 2027-13-01, name: 元旦}\n"
    page = site.post("admin", "/admin/calendar/preview", {"content": bad})
    assert page.status_code == 400
    assert "年度放假安排文件有误" in error_text(page.text)
    nothing = site.post("admin", "/admin/calendar/preview", {"content": ""})
    assert nothing.status_code == 400 and "（文件）" in error_text(nothing.text)
    unconfirmed = site.post("admin", "/admin/calendar/load", {"content": YEAR_2027})
    assert unconfirmed.status_code == 400 and "（确认）" in error_text(unconfirmed.text)
    with site.svc.uow(readonly=True) as uow:
        assert all(r["year"] != 2027 for r in uow.calendar_years.all())


@pytest.mark.parametrize("db_url", BOTH, indirect=True)
def test_art_3_a_third_active_liaison_is_refused_everywhere(site: Site) -> None:
    """SH has one liaison (sh): a second is fine, a third is refused by the page, the API and the use case; so are
    changing a role or an institution, and enabling, that would make a third."""
    assert site.post("admin", "/admin/users", {"name": "sh2", "role": "liaison", "institution": "SH"}).status_code == 303
    page = site.post("admin", "/admin/users", {"name": "sh3", "role": "liaison", "institution": "SH"})
    assert page.status_code == 409
    assert error_text(page.text).startswith("尚不满足规范要求（机构）：")
    assert "已有 2 名在用的联络员" in error_text(page.text)
    assert 'value="sh3"' in page.text  # the form again, with what was typed
    api = site.api("admin").post("/api/v1/users", json={"name": "sh3", "role": "liaison", "institution": "SH"})
    assert api.status_code == 409 and api.json()["error"]["field"] == "institution"
    assert api.json()["error"]["key"] == "liaison_limit"
    with site.svc.uow(readonly=True) as uow:
        assert uow.users.get("sh3") is None
    # a role change and an institution change into SH are refused too; an auditor, then not a liaison, is fine
    assert site.post("admin", "/admin/users", {"name": "aud2", "role": "auditor"}).status_code == 303
    to_liaison = site.post("admin", "/admin/users/aud2", {"role": "liaison", "institution": "SH"})
    assert to_liaison.status_code == 409 and "（机构）" in error_text(to_liaison.text)
    moved = site.api("admin").patch("/api/v1/users/js", json={"institution": "SH"})
    assert moved.status_code == 409 and moved.json()["error"]["field"] == "institution"
    # disabling one frees a place; enabling it again while SH has two is refused
    assert site.post("admin", "/admin/users/sh2/active", {"active": "off"}).status_code == 303
    assert site.post("admin", "/admin/users", {"name": "sh3", "role": "liaison", "institution": "SH"}).status_code == 303
    again = site.post("admin", "/admin/users/sh2/active", {"active": "on"})
    assert again.status_code == 409 and "（机构）" in error_text(again.text)
    with site.svc.uow(readonly=True) as uow:
        assert uow.users.get("sh2").active is False  # type: ignore[union-attr]
        assert uow.users.get("aud2").role == "auditor"  # type: ignore[union-attr]
        assert uow.users.get("js").institution == "JS"  # type: ignore[union-attr]


def test_a_disabled_user_signs_in_nowhere_and_comes_back_when_enabled(site: Site) -> None:
    site.client("x5").get("/dashboard")  # a session open before
    token_client = site.api("x5")
    assert token_client.get("/api/v1/me").status_code == 200
    assert site.post("admin", "/admin/users/x5/active", {"active": "off"}).status_code == 303
    assert site.client("x5").get("/dashboard").headers["location"].startswith("/login")
    assert token_client.get("/api/v1/me").status_code == 401
    _c, refused = login(site, "x5", PASSWORD)
    assert refused.status_code == 403 and "该账户已停用" in refused.text
    page = site.client("admin").get("/admin/users").text
    assert "已停用" in page
    self_off = site.post("admin", "/admin/users/admin/active", {"active": "off"})
    assert self_off.status_code == 409 and "管理员不能停用自己" in error_text(self_off.text)
    assert site.post("admin", "/admin/users/x5/active", {"active": "on"}).status_code == 303
    assert site.client("x5").get("/dashboard").status_code == 200
    assert [a for _, a, t in trail(site) if t == "x5"][:2] == ["user_enable", "user_disable"]


def test_reset_password_and_tokens_are_shown_once(site: Site) -> None:
    page = site.post("admin", "/admin/users/zj/password")
    assert page.status_code == 200 and 'id="secret"' in page.text and "只显示这一次" in page.text
    password = re.search(r'id="secret-value">([^<]+)<', page.text).group(1)  # type: ignore[union-attr]
    assert site.client("zj").get("/dashboard").headers["location"].startswith("/login")  # old session ended
    _c, signed = login(site, "zj", password)
    assert signed.status_code == 303
    assert password not in site.client("admin").get("/admin/users/zj").text  # never again
    issued = site.post("admin", "/admin/users/zj/tokens", {"label": "报表脚本"})
    token = re.search(r'id="secret-value">([^<]+)<', issued.text).group(1)  # type: ignore[union-attr]
    assert token.startswith("hz_")
    from fastapi.testclient import TestClient

    api = TestClient(site.web, headers={"Authorization": f"Bearer {token}"})
    assert api.get("/api/v1/me").status_code == 200
    (row,) = [t for t in site.store.tokens_of("zj") if t["label"] == "报表脚本"]
    assert site.post("admin", f"/admin/users/zj/tokens/{row['id']}/revoke").status_code == 303
    assert api.get("/api/v1/me").status_code == 401
    actions = [a for _, a, t in trail(site) if t == "zj"]
    assert actions[:3] == ["token_revoke", "token_issue", "password_reset"]
    assert all(password not in str(r) and token not in str(r) for r in people.admin_trail(site.svc, "admin"))


def test_a_user_is_changed_and_bad_input_names_the_field(site: Site) -> None:
    changed = site.post("admin", "/admin/users/auditor", {"display_name": "审计员李", "email": "li@example.org",
                                                          "phone": "021-5555 6666"})
    assert changed.status_code == 303
    page = site.client("admin").get("/admin/users/auditor").text
    assert "审计员李" in page and "li@example.org" in page
    bad = site.post("admin", "/admin/users/auditor", {"email": "not-an-address"})
    assert bad.status_code == 400 and error_text(bad.text).startswith("输入有误（电子邮箱）")
    phone = site.post("admin", "/admin/users", {"name": "p1", "role": "auditor", "phone": "call me"})
    assert phone.status_code == 400 and "（电话）" in error_text(phone.text)
    short = site.post("admin", "/admin/users", {"name": "p1", "role": "auditor", "password": "short"})
    assert short.status_code == 400 and "（密码）" in error_text(short.text)
    no_inst = site.post("admin", "/admin/users", {"name": "p1", "role": "liaison"})
    assert no_inst.status_code == 400 and "（机构）" in error_text(no_inst.text)
    with site.svc.uow(readonly=True) as uow:
        assert uow.users.get("p1") is None
        assert uow.users.get("auditor").email == "li@example.org"  # type: ignore[union-attr]
    demote = site.post("admin", "/admin/users/admin", {"role": "auditor"})
    assert demote.status_code == 409 and "（角色）" in error_text(demote.text)


def test_the_expert_pool_is_edited_and_deactivated(site: Site) -> None:
    assert site.post("admin", "/admin/experts/E0005", {"employer": "新单位", "title": "研究员"}).status_code == 303
    page = site.client("sh").get("/admin/experts").text
    assert "新单位" in page and "研究员" in page
    # a liaison keeps their own province's pool only
    other = site.post("zj", "/admin/experts/E0005", {"title": "教授"})
    assert other.status_code == 403
    mine = site.post("sh", "/admin/experts/E0005/active", {"active": "off"})
    assert mine.status_code == 303
    assert [e.active for e in uc.list_experts(site.svc, "admin") if e.id == "E0005"] == [False]
    empty = site.post("admin", "/admin/experts", {"name": "", "field": "机械", "employer": "某院", "title": "工程师",
                                                  "province": "SH"})
    assert empty.status_code == 400 and "（名称）" in error_text(empty.text)
    province = site.post("admin", "/admin/experts", {"name": "甲", "field": "机械", "employer": "某院",
                                                     "title": "工程师", "province": "XX"})
    assert province.status_code == 400 and "（省份）" in error_text(province.text)
    assert ("admin", "expert_edit", "E0005") in trail(site) and ("sh", "expert_deactivate", "E0005") in trail(site)


def test_everyone_keeps_their_own_account(site: Site) -> None:
    """An expert changes their display name, email and phone, and their password (current + new twice): the
    session they changed it in goes on, another of theirs ends."""
    page = site.client("x1").get("/account")
    assert page.status_code == 200 and "我的账户" in page.text and 'id="email-pref"' in page.text
    assert site.post("x1", "/account", {"display_name": "专家一号", "email": "x1new@example.org",
                                        "phone": "13800000000"}).status_code == 303
    with site.svc.uow(readonly=True) as uow:
        me = uow.users.get("x1")
    assert me is not None and (me.display_name, me.email, me.phone) == ("专家一号", "x1new@example.org", "13800000000")
    bad = site.post("x1", "/account", {"email": "nope"})
    assert bad.status_code == 400 and "（电子邮箱）" in error_text(bad.text)
    other, _ = login(site, "x1", PASSWORD)
    assert other.get("/account").status_code == 200
    wrong = site.post("x1", "/account/password", {"current": "wrong one", "password": "brand new 99",
                                                  "password_again": "brand new 99"})
    assert wrong.status_code == 400 and "（当前密码）" in error_text(wrong.text)
    differ = site.post("x1", "/account/password", {"current": PASSWORD, "password": "brand new 99",
                                                   "password_again": "brand new 98"})
    assert differ.status_code == 400 and "（再次输入新密码）" in error_text(differ.text)
    done = site.post("x1", "/account/password", {"current": PASSWORD, "password": "brand new 99",
                                                 "password_again": "brand new 99"})
    assert done.status_code == 303 and done.headers["location"] == "/account?ok=password"
    assert site.client("x1").get("/account").status_code == 200  # this session goes on
    assert other.get("/account").headers["location"].startswith("/login")  # the other ended
    assert ("x1", "profile_update", "x1") in trail(site) and ("x1", "password_set", "x1") in trail(site)


@pytest.mark.parametrize("who", ["sh", "js", "auditor", "admin", "x1"])
def test_every_dashboard_says_who_leads_this_year(site: Site, who: str) -> None:
    home = "/my/panels" if who.startswith("x") else "/dashboard"
    page = site.client(who).get(home).text
    banner = re.search(r'id="lead-banner">(.*?)</p>', page, re.S)
    assert banner, page[:500]
    assert "2026年度牵头单位：" in banner.group(1) and site.svc.policy.members["JS"] in banner.group(1)
    rotation = site.client(who).get("/rotation").text
    assert "本届" in rotation


def test_the_admin_nav_and_account_link(site: Site) -> None:
    admin = site.client("admin").get("/dashboard").text
    for words in ("用户", "专家库", "工作日历", "我的账户"):
        assert f">{words}</a>" in admin
    liaison = site.client("sh").get("/dashboard").text
    assert ">我的账户</a>" in liaison and 'href="/admin/users"' not in liaison


@pytest.mark.parametrize(("who", "path", "want"), [
    ("admin", "/admin/users", "/help/admin#step-users"), ("admin", "/admin/experts", "/help/admin#step-experts"),
    ("admin", "/admin/calendar", "/help/admin#step-calendar"), ("x1", "/account", "/help/expert#step-account"),
    ("sh", "/account", "/help/applicant-liaison#step-account"), ("auditor", "/rotation", "/help/auditor"),
])
def test_the_help_link_of_the_new_pages(site: Site, who: str, path: str, want: str) -> None:
    page = site.client(who).get(path).text
    assert f'href="{want}"' in page
