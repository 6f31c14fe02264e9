# ruff: noqa: F811  (the fixtures come from websupport and are used as arguments)
"""Every page and every API endpoint, called as every role and as a stranger: who is let in and who is refused.

The roles: admin; the applicant's liaison (sh, SH applies); the lead's liaison (js, JS leads in 2026); another
institution's liaison (zj); the auditor; an expert on the panel (x1) and one who is not (x5); a stranger (no
session, no token). Each write is tried on a case in the state where it would succeed, so only permission decides:
the refused roles first (nothing may change), then the one who may (it must go through).

Refusals: a page answers 403 to a signed-in person and sends a stranger to the sign-in page; the API answers 403,
or 401 without a token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import load_example, opinion, run_to
from websupport import PASSWORD, Site, db_url, site  # noqa: F401  (fixtures)

from workflow import usecases as uc

ROLES: tuple[str | None, ...] = ("admin", "sh", "js", "zj", "auditor", "x1", "x5", None)
SIGNED = frozenset(r for r in ROLES if r)
LIAISONS = frozenset({"sh", "js", "zj"})
VIEW_SUBMITTED = frozenset({"admin", "auditor", "sh", "js", "zj", "x1"})
VIEW_DRAFT = frozenset({"admin", "auditor", "sh"})
# Art. 4(3): a draft whose only basis is a joint decision is shown to the other liaisons (docs/decisions.md).
VIEW_JOINT_DRAFT = frozenset({"admin", "auditor", "sh", "js", "zj"})
OTHER_LIAISONS = frozenset({"js", "zj"})
AUDIT = frozenset({"admin", "auditor"})
REPLAY = frozenset({"admin", "auditor", "sh", "js", "zj"})
UNSURE = opinion("uncertain", 2, 3, public_opinion_risk=True)
YEAR_2027 = "year: 2027\nnotice: 测试用通知（非官方）\nholidays:\n  - {date: 2027-01-01, name: 元旦}\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def reach(site: Site, state: str) -> str:
    """A fresh case (SH applies, JS leads, panel x1–x3) in `state`."""
    w, svc, ex = site.world, site.svc, site.world.experts
    if state in ("drafted", "preliminary_review", "awaiting_experts", "convening", "convened", "decided", "minutes"):
        n = run_to(w, state)
    elif state == "verified_draft":  # Art. 7: verified before the application
        n = run_to(w, "drafted")
        uc.verify(svc, "sh", n, "核实无误")
    elif state == "joint_draft":  # Art. 4(3): the joint decision is the only basis
        data = load_example("case.yaml")
        data["product"]["production_province"] = data["product"]["registered_province"]
        data["basis"] = {"joint_decision": "长三角联席会议决定"}
        n = uc.new_case(svc, "sh", data).number
    elif state == "ready":
        n = run_to(w, "preliminary_review")
        uc.verify(svc, "sh", n, "核实无误")
        uc.form_panel(svc, "sh", n, ex[:3])
        uc.attach(svc, "sh", n, "report.txt", b"test report", "test_report")
    elif state == "nominated":  # --- i12-panel --- JS nominated E0002 (js is the first of the liaisons to act)
        from workflow import nominations

        n = run_to(w, "preliminary_review")
        nominations.nominate(svc, "js", n, ["E0002"])
    elif state == "conflict":  # --- i12-panel --- x1 declared a relation to the producer
        from workflow import nominations

        n = reach(site, "ready")
        nominations.respond(svc, "x1", n, ex[0], "accept", relation="related", relation_text="曾任顾问")
    elif state == "analysed":
        n = run_to(w, "awaiting_experts")
        for i, e in enumerate(ex[:3], start=1):
            w.clock.advance(minutes=1)
            uc.record_analysis(svc, f"x{i}", n, e, "分析意见")
    elif state == "scheduled":
        n = run_to(w, "convening")
        w.clock.advance(minutes=5)
        from datetime import datetime

        uc.schedule_meeting(svc, "js", n, datetime.fromisoformat("2026-10-14T14:00:00+08:00"), "腾讯会议")
    elif state == "forms_in":
        n = run_to(w, "convened")
        for i, e in enumerate(ex[:3], start=1):
            w.clock.advance(minutes=1)
            uc.record_opinion(svc, f"x{i}", n, e, opinion())
    elif state == "fee_recorded":
        from workflow import accounts

        n = run_to(w, "awaiting_experts")
        w.clock.advance(minutes=5)
        accounts.record_fee(svc, "sh", n, ex[0], "1500.00")
    elif state in ("archived", "held", "purged"):
        from workflow import accounts

        n = run_to(w, "archived")
        w.clock.advance(minutes=5)
        if state == "held":
            accounts.place_hold(svc, "admin", n, "诉讼保全")
        if state == "purged":
            accounts.appraise(svc, "admin", n, "张主任", "保存期满")
            w.clock.set("2031-11-03T10:00:00+08:00")  # five years after the archive, and a day
            assert [t["number"] for t in accounts.purge(svc, "admin", [n]).purged] == [n]
    elif state == "attention":
        n = run_to(w, "continued_attention", opinions=[UNSURE] * 3)
    elif state == "attention_minutes":
        n = run_to(w, "continued_attention", opinions=[UNSURE] * 3)
        w.clock.advance(hours=1)
        uc.issue_minutes(svc, "js", n)
    else:
        raise AssertionError(state)
    w.clock.advance(minutes=10)
    return n


def material_of(site: Site, number: str) -> str:
    with site.svc.uow(readonly=True) as uow:
        return str(uow.cases.snapshot(number)["materials"][0]["sha256"])


Call = Callable[[Site, str | None, str], Any]


@dataclass
class Route:
    name: str
    state: str | None  # the case state it needs (None: no case)
    call: Call
    allowed: frozenset[str]
    write: bool = False


def _page_key(method: str, path: str) -> tuple[str, str]:
    """The route template a page call reaches: /cases/{n}/act/submit → ("POST", "/cases/{number}/act/{action}")."""
    template = path.split("?")[0].replace("{n}", "{number}")
    if "/act/" in template:
        template = template.split("/act/")[0] + "/act/{action}"
    return method, template


def page_get(path: str) -> Call:
    def go(s: Site, who: str | None, n: str) -> Any:
        return s.client(who).get(path.format(n=n))

    go.key = _page_key("GET", path)  # type: ignore[attr-defined]
    return go


def page_post(path: str, data: dict[str, Any] | None = None, files: dict[str, Any] | None = None) -> Call:
    def go(s: Site, who: str | None, n: str) -> Any:
        body = dict(data or {})
        if who:
            body["csrf_token"] = s.csrf(who)
        return s.client(who).post(path.format(n=n), data=body, files=files)

    go.key = _page_key("POST", path)  # type: ignore[attr-defined]
    return go


def api(method: str, path: str, json: Any = None, template: str | None = None, **kw: Any) -> Call:
    def go(s: Site, who: str | None, n: str) -> Any:
        url = path.format(n=n, sha=material_of(s, n) if "{sha}" in path else "",
                          batch=batch_of(s, n) if "{batch}" in path else "",
                          token=live_token_of(s, "x5") if "{token}" in path else "")
        return s.api(who).request(method, url, json=json, **kw)

    template = template or path.split("?")[0].replace("{n}", "{number}").replace("{sha}", "{sha256}")
    template = template.replace("/x5/", "/{name}/").replace("{token}", "{token_id}")
    go.key = (method, "/api/v1" + template.removeprefix("/api/v1"))  # type: ignore[attr-defined]
    return go


def batch_of(site: Site, number: str) -> str:
    """The destruction list a purged case went into."""
    from workflow import accounts

    (row,) = [t for t in accounts.retention_list(site.svc, "admin", purged=True) if t["number"] == number]
    return str(row["batch"])


def live_token_of(site: Site, name: str) -> int:
    """One of NAME's API tokens that is not revoked (issued here if there is none), never the one NAME's own
    client signs in with."""
    from workflow import web_usecases as wu

    def live() -> list[dict[str, Any]]:
        return [t for t in site.store.tokens_of(name) if t["revoked_at"] is None and t["label"] == "matrix"]

    if not live():
        wu.issue_token(site.svc, site.store, "admin", name, "matrix")
    return int(live()[-1]["id"])


CASE_FORM = {"product.name": "儿童电动滑板车", "product.model": "KS-200", "product.brand": "酷速",
             "product.producer": "某某智能科技有限公司", "product.registered_province": "SH",
             "product.production_province": "ZJ", "product.test_basis": "GB/T 40019-2021",
             "product.report_numbers": "SH-2026-JC-0815", "product.suspected_defect": "锁止销可能脱出",
             "sources": "spot_check"}
OPINION_FORM = {"standard_noncompliance": "yes", "nonstandard_danger": "no", "no_standard_danger": "no",
                "severity": "4", "likelihood": "8", "cause_design": "yes", "cause_manufacturing": "no",
                "cause_warning": "no", "universality": "yes", "similar_recall": "no", "public_opinion_risk": "no",
                "confirm": "yes"}
DOWNLOAD = "/cases/{n}/materials/"


def material_download(s: Site, who: str | None, n: str) -> Any:
    return s.client(who).get(f"/cases/{n}/materials/{material_of(s, n)}")


material_download.key = ("GET", "/cases/{number}/materials/{sha256}")  # type: ignore[attr-defined]


def material_preview(s: Site, who: str | None, n: str) -> Any:
    return s.client(who).get(f"/cases/{n}/materials/{material_of(s, n)}/preview")


material_preview.key = ("GET", "/cases/{number}/materials/{sha256}/preview")  # type: ignore[attr-defined]


def report_chart(s: Site, who: str | None, n: str) -> Any:
    return s.client(who).get("/reports/charts/outcomes.png?year=2026")


report_chart.key = ("GET", "/reports/charts/{name}")  # type: ignore[attr-defined]


def destruction_file(s: Site, who: str | None, n: str) -> Any:
    return s.client(who).get(f"/retention/destruction-lists/{batch_of(s, n)}.pdf")


destruction_file.key = ("GET", "/retention/destruction-lists/{name}")  # type: ignore[attr-defined]

def fixed(path: str, template: str) -> Call:
    """A GET of PATH, a page of the route TEMPLATE (its parameter filled in)."""
    go = page_get(path)
    go.key = ("GET", template)  # type: ignore[attr-defined]
    return go


# --- i14-admin: the admin's pages and one's own account -------------------------------------------------------------
def page_post_to(path: str, template: str, data: dict[str, Any] | None = None,
                 files: dict[str, Any] | None = None) -> Call:
    """A form post to PATH, a page of the route TEMPLATE (its parameters filled in)."""
    go = page_post(path, data, files)
    go.key = ("POST", template)  # type: ignore[attr-defined]
    return go


def revoke_page(s: Site, who: str | None, n: str) -> Any:
    body = {"csrf_token": s.csrf(who)} if who else {}
    return s.client(who).post(f"/admin/users/ah/tokens/{live_token_of(s, 'ah')}/revoke", data=body)


revoke_page.key = ("POST", "/admin/users/{name}/tokens/{token_id}/revoke")  # type: ignore[attr-defined]

ADMIN = frozenset({"admin"})
ADMIN_PAGES: list[Route] = [
    Route("GET /admin/users", None, page_get("/admin/users"), ADMIN),
    Route("GET /admin/users/{name}", None, fixed("/admin/users/ah", "/admin/users/{name}"), ADMIN),
    Route("POST /admin/users", None, page_post("/admin/users", {"name": "new-auditor", "role": "auditor"}), ADMIN,
          True),
    Route("POST /admin/users/{name}", None, page_post_to("/admin/users/ah", "/admin/users/{name}",
                                                         {"display_name": "安徽联络员", "phone": "0551-1234567"}),
          ADMIN, True),
    Route("POST user password", None, page_post_to("/admin/users/ah/password", "/admin/users/{name}/password"),
          ADMIN, True),
    Route("POST user token", None, page_post_to("/admin/users/ah/tokens", "/admin/users/{name}/tokens",
                                                {"label": "matrix"}), ADMIN, True),
    Route("POST user token revoke", None, revoke_page, ADMIN, True),
    Route("POST user active", None, page_post_to("/admin/users/ah/active", "/admin/users/{name}/active",
                                                 {"active": "off"}), ADMIN, True),
    Route("GET /admin/experts", None, page_get("/admin/experts"), AUDIT | LIAISONS),
    Route("POST /admin/experts", None, page_post("/admin/experts", {"name": "新专家", "field": "机械",
                                                                   "employer": "某院", "title": "工程师",
                                                                   "province": "SH"}), frozenset({"admin", "sh"}),
          True),
    Route("POST expert edit", None, page_post_to("/admin/experts/E0005", "/admin/experts/{expert_id}",
                                                 {"title": "研究员"}), frozenset({"admin", "sh"}), True),
    Route("POST expert active", None, page_post_to("/admin/experts/E0005/active",
                                                   "/admin/experts/{expert_id}/active", {"active": "off"}),
          frozenset({"admin", "sh"}), True),
    Route("GET /admin/calendar", None, page_get("/admin/calendar"), ADMIN),
    Route("POST calendar preview", None, page_post("/admin/calendar/preview", {"content": YEAR_2027}), ADMIN),
    Route("POST calendar load", None, page_post("/admin/calendar/load", {"content": YEAR_2027, "confirm": "yes"}),
          ADMIN, True),
    Route("GET /admin/log", None, page_get("/admin/log"), AUDIT),
    Route("GET /rotation", None, page_get("/rotation"), SIGNED),
    Route("GET /account", None, page_get("/account"), SIGNED),
    Route("POST /account", None, page_post("/account", {"phone": "021-12345678"}), SIGNED, True),
]


EVERYONE = frozenset(ROLES)  # type: ignore[arg-type]
# i15-rest: checkpoints go to the institutions' liaisons and the auditors; only auditors and admins issue and verify.
CHECKPOINT_READERS = AUDIT | LIAISONS


def kept_checkpoint(site: Site) -> str:
    """The name of a checkpoint kept in the folder (issued here if there is none)."""
    from huizhen import checkpoints

    hz = site.web.state.web.hz
    rows = checkpoints.kept(hz)
    if not rows:
        return checkpoints.issue(hz, "admin", site.svc.clock.now())[0]
    return str(rows[0]["name"])


def checkpoint_page(s: Site, who: str | None, n: str) -> Any:
    return s.client(who).get(f"/audit/checkpoints/{kept_checkpoint(s)}")


checkpoint_page.key = ("GET", "/audit/checkpoints/{name}")  # type: ignore[attr-defined]


def checkpoint_api(s: Site, who: str | None, n: str) -> Any:
    return s.api(who).get(f"/api/v1/audit/checkpoints/{kept_checkpoint(s)}")


checkpoint_api.key = ("GET", "/api/v1/audit/checkpoints/{name}")  # type: ignore[attr-defined]

PAGES: list[Route] = [
    Route("GET /", None, page_get("/"), SIGNED),
    Route("GET /healthz", None, page_get("/healthz"), frozenset(ROLES)),  # type: ignore[arg-type]
    Route("GET /dashboard", None, page_get("/dashboard"), SIGNED),
    Route("GET /dashboard/rows", None, page_get("/dashboard/rows"), SIGNED),
    # --- i14-find: the filtered list's export (each role gets only the cases it may see)
    Route("GET /dashboard/export.csv", None, page_get("/dashboard/export.csv?q=YRD"), SIGNED),
    Route("GET /dashboard/export.xlsx", None, page_get("/dashboard/export.xlsx"), SIGNED),
    Route("GET /my/panels", None, page_get("/my/panels"), frozenset({"x1", "x5"})),
    Route("GET /audit", None, page_get("/audit"), AUDIT),
    # --- i15-rest ---
    Route("POST /audit/checkpoints", None, page_post("/audit/checkpoints"), AUDIT),
    Route("GET /audit/checkpoints/{name}", None, checkpoint_page, CHECKPOINT_READERS),
    Route("GET /audit/public-key", None, page_get("/audit/public-key"), CHECKPOINT_READERS),
    Route("POST /audit/verify", None, page_post("/audit/verify", files={"file": ("cp.json", b"{}", "application/json")}),
          AUDIT),
    Route("GET /help/api", None, page_get("/help/api"), SIGNED),
    # the user guide: open without signing in (no case data; its pictures are of the demo)
    Route("GET /help", None, page_get("/help"), EVERYONE),
    Route("GET /help/{chapter}", None, fixed("/help/lead-liaison", "/help/{chapter}"), EVERYONE),
    Route("GET /help/images/{name}", None, fixed("/help/images/login-390.png", "/help/images/{name}"), EVERYONE),
    Route("GET /help/guide.pdf", None, page_get("/help/guide.pdf"), EVERYONE),
    Route("GET /inbox", None, page_get("/inbox"), SIGNED),
    Route("POST /inbox/read", None, page_post("/inbox/read"), SIGNED),
    Route("GET /deliveries", None, page_get("/deliveries"), frozenset({"admin"})),
    Route("POST /deliveries/retry", None, page_post("/deliveries/retry"), frozenset({"admin"}), True),
    Route("POST /inbox/prefs", None, page_post("/inbox/prefs", {"email": "off"}), SIGNED),
    Route("GET /cases/new", None, page_get("/cases/new"), LIAISONS),
    Route("GET /events/stream", None, page_get("/events/stream"), SIGNED),
    Route("POST /forms/preview", None, page_post("/forms/preview", {"severity": "2"}), SIGNED),
    Route("GET /cases/{n} (draft)", "drafted", page_get("/cases/{n}"), VIEW_DRAFT),
    Route("GET /cases/{n} (submitted)", "awaiting_experts", page_get("/cases/{n}"), VIEW_SUBMITTED),
    Route("GET /cases/{n}/version", "awaiting_experts", page_get("/cases/{n}/version"), VIEW_SUBMITTED),
    Route("GET /cases/{n}/edit", "drafted", page_get("/cases/{n}/edit"), frozenset({"sh"})),
    Route("GET material", "awaiting_experts", material_download, VIEW_SUBMITTED),
    Route("GET /cases/{n}/analysis", "awaiting_experts", page_get("/cases/{n}/analysis"), frozenset({"x1"})),
    Route("GET /cases/{n}/opinion", "convened", page_get("/cases/{n}/opinion"), frozenset({"x1"})),
    Route("GET /audit/cases/{n}", "awaiting_experts", page_get("/audit/cases/{n}"), AUDIT),
    Route("GET /audit/cases/{n}/replay", "awaiting_experts", page_get("/audit/cases/{n}/replay"), REPLAY),
    Route("POST /cases/new", None, page_post("/cases/new", CASE_FORM), LIAISONS, True),
    Route("POST edit", "drafted", page_post("/cases/{n}/edit", CASE_FORM), frozenset({"sh"}), True),
    Route("POST submit", "verified_draft", page_post("/cases/{n}/act/submit"), frozenset({"sh"}), True),
    Route("GET /cases/{n} (joint draft)", "joint_draft", page_get("/cases/{n}"), VIEW_JOINT_DRAFT),
    Route("POST concur", "joint_draft", page_post("/cases/{n}/concur", {"note": "同意"}), OTHER_LIAISONS, True),
    Route("POST verify", "preliminary_review", page_post("/cases/{n}/verify", {"note": "核实"}), frozenset({"sh"}),
          True),
    Route("POST panel", "preliminary_review", page_post("/cases/{n}/panel", {"experts": ["E0001", "E0002", "E0003"]}),
          frozenset({"sh"}), True),
    # --- i12-panel --- Art. 8(1): every institution's liaison nominates (from its own pool: js nominates E0002,
    # js being the first of the allowed to act); the panel expert answers; the applicant keeps a conflicted expert.
    Route("POST nominate", "preliminary_review", page_post("/cases/{n}/nominations", {"experts": ["E0002"]}),
          LIAISONS, True),
    Route("POST withdraw nomination", "nominated", page_post("/cases/{n}/nominations/withdraw",
                                                             {"expert": "E0002"}), LIAISONS, True),
    Route("POST response", "ready", page_post("/cases/{n}/response", {"answer": "accept", "employer": "单位1",
                                                                      "province": "SH", "relation": "none"}),
          frozenset({"x1"}), True),
    Route("POST keep", "conflict", page_post("/cases/{n}/keep", {"expert": "E0001", "reason": "专业不可替代"}),
          frozenset({"sh"}), True),
    Route("POST materials", "preliminary_review",
          page_post("/cases/{n}/materials", {"kind": "other"}, {"file": ("photo.png", PNG, "image/png")}),
          frozenset({"sh"}), True),
    Route("POST dispatch", "ready", page_post("/cases/{n}/act/dispatch"), frozenset({"sh"}), True),
    Route("POST analysis", "awaiting_experts", page_post("/cases/{n}/analysis", {"text": "初步分析"}),
          frozenset({"x1"}), True),
    Route("POST refer", "analysed", page_post("/cases/{n}/act/refer"), frozenset({"sh"}), True),
    Route("POST schedule", "convening", page_post("/cases/{n}/schedule", {"at": "2026-10-14T14:00",
                                                                          "platform": "腾讯会议"}),
          frozenset({"js"}), True),
    Route("POST cancel_meeting", "scheduled", page_post("/cases/{n}/act/cancel_meeting", {"reason": "改期"}),
          frozenset({"js"}), True),
    Route("POST convene", "convening", page_post("/cases/{n}/act/convene"), frozenset({"js"}), True),
    Route("POST opinion", "convened", page_post("/cases/{n}/opinion", OPINION_FORM), frozenset({"x1"}), True),
    Route("POST chase", "awaiting_experts", page_post("/cases/{n}/chase", {"expert": "E0002", "note": "请尽快"}),
          frozenset({"sh"}), True),
    Route("POST absence", "convened", page_post("/cases/{n}/absence", {"expert": "E0003", "reason": "出差"}),
          frozenset({"js"}), True),
    # issue 12 (Art. 8(4)–(7)): the lead records the meeting and words the minutes; the minutes' PDF in the page
    Route("POST attendance", "convened", page_post("/cases/{n}/attendance", {"institution": "SH", "staff1": "张三"}),
          frozenset({"js"}), True),
    Route("POST statement", "convened", page_post("/cases/{n}/statement", {"expert": "E0001", "text": "发言"}),
          frozenset({"js"}), True),
    Route("POST minutes/draft", "decided", page_post("/cases/{n}/minutes/draft", {"summary": "讨论情况"}),
          frozenset({"js"}), True),
    Route("POST minutes/correct", "minutes", page_post("/cases/{n}/minutes/correct",
                                                       {"summary": "更正后的讨论情况", "reason": "笔误"}),
          frozenset({"js"}), True),
    Route("GET minutes preview", "decided", page_get("/cases/{n}/minutes/preview.pdf"), VIEW_SUBMITTED),
    Route("POST decide", "forms_in", page_post("/cases/{n}/act/decide"), frozenset({"js"}), True),
    Route("POST issue_minutes", "decided", page_post("/cases/{n}/act/issue_minutes"), frozenset({"js"}), True),
    Route("POST archive", "minutes", page_post("/cases/{n}/act/archive"), frozenset({"js"}), True),
    Route("POST track", "attention", page_post("/cases/{n}/track", {"note": "跟踪"}), frozenset({"sh"}), True),
    Route("POST conclude", "attention_minutes", page_post("/cases/{n}/act/conclude", {"reason": "跟踪结束"}),
          frozenset({"sh"}), True),
    Route("POST reopen", "attention_minutes", page_post("/cases/{n}/act/reopen", {"reason": "重新会诊"}),
          frozenset({"sh"}), True),
    Route("POST withdraw", "preliminary_review", page_post("/cases/{n}/act/withdraw", {"reason": "撤回"}),
          frozenset({"sh"}), True),
    Route("GET /reports", None, page_get("/reports?year=2026"), AUDIT | LIAISONS),
    Route("GET /reports/charts/{name}", None, report_chart, AUDIT | LIAISONS),
    Route("GET /retention", None, page_get("/retention"), AUDIT | LIAISONS),
    Route("POST appraise", "archived", page_post("/retention/{n}/appraise", {"approver": "张主任", "note": "期满"}),
          frozenset({"admin"}), True),
    Route("POST hold", "archived", page_post("/retention/{n}/hold", {"reason": "诉讼保全"}), frozenset({"admin"}),
          True),
    Route("POST release", "held", page_post("/retention/{n}/release", {"reason": "诉讼结束"}), frozenset({"admin"}),
          True),
    Route("POST /retention/purge", None, page_post("/retention/purge", {"confirm": "yes"}), frozenset({"admin"}),
          True),
    Route("POST fees", "awaiting_experts", page_post("/cases/{n}/fees", {"expert": "E0001", "amount": "1500.00"}),
          frozenset({"sh"}), True),
    Route("POST fees/correct", "fee_recorded", page_post("/cases/{n}/fees/correct",
                                                         {"expert": "E0001", "amount": "1800", "reason": "更正"}),
          frozenset({"sh"}), True),
    *ADMIN_PAGES,
    # --- i14-papers (issue 14): papers, exports and the read log in the pages ---
    Route("GET minutes.docx", "decided", fixed("/cases/{n}/papers/minutes.docx", "/cases/{number}/papers/minutes.{fmt}"),
          VIEW_SUBMITTED),
    Route("GET blank form.docx", "awaiting_experts",
          fixed("/cases/{n}/papers/form.docx", "/cases/{number}/papers/form.{fmt}"), VIEW_SUBMITTED),
    Route("GET signed form.docx", "forms_in",
          fixed("/cases/{n}/papers/form.docx?expert=E0001", "/cases/{number}/papers/form.{fmt}"), VIEW_SUBMITTED),
    Route("GET expert record", "forms_in", fixed("/cases/{n}/forms/E0001", "/cases/{number}/forms/{expert}"),
          VIEW_SUBMITTED),
    Route("GET material preview", "awaiting_experts", material_preview, VIEW_SUBMITTED),
    Route("GET export.csv", "awaiting_experts", fixed("/cases/{n}/export.csv", "/cases/{number}/export.{fmt}"), AUDIT),
    Route("GET dossier.zip", "drafted", page_get("/cases/{n}/dossier.zip"), AUDIT),
    Route("GET statement.csv", "fee_recorded",
          fixed("/reports/statement.csv?year=2026&institution=SH", "/reports/statement.{fmt}"),
          frozenset({"admin", "auditor", "sh"})),
    Route("GET year.json", None, fixed("/reports/year.json?year=2026", "/reports/year.{fmt}"), AUDIT | LIAISONS),
    Route("GET /audit/reads", None, page_get("/audit/reads"), AUDIT),
    Route("GET /audit/reads.csv", None, page_get("/audit/reads.csv"), AUDIT),
    # Last: it moves the clock five years on.
    Route("GET destruction list", "purged", destruction_file, AUDIT),
    # After the last: each person's password changes (their session goes on with a fresh cookie).
    Route("POST /account/password", None, page_post("/account/password", {
        "current": PASSWORD, "password": "a new password 8", "password_again": "a new password 8"}), SIGNED, True),
    Route("GET /account (after the password)", None, page_get("/account"), SIGNED),
]

CASE_JSON = load_example("case.yaml")
API: list[Route] = [
    Route("GET /me", None, api("GET", "/api/v1/me"), SIGNED),
    Route("GET /cases", None, api("GET", "/api/v1/cases"), SIGNED),
    # --- i14-find: search, export and similar cases (each role gets only the cases it may see)
    Route("GET /cases?q", None, api("GET", "/api/v1/cases?q=某电器&sort=updated&mine=institution&page=1"), SIGNED),
    Route("GET /cases/export.csv", None, api("GET", "/api/v1/cases/export.csv?q=YRD"), SIGNED),
    Route("GET /cases/export.xlsx", None, api("GET", "/api/v1/cases/export.xlsx"), SIGNED),
    Route("GET /cases/similar", None, api("GET", "/api/v1/cases/similar?producer=某某&report=SH-1"), SIGNED),
    Route("GET /dashboard", None, api("GET", "/api/v1/dashboard"), SIGNED),
    Route("GET /events/latest", None, api("GET", "/api/v1/events/latest"), SIGNED),
    Route("GET /diagram", None, api("GET", "/api/v1/diagram?current=convened"), SIGNED),
    Route("GET /experts", None, api("GET", "/api/v1/experts"), frozenset({"admin", "auditor"}) | LIAISONS),
    Route("GET /users", None, api("GET", "/api/v1/users"), AUDIT),
    Route("GET /inbox", None, api("GET", "/api/v1/inbox"), SIGNED),
    Route("GET /prefs", None, api("GET", "/api/v1/prefs"), SIGNED),
    Route("PUT /prefs", None, api("PUT", "/api/v1/prefs", {"email": False}), SIGNED),
    Route("POST /inbox/read", None, api("POST", "/api/v1/inbox/read"), SIGNED),
    Route("GET /reminders", None, api("GET", "/api/v1/reminders"), SIGNED),
    Route("GET /deliveries/abandoned", None, api("GET", "/api/v1/deliveries/abandoned"), frozenset({"admin"})),
    Route("POST /deliveries/retry", None, api("POST", "/api/v1/deliveries/retry", {"ids": []}), frozenset({"admin"}),
          True),
    Route("GET /rotation/lead", None, api("GET", "/api/v1/rotation/lead?date=2026-09-24"), SIGNED),
    Route("GET /calendar/due", None, api("GET", "/api/v1/calendar/due?start=2026-09-29&n=3"), SIGNED),
    Route("GET /calendar/workday", None, api("GET", "/api/v1/calendar/workday?date=2026-10-01"), SIGNED),
    Route("GET /calendar/status", None, api("GET", "/api/v1/calendar/status"), SIGNED),
    Route("POST /form/preview", None, api("POST", "/api/v1/form/preview", {"severity": 2}), SIGNED),
    Route("POST /form/check", None, api("POST", "/api/v1/form/check", opinion()), SIGNED),
    Route("GET /audit/verify", None, api("GET", "/api/v1/audit/verify"), AUDIT),
    # --- i15-rest ---
    Route("POST /audit/checkpoints", None, api("POST", "/api/v1/audit/checkpoints"), AUDIT),
    Route("GET /audit/checkpoints", None, api("GET", "/api/v1/audit/checkpoints"), CHECKPOINT_READERS),
    Route("GET /audit/checkpoints/{name}", None, checkpoint_api, CHECKPOINT_READERS),
    Route("GET /audit/public-key", None, api("GET", "/api/v1/audit/public-key"), CHECKPOINT_READERS),
    Route("POST /audit/verify", None, api("POST", "/api/v1/audit/verify", {"statement": {}}), AUDIT),
    Route("GET /cases/{n} (draft)", "drafted", api("GET", "/api/v1/cases/{n}"), VIEW_DRAFT),
    Route("GET /cases/{n}", "awaiting_experts", api("GET", "/api/v1/cases/{n}"), VIEW_SUBMITTED),
    Route("GET actions", "awaiting_experts", api("GET", "/api/v1/cases/{n}/actions"), VIEW_SUBMITTED),
    Route("GET panel", "awaiting_experts", api("GET", "/api/v1/cases/{n}/panel"), VIEW_SUBMITTED),
    Route("GET history", "awaiting_experts", api("GET", "/api/v1/cases/{n}/history"), VIEW_SUBMITTED),
    Route("GET replay", "awaiting_experts", api("GET", "/api/v1/cases/{n}/replay"), REPLAY),
    Route("GET export", "awaiting_experts", api("GET", "/api/v1/cases/{n}/export"), AUDIT),
    Route("GET material", "awaiting_experts", api("GET", "/api/v1/cases/{n}/materials/{sha}"), VIEW_SUBMITTED),
    Route("GET papers/form", "awaiting_experts", api("GET", "/api/v1/cases/{n}/papers/form?format=docx"),
          VIEW_SUBMITTED),
    Route("GET papers/minutes", "decided", api("GET", "/api/v1/cases/{n}/papers/minutes?format=docx"),
          VIEW_SUBMITTED),
    Route("GET dossier", "drafted", api("GET", "/api/v1/cases/{n}/dossier"), AUDIT),
    Route("POST /experts", None, api("POST", "/api/v1/experts", {"name": "新专家", "field": "机械", "employer": "某院",
                                                                "title": "工程师", "province": "SH"}),
          frozenset({"admin", "sh"}), True),
    Route("POST /users", None, api("POST", "/api/v1/users", {"name": "new-auditor", "role": "auditor"}),
          frozenset({"admin"}), True),
    Route("POST password", None, api("POST", "/api/v1/users/x5/password", {"password": "a new password"}),
          frozenset({"admin", "x5"}), True),
    Route("POST tokens", None, api("POST", "/api/v1/users/x5/tokens", {"label": "ci"}), frozenset({"admin", "x5"}),
          True),
    Route("POST /calendar/years", None, api("POST", "/api/v1/calendar/years", {"content": YEAR_2027}),
          frozenset({"admin"}), True),
    Route("POST /cases", None, api("POST", "/api/v1/cases", CASE_JSON), LIAISONS, True),
    Route("PUT /cases/{n}", "drafted", api("PUT", "/api/v1/cases/{n}", CASE_JSON), frozenset({"sh"}), True),
    Route("POST submit", "verified_draft", api("POST", "/api/v1/cases/{n}/submit"), frozenset({"sh"}), True),
    Route("GET /cases/{n} (joint draft)", "joint_draft", api("GET", "/api/v1/cases/{n}"), VIEW_JOINT_DRAFT),
    Route("POST concur", "joint_draft", api("POST", "/api/v1/cases/{n}/concur", {"note": "同意"}), OTHER_LIAISONS,
          True),
    Route("POST verify", "preliminary_review", api("POST", "/api/v1/cases/{n}/verify", {"note": "核实"}),
          frozenset({"sh"}), True),
    Route("POST panel", "preliminary_review", api("POST", "/api/v1/cases/{n}/panel",
                                                  {"experts": ["E0001", "E0002", "E0003"]}), frozenset({"sh"}), True),
    # --- i12-panel ---
    Route("POST nominations", "preliminary_review", api("POST", "/api/v1/cases/{n}/nominations",
                                                        {"experts": ["E0002"]}), LIAISONS, True),
    Route("DELETE nomination", "nominated", api("DELETE", "/api/v1/cases/{n}/nominations/E0002",
                                                template="/cases/{number}/nominations/{expert}"), LIAISONS, True),
    Route("POST response", "ready", api("POST", "/api/v1/cases/{n}/response", {"answer": "accept"}),
          frozenset({"x1"}), True),
    Route("POST keep-expert", "conflict", api("POST", "/api/v1/cases/{n}/keep-expert",
                                              {"expert": "E0001", "reason": "专业不可替代"}), frozenset({"sh"}), True),
    Route("POST materials", "preliminary_review", api("POST", "/api/v1/cases/{n}/materials", None,
                                                      files={"file": ("photo.png", PNG, "image/png")}),
          frozenset({"sh"}), True),
    Route("POST dispatch", "ready", api("POST", "/api/v1/cases/{n}/dispatch"), frozenset({"sh"}), True),
    Route("POST analyses", "awaiting_experts", api("POST", "/api/v1/cases/{n}/analyses",
                                                   {"expert": "E0001", "text": "分析"}), frozenset({"x1"}), True),
    Route("POST refer", "analysed", api("POST", "/api/v1/cases/{n}/refer"), frozenset({"sh"}), True),
    Route("POST meeting", "convening", api("POST", "/api/v1/cases/{n}/meeting",
                                           {"at": "2026-10-14T14:00:00+08:00", "platform": "腾讯会议"}),
          frozenset({"js"}), True),
    Route("POST meeting/cancel", "scheduled", api("POST", "/api/v1/cases/{n}/meeting/cancel", {"reason": "改期"}),
          frozenset({"js"}), True),
    Route("POST convene", "convening", api("POST", "/api/v1/cases/{n}/convene"), frozenset({"js"}), True),
    Route("POST opinions", "convened", api("POST", "/api/v1/cases/{n}/opinions",
                                           {"expert": "E0001", "answers": opinion()}), frozenset({"x1"}), True),
    Route("POST chases", "awaiting_experts", api("POST", "/api/v1/cases/{n}/chases", {"expert": "E0002"}),
          frozenset({"sh"}), True),
    Route("POST absences", "convened", api("POST", "/api/v1/cases/{n}/absences", {"expert": "E0003", "reason": "出差"}),
          frozenset({"js"}), True),
    Route("POST attendance", "convened", api("POST", "/api/v1/cases/{n}/attendance",
                                             {"institution": "ZJ", "absent": True}), frozenset({"js"}), True),
    Route("POST statements", "convened", api("POST", "/api/v1/cases/{n}/statements",
                                             {"expert": "E0002", "text": "发言", "order": 1}), frozenset({"js"}), True),
    Route("POST minutes/draft", "decided", api("POST", "/api/v1/cases/{n}/minutes/draft",
                                               {"decision_text": "建议开展缺陷调查"}), frozenset({"js"}), True),
    Route("POST minutes/corrections", "minutes", api("POST", "/api/v1/cases/{n}/minutes/corrections",
                                                     {"follow_up": "更正后的后续工作", "reason": "笔误"}),
          frozenset({"js"}), True),
    Route("POST decide", "forms_in", api("POST", "/api/v1/cases/{n}/decide"), frozenset({"js"}), True),
    Route("POST minutes", "decided", api("POST", "/api/v1/cases/{n}/minutes"), frozenset({"js"}), True),
    Route("POST archive", "minutes", api("POST", "/api/v1/cases/{n}/archive"), frozenset({"js"}), True),
    Route("POST tracking", "attention", api("POST", "/api/v1/cases/{n}/tracking", {"note": "跟踪"}),
          frozenset({"sh"}), True),
    Route("POST conclude", "attention_minutes", api("POST", "/api/v1/cases/{n}/conclude", {"reason": "结束"}),
          frozenset({"sh"}), True),
    Route("POST reopen", "attention_minutes", api("POST", "/api/v1/cases/{n}/reopen", {"reason": "重新会诊"}),
          frozenset({"sh"}), True),
    Route("POST withdraw", "preliminary_review", api("POST", "/api/v1/cases/{n}/withdraw", {"reason": "撤回"}),
          frozenset({"sh"}), True),
    # The yearly account: fees (the applicant's liaison), statistics, retention (admins act, auditors read).
    Route("GET fees", "fee_recorded", api("GET", "/api/v1/cases/{n}/fees"), VIEW_SUBMITTED),
    Route("POST fees", "awaiting_experts", api("POST", "/api/v1/cases/{n}/fees",
                                               {"expert": "E0001", "amount": "1500.00"}), frozenset({"sh"}), True),
    Route("PUT fee", "fee_recorded", api("PUT", "/api/v1/cases/{n}/fees/E0001",
                                         {"amount": "1800.00", "reason": "按标准更正"},
                                         template="/cases/{number}/fees/{expert}"), frozenset({"sh"}), True),
    Route("GET /fees/statement", None, api("GET", "/api/v1/fees/statement?institution=SH&year=2026"),
          frozenset({"admin", "auditor", "sh"})),
    Route("GET /reports/year", None, api("GET", "/api/v1/reports/year/2026", template="/reports/year/{year}"),
          AUDIT | LIAISONS),
    Route("GET /retention", None, api("GET", "/api/v1/retention"), AUDIT | LIAISONS),
    Route("POST appraise", "archived", api("POST", "/api/v1/cases/{n}/retention/appraise",
                                           {"approver": "张主任", "note": "保存期满"}), frozenset({"admin"}), True),
    Route("POST hold", "archived", api("POST", "/api/v1/cases/{n}/retention/hold", {"reason": "诉讼保全"}),
          frozenset({"admin"}), True),
    Route("POST release", "held", api("POST", "/api/v1/cases/{n}/retention/release", {"reason": "诉讼结束"}),
          frozenset({"admin"}), True),
    Route("POST /retention/purge", None, api("POST", "/api/v1/retention/purge", {"dry_run": True}),
          frozenset({"admin"}), True),
    Route("GET tokens", None, api("GET", "/api/v1/users/x5/tokens"), frozenset({"admin", "x5"})),
    Route("DELETE token", None, api("DELETE", "/api/v1/users/x5/tokens/{token}"), frozenset({"admin", "x5"}), True),
    # i14-admin: the admin's work and one's own account
    Route("PATCH /users/{name}", None, api("PATCH", "/api/v1/users/ah", {"phone": "0551-7654321"},
                                           template="/users/{name}"), ADMIN, True),
    Route("POST password/reset", None, api("POST", "/api/v1/users/ah/password/reset",
                                           template="/users/{name}/password/reset"), ADMIN, True),
    Route("POST disable", None, api("POST", "/api/v1/users/ah/disable", template="/users/{name}/disable"), ADMIN,
          True),
    Route("POST enable", None, api("POST", "/api/v1/users/ah/enable", template="/users/{name}/enable"), ADMIN,
          True),
    Route("PATCH /me", None, api("PATCH", "/api/v1/me", {"phone": "021-87654321"}), SIGNED, True),
    Route("PATCH expert", None, api("PATCH", "/api/v1/experts/E0005", {"title": "研究员"},
                                    template="/experts/{expert_id}"), frozenset({"admin", "sh"}), True),
    Route("POST expert deactivate", None, api("POST", "/api/v1/experts/E0005/deactivate",
                                              template="/experts/{expert_id}/deactivate"),
          frozenset({"admin", "sh"}), True),
    Route("POST expert activate", None, api("POST", "/api/v1/experts/E0005/activate",
                                            template="/experts/{expert_id}/activate"),
          frozenset({"admin", "sh"}), True),
    Route("POST /calendar/years/preview", None, api("POST", "/api/v1/calendar/years/preview",
                                                    {"content": YEAR_2027}), ADMIN),
    Route("GET /rotation/terms", None, api("GET", "/api/v1/rotation/terms"), SIGNED),
    Route("GET /admin/actions", None, api("GET", "/api/v1/admin/actions"), AUDIT),
    # --- i14-papers (issue 14): the read log and the comparison of two instants ---
    Route("GET /audit/reads", None, api("GET", "/api/v1/audit/reads"), AUDIT),
    Route("GET diff", "awaiting_experts", api("GET", "/api/v1/cases/{n}/diff?from=2026-09-24T09:00:00%2B08:00"
                                                     "&to=2026-12-31T00:00:00%2B08:00"), REPLAY),
    # Last: it moves the clock five years on.
    Route("GET destruction list", "purged", api("GET", "/api/v1/retention/destruction-lists/{batch}"), AUDIT),
]


def _hidden(resp: Any, who: str | None) -> bool:
    """A signed-in person refused a case they may not see: answered as a missing case (404 case_missing), so the
    answer does not tell that the number exists (issue 15)."""
    if who is None or resp.status_code != 404:
        return False
    if resp.headers.get("content-type", "").startswith("application/json"):
        error = resp.json().get("error")
        if isinstance(error, str):  # a page's small JSON answer (the version poll)
            return "不存在" in error
        return isinstance(error, dict) and error.get("key") == "case_missing"
    return "不存在" in resp.text


def _outcome(resp: Any, who: str | None, is_api: bool) -> str:
    """allow | deny | unexpected:<status>"""
    status = resp.status_code
    if status >= 500:
        return f"unexpected:{status}"
    if _hidden(resp, who):
        return "deny"
    if is_api:
        if status in (200, 201):
            return "allow"
        if (who is None and status == 401) or (who is not None and status == 403):
            return "deny"
        return f"unexpected:{status} {resp.text[:200]}"
    if status in (200,) or (status == 303 and "/login" not in resp.headers.get("location", "")):
        return "allow"
    if who is None and (status == 401 or (status == 303 and resp.headers["location"].startswith("/login"))):
        return "deny"
    if who is not None and status == 403:
        return "deny"
    return f"unexpected:{status} {resp.text[:300]}"


def _run(site: Site, routes: list[Route], is_api: bool) -> list[str]:
    site.svc.after_commit.clear()  # no minutes PDFs or invitations here: the outbox has its own tests
    problems: list[str] = []
    for route in routes:
        # Reads: everyone on one case. Writes: the refused first (nothing changes), then each who may.
        order = sorted(ROLES, key=lambda r: (r in route.allowed, r or ""))
        number = reach(site, route.state) if route.state else ""
        for who in order:
            before = (site.version(number), site.event_count()) if number else site.event_count()
            resp = route.call(site, who, number)
            got = _outcome(resp, who, is_api)
            want = "allow" if who in route.allowed else "deny"
            if got != want:
                problems.append(f"{route.name} as {who or 'stranger'}: expected {want}, got {got}")
            if want == "deny" and route.write:
                after = (site.version(number), site.event_count()) if number else site.event_count()
                if after != before:
                    problems.append(f"{route.name} as {who or 'stranger'}: refused but something changed")
            if route.write and route.state and who in route.allowed:
                break  # the case moved on: the one who may has acted
    return problems


def test_every_page_as_every_role(site: Site) -> None:
    problems = _run(site, PAGES, is_api=False)
    assert not problems, "\n".join(problems)


def test_every_api_endpoint_as_every_role(site: Site) -> None:
    problems = _run(site, API, is_api=True)
    assert not problems, "\n".join(problems)


def test_every_api_route_is_in_the_matrix(site: Site) -> None:
    """A new endpoint must join the matrix: each operation of the OpenAPI schema is called above."""
    called = {r.call.key for r in API}  # type: ignore[attr-defined]
    schema = site.web.openapi()
    operations = {(m.upper(), p) for p, item in schema["paths"].items() for m in item}
    assert len(operations) >= 45
    assert operations - called == set(), f"endpoints not in the permission matrix: {sorted(operations - called)}"


def test_every_page_route_is_in_the_matrix(site: Site) -> None:
    """A new page must join the matrix too: every route outside the API (but signing in and out, and the static
    files everyone may fetch) is called above as every role."""
    from fastapi.routing import APIRoute

    from huizhen.web import admin, checkpoint_web, downloads, experts, help, pages, records, sse

    called = {r.call.key for r in PAGES}  # type: ignore[attr-defined]
    # FastAPI keeps included routers behind a private wrapper: read the two page routers and the app's own routes.
    every = [*pages.router.routes, *experts.router.routes, *records.router.routes, *sse.router.routes,
             *help.router.routes, *admin.router.routes, *downloads.router.routes, *checkpoint_web.pages.routes,
             *site.web.routes]
    routes = {(m, r.path) for r in every if isinstance(r, APIRoute) and not r.path.startswith("/api/")
              for m in r.methods if m != "HEAD"}
    routes -= {("GET", "/login"), ("POST", "/login"), ("POST", "/logout")}
    assert len(routes) >= 30
    assert routes - called == set(), f"pages not in the permission matrix: {sorted(routes - called)}"


@pytest.mark.parametrize("path", ["/dashboard", "/cases/YRD-2026-0001", "/audit", "/my/panels"])
def test_a_stranger_is_sent_to_sign_in_and_comes_back(site: Site, path: str) -> None:
    resp = site.client(None).get(path)
    assert resp.status_code == 303
    assert resp.headers["location"].startswith("/login?next=")
