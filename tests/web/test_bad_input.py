# ruff: noqa: F811  (the fixtures come from websupport and are used as arguments)
"""Bad input on every form and every API endpoint: missing fields, wrong types, oversized or wrong-type uploads,
path tricks in file names, markup in text. Each gets a clear 4xx with one message naming the problem, nothing is
written, and no response is ever a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import load_example, opinion, run_to
from websupport import Site, db_url, error_text, site  # noqa: F401  (fixtures)

from workflow import usecases as uc

SCRIPT = "<script>alert(1)</script>"


class Watch:
    """Asserts that nothing was written while a refusal happened."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.before = site.event_count()

    def unchanged(self) -> None:
        assert self.site.event_count() == self.before, "a refused request changed the event log"


def refused(site: Site, send: Callable[[], Any], status: int, says: str) -> Any:
    watch = Watch(site)
    resp = send()
    assert resp.status_code == status, (resp.status_code, resp.text[:500])
    text = resp.text
    if resp.headers.get("content-type", "").startswith("application/json"):
        text = resp.json()["error"]["message"]
    else:
        assert error_text(text) or says in text, "no error message shown"
    assert says in text, f"{says!r} not in {text[:400]!r}"
    watch.unchanged()
    return resp


@pytest.fixture
def prelim(site: Site) -> str:
    site.svc.after_commit.clear()
    return run_to(site.world, "preliminary_review")


# --- pages ---------------------------------------------------------------------------------------------------


def test_case_form_refuses_wrong_values_and_markup(site: Site) -> None:
    base = {"product.name": "滑板车", "sources": "spot_check"}
    refused(site, lambda: site.post("sh", "/cases/new", base | {"sources": "bogus"}), 400, "sources[0]")
    refused(site, lambda: site.post("sh", "/cases/new", base | {"product.registered_province": "XX"}), 400,
            "product.registered_province")
    resp = refused(site, lambda: site.post("sh", "/cases/new", base | {"product.name": SCRIPT}), 400, "（产品名称）")
    assert "markup" in error_text(resp.text)
    assert "<script>alert" not in resp.text  # what was typed comes back escaped, never as markup
    refused(site, lambda: site.post("sh", "/cases/new", base | {"basis.joint_decision": "<img src=x onerror=1>"}),
            400, "（机构共同认为需要会诊（理由））")


def test_submitting_an_incomplete_draft_names_what_is_missing(site: Site) -> None:
    site.post("sh", "/cases/new", {"product.name": "滑板车", "sources": "spot_check"})
    number = uc.list_cases(site.svc, "sh")[-1]["number"]
    resp = refused(site, lambda: site.post("sh", f"/cases/{number}/act/submit"), 409, "尚不满足规范要求")
    assert "尚不满足规范要求" in error_text(resp.text)


def test_submitting_an_unverified_draft_asks_for_the_verification_first(site: Site) -> None:
    """Art. 7: the preliminary verification is recorded on the draft before it is submitted; nothing is written."""
    site.world.clock.set("2026-09-24T10:00:00+08:00")
    number = uc.new_case(site.svc, "sh", load_example("case.yaml")).number
    before = len(uc.history(site.svc, "auditor", number))
    resp = refused(site, lambda: site.post("sh", f"/cases/{number}/act/submit"), 409, "尚未记录初步核实判断")
    assert "尚未记录初步核实判断" in error_text(resp.text)
    assert len(uc.history(site.svc, "auditor", number)) == before
    page = site.client("sh").get(f"/cases/{number}").text
    assert 'id="verify-note"' in page  # the draft's page offers the verification
    site.post("sh", f"/cases/{number}/verify", {"note": "核实无误"})
    site.post("sh", f"/cases/{number}/act/submit")
    assert uc.show_case(site.svc, "sh", number)["status"] == "preliminary_review"


def test_verify_panel_and_reasons(site: Site, prelim: str) -> None:
    n = prelim
    refused(site, lambda: site.post("sh", f"/cases/{n}/verify", {}), 400, "（核实意见/说明）")
    refused(site, lambda: site.post("sh", f"/cases/{n}/verify", {"note": SCRIPT}), 400, "（核实意见/说明）")
    refused(site, lambda: site.post("sh", f"/cases/{n}/panel", {}), 409, "尚不满足规范要求")
    refused(site, lambda: site.post("sh", f"/cases/{n}/panel", {"experts": ["E9999", "E0001", "E0002"]}), 400,
            "E9999")
    refused(site, lambda: site.post("sh", f"/cases/{n}/panel", {"experts": ["E0001", "E0002"]}), 409, "panel")
    refused(site, lambda: site.post("sh", f"/cases/{n}/act/withdraw", {}), 409, "尚不满足规范要求")
    refused(site, lambda: site.post("sh", f"/cases/{n}/act/dispatch"), 409, "尚不满足规范要求")
    refused(site, lambda: site.post("js", f"/cases/{n}/act/convene"), 409, "案件当前状态下不能执行此操作")
    refused(site, lambda: site.post("sh", f"/cases/{n}/act/explode"), 404, "explode")


PDF = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.mark.parametrize(("filename", "data", "status", "says"), [
    ("../../etc/passwd.txt", b"root:x:0:0", 400, "not a plain file name"),
    ("..\\..\\boot.ini.txt", b"x", 400, "not a plain file name"),
    ("/etc/shadow.txt", b"x", 400, "not a plain file name"),
    (".htaccess", b"x", 400, "not a plain file name"),
    ("report<script>.pdf", PDF, 400, "not allowed in a file name"),
    ("evil.exe", b"MZ\x90\x00", 415, "not accepted"),
    ("report.pdf", b"\x89PNG\r\n\x1a\n fake", 415, "content is not a .pdf"),
    ("notes.txt", b"\x00\x01\x02binary", 415, "not a text file"),
    ("noext", b"hello", 415, "not accepted"),
    ("empty.pdf", b"", 400, "is empty"),
])
def test_uploads_refused(site: Site, prelim: str, filename: str, data: bytes, status: int, says: str) -> None:
    n = prelim
    refused(site, lambda: site.post("sh", f"/cases/{n}/materials", {"kind": "test_report"},
                                    files={"file": (filename, data, "application/octet-stream")}), status, says)


def test_oversized_upload_is_413_before_it_is_stored(site: Site, prelim: str) -> None:
    site.svc.max_material_bytes = 4096
    n = prelim
    big = b"%PDF-1.4\n" + b"0" * 5000
    refused(site, lambda: site.post("sh", f"/cases/{n}/materials", {"kind": "test_report"},
                                    files={"file": ("big.pdf", big, "application/pdf")}), 413, "limit")
    huge = b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024)  # beyond the body limit: refused before it is read
    refused(site, lambda: site.post("sh", f"/cases/{n}/materials", {"kind": "test_report"},
                                    files={"file": ("huge.pdf", huge, "application/pdf")}), 413, "too large")


def test_upload_kind_missing_file_and_wrong_state(site: Site, prelim: str) -> None:
    n = prelim
    refused(site, lambda: site.post("sh", f"/cases/{n}/materials", {"kind": "selfie"},
                                    files={"file": ("a.pdf", PDF, "application/pdf")}), 400, "（材料类型）")
    refused(site, lambda: site.post("sh", f"/cases/{n}/materials", {"kind": "other"}), 400, "请选择要上传的文件")
    archived = run_to(site.world, "archived")
    refused(site, lambda: site.post("sh", f"/cases/{archived}/materials", {"kind": "other"},
                                    files={"file": ("a.pdf", PDF, "application/pdf")}), 409, "案件当前状态下不能执行此操作")


OPINION = {"standard_noncompliance": "yes", "nonstandard_danger": "no", "no_standard_danger": "no", "severity": "4",
           "likelihood": "8", "cause_design": "yes", "cause_manufacturing": "no", "cause_warning": "no",
           "universality": "yes", "similar_recall": "no", "public_opinion_risk": "no", "confirm": "yes"}


def test_the_expert_forms(site: Site) -> None:
    site.svc.after_commit.clear()
    n = run_to(site.world, "awaiting_experts")
    refused(site, lambda: site.post("x1", f"/cases/{n}/analysis", {}), 400, "（分析内容）")
    refused(site, lambda: site.post("x1", f"/cases/{n}/analysis", {"text": SCRIPT}), 400, "markup")
    refused(site, lambda: site.post("x1", f"/cases/{n}/opinion", OPINION), 409, "案件当前状态下不能执行此操作")
    m = run_to(site.world, "convened")
    url = f"/cases/{m}/opinion"
    without = {k: v for k, v in OPINION.items() if k != "severity"}
    refused(site, lambda: site.post("x1", url, without), 400, "severity")
    refused(site, lambda: site.post("x1", url, OPINION | {"severity": "9"}), 400, "severity")
    refused(site, lambda: site.post("x1", url, OPINION | {"likelihood": "abc"}), 400, "likelihood")
    refused(site, lambda: site.post("x1", url, OPINION | {"universality": "maybe"}), 400, "universality")
    refused(site, lambda: site.post("x1", url, {k: v for k, v in OPINION.items() if k != "confirm"}), 400, "confirm")
    refused(site, lambda: site.post("x1", url, {k: v for k, v in OPINION.items() if k != "cause_warning"}), 400,
            "producer_cause.warning")
    refused(site, lambda: site.post("x1", url, OPINION | {"similar_recall_detail": SCRIPT}), 400, "markup")
    assert site.post("x1", url, OPINION).status_code == 303
    refused(site, lambda: site.post("x1", url, OPINION), 409, "尚不满足规范要求")
    refused(site, lambda: site.post("js", f"/cases/{m}/absence", {"reason": "出差"}), 400, "（专家）")
    refused(site, lambda: site.post("js", f"/cases/{m}/absence", {"expert": "E0002"}), 400, "（理由）")
    refused(site, lambda: site.post("js", f"/cases/{m}/absence", {"expert": "E0005", "reason": "x"}), 409,
            "E0005")


def test_the_meeting_form(site: Site) -> None:
    site.svc.after_commit.clear()
    n = run_to(site.world, "convening")
    url = f"/cases/{n}/schedule"
    good = {"at": "2026-10-14T14:00", "platform": "腾讯会议"}
    refused(site, lambda: site.post("js", url, {"platform": "腾讯会议"}), 400, "（会议时间）")
    refused(site, lambda: site.post("js", url, good | {"at": "tomorrow"}), 400, "（会议时间）")
    refused(site, lambda: site.post("js", url, {"at": "2026-10-14T14:00"}), 400, "（会议平台）")
    refused(site, lambda: site.post("js", url, good | {"link": "javascript:alert(1)"}), 400, "（会议链接）")
    refused(site, lambda: site.post("js", url, good | {"link": "ftp://x"}), 400, "（会议链接）")
    refused(site, lambda: site.post("js", url, good | {"attendees": "nobody"}), 400, "（参会人员）")
    refused(site, lambda: site.post("js", url, good | {"order": "E0001"}), 400, "（发言顺序）")


def test_csrf_is_required_on_every_form(site: Site, prelim: str) -> None:
    n = prelim
    for path, data in [(f"/cases/{n}/verify", {"note": "核实"}), (f"/cases/{n}/act/withdraw", {"reason": "x"}),
                       (f"/cases/{n}/panel", {"experts": ["E0001", "E0002", "E0003"]}), ("/cases/new", {}),
                       (f"/cases/{n}/materials", {}), ("/logout", {}), ("/forms/preview", {})]:
        for token in (None, "forged"):
            body = dict(data)
            if token:
                body["csrf_token"] = token
            refused(site, lambda p=path, b=body: site.client("sh").post(p, data=b), 403, "CSRF")


def test_filters_and_instants(site: Site) -> None:
    for query, says in [("state=bogus", "bogus"), ("year=20x6", "20x6"), ("institution=XX", "XX")]:
        refused(site, lambda q=query: site.client("sh").get(f"/dashboard?{q}"), 400, says)
    n = run_to(site.world, "convening")
    refused(site, lambda: site.client("auditor").get(f"/audit/cases/{n}?at=yesterday"), 400, "at:")
    refused(site, lambda: site.client("auditor").get(f"/audit/cases/{n}/replay?at=2026-10-01T10:00"), 400,
            "no UTC offset")
    refused(site, lambda: site.client("sh").get("/cases/YRD-2099-9999"), 404, "YRD-2099-9999")
    refused(site, lambda: site.client("sh").get(f"/cases/{n}/materials/{'0' * 64}"), 404, "未找到")


def test_oversized_forms_and_non_form_bodies(site: Site, prelim: str) -> None:
    n = prelim
    refused(site, lambda: site.post("sh", f"/cases/{n}/verify", {"note": "x" * (1024 * 1024 + 10)}), 413, "too large")
    refused(site, lambda: site.post("sh", f"/cases/{n}/verify", {"note": "长" * 5001}), 400, "最多 5000 个字符")
    refused(site, lambda: site.client("sh").post(f"/cases/{n}/verify", content=b'{"note": 1}',
                                                 headers={"content-type": "application/json"}), 400, "form")


# --- the API -------------------------------------------------------------------------------------------------


def test_api_bodies_wrong_types_missing_fields_extra_fields(site: Site, prelim: str) -> None:
    n, api = prelim, site.api("sh")
    case = load_example("case.yaml")
    refused(site, lambda: api.post("/api/v1/cases", json={"product": {"name": 123}}), 400, "产品名称")
    refused(site, lambda: api.post("/api/v1/cases", json={"colour": "red"}), 400, "colour")
    refused(site, lambda: api.post("/api/v1/cases", json=case | {"sources": ["bogus"]}), 400, "sources[0]")
    refused(site, lambda: api.post("/api/v1/cases", json=[1, 2]), 400, "输入有误")
    refused(site, lambda: api.post("/api/v1/cases", content=b"{not json", headers={"content-type":
                                                                                    "application/json"}), 400, "输入有误")
    refused(site, lambda: api.post(f"/api/v1/cases/{n}/verify", json={}), 400, "核实意见/说明")
    refused(site, lambda: api.post(f"/api/v1/cases/{n}/verify", json={"note": 42}), 400, "核实意见/说明")
    refused(site, lambda: api.post(f"/api/v1/cases/{n}/verify", json={"note": SCRIPT}), 400, "markup")
    refused(site, lambda: api.post(f"/api/v1/cases/{n}/panel", json={"experts": "E0001"}), 400, "专家")
    refused(site, lambda: api.post(f"/api/v1/cases/{n}/withdraw", json={"reason": None}), 400, "理由")
    refused(site, lambda: api.post(f"/api/v1/cases/{n}/dispatch"), 409, "专家组现有 0 名专家")  # verified already (Art. 7)
    refused(site, lambda: api.get("/api/v1/cases/YRD-2099-0001"), 404, "YRD-2099-0001")
    refused(site, lambda: api.get("/api/v1/dashboard?state=nope"), 400, "nope")
    refused(site, lambda: api.get("/api/v1/calendar/due?start=2026-13-01&n=3"), 400, "2026-13-01")
    refused(site, lambda: api.get("/api/v1/calendar/due?start=2026-10-01&n=0"), 400, "n：")
    refused(site, lambda: api.get(f"/api/v1/cases/{n}/replay?at=noon"), 400, "at:")
    refused(site, lambda: api.post("/api/v1/form/check", json={"severity": 2}), 400, "输入有误")


def test_api_uploads(site: Site, prelim: str) -> None:
    n, api = prelim, site.api("sh")
    url = f"/api/v1/cases/{n}/materials"
    refused(site, lambda: api.post(url, data={"kind": "other"}), 400, "文件")
    refused(site, lambda: api.post(url, files={"file": ("../x.pdf", PDF, "application/pdf")}), 400, "plain file name")
    refused(site, lambda: api.post(url, files={"file": ("x.exe", b"MZ", "application/octet-stream")}), 415,
            "not accepted")
    site.svc.max_material_bytes = 2048
    refused(site, lambda: api.post(url, files={"file": ("x.pdf", PDF + b"0" * 4096, "application/pdf")}), 413,
            "limit")
    resp = api.post(url, data={"kind": "test_report"}, files={"file": ("检测报告.pdf", PDF, "application/pdf")})
    assert resp.status_code == 201 and resp.json()["filename"] == "检测报告.pdf"


def test_api_opinions(site: Site) -> None:
    site.svc.after_commit.clear()
    n = run_to(site.world, "convened")
    api = site.api("x1")
    bad = opinion() | {"severity": "high"}
    refused(site, lambda: api.post(f"/api/v1/cases/{n}/opinions", json={"answers": bad}), 400, "severity")
    missing = {k: v for k, v in opinion().items() if k != "universality"}
    refused(site, lambda: api.post(f"/api/v1/cases/{n}/opinions", json={"answers": missing}), 400, "universality")
    refused(site, lambda: api.post(f"/api/v1/cases/{n}/opinions", json={"answers": opinion(), "expert": "E0002"}),
            403, "无权执行此操作")
    ok = api.post(f"/api/v1/cases/{n}/opinions", json={"answers": opinion()})
    assert ok.status_code == 200 and ok.json()["defect"] == "yes"


def test_api_json_body_too_large(site: Site, prelim: str) -> None:
    api = site.api("sh")
    refused(site, lambda: api.post(f"/api/v1/cases/{prelim}/verify", json={"note": "x" * (1024 * 1024 + 1)}), 413,
            "too large")


# --- nothing ever answers 500 --------------------------------------------------------------------------------

GARBAGE = [
    ("form", {"x": "y" * 10}),
    ("form", {"csrf_token": "csrf-sh", "note": "\x00", "reason": "\ufffe\u202e", "experts": "", "text": "", "at": "x"}),
    ("json", b"\xff\xfe not json"),
    ("json", b'{"a": [1, {"b": null}]}'),
    ("multipart", {"file": ("../../x", b"\x00" * 10, "application/x-evil")}),
]


def test_no_route_answers_500_to_garbage(site: Site, prelim: str) -> None:
    """Every POST/PUT route of the pages and the API, fed garbage as each kind of body."""
    n = prelim
    from huizhen.web import api, api_people, api_records, api_yearly, experts, pages, records

    routes = [(r.path, sorted(r.methods or [])) for router in (pages.router, experts.router, records.router, api.simple_router(), api.router,
                                                   api_records.router, api_people.router, api_yearly.router)
              for r in router.routes]
    tried = 0
    for path, methods in routes:
        for method in methods:
            if method not in ("POST", "PUT", "DELETE"):
                continue
            url = (path.replace("{number}", n).replace("{action}", "submit").replace("{name}", "sh")
                   .replace("{expert}", "E0001").replace("{token_id}", "1"))
            client = site.api("sh") if url.startswith("/api/") else site.client("sh")
            for kind, body in GARBAGE:
                if kind == "form":
                    resp = client.request(method, url, data=body)
                elif kind == "json":
                    resp = client.request(method, url, content=body, headers={"content-type": "application/json"})
                else:
                    resp = client.request(method, url, files=body)
                tried += 1
                assert resp.status_code < 500, (method, url, kind, resp.status_code, resp.text[:300])
                if body == b"\xff\xfe not json" and not url.endswith(("/inbox/read", "/logout")):
                    assert 400 <= resp.status_code < 500, (method, url, kind, resp.status_code)
    assert tried > 150


def test_api_fees_and_retention_refuse_bad_input(site: Site) -> None:
    """The yearly account's endpoints: each refusal names the field, and nothing is written."""
    site.svc.after_commit.clear()
    n = run_to(site.world, "awaiting_experts")
    sh, admin = site.api("sh"), site.api("admin")
    url = f"/api/v1/cases/{n}/fees"
    refused(site, lambda: sh.post(url, json={"expert": "E0001"}), 400, "金额")
    refused(site, lambda: sh.post(url, json={"expert": "E0001", "amount": 1500}), 400, "金额")
    refused(site, lambda: sh.post(url, json={"expert": "E0001", "amount": "abc"}), 400, "金额")
    refused(site, lambda: sh.post(url, json={"expert": "E0001", "amount": "1500.005"}), 400, "金额")
    refused(site, lambda: sh.post(url, json={"expert": "E0001", "amount": "-5"}), 400, "金额")
    refused(site, lambda: sh.post(url, json={"expert": "E0005", "amount": "1500"}), 400, "E0005")
    refused(site, lambda: sh.post(url, json={"expert": "E0001", "amount": "1500", "iban": "DE00"}), 400, "iban")
    refused(site, lambda: sh.post(url, json={"expert": "E0001", "amount": "1500", "paid_on": "2026-02-30"}), 400,
            "支付日期")
    refused(site, lambda: sh.post(url, json={"expert": SCRIPT, "amount": "1500"}), 400, "markup")
    refused(site, lambda: sh.put(f"{url}/E0001", json={"amount": "1800", "reason": "更正"}), 409, "")
    refused(site, lambda: sh.get("/api/v1/fees/statement?institution=SH&year=20x6"), 400, "年份")
    refused(site, lambda: sh.get("/api/v1/fees/statement?institution=XX&year=2026"), 400, "机构")
    refused(site, lambda: sh.get("/api/v1/fees/statement?institution=SH&year=2026&format=pdf"), 400, "format")
    refused(site, lambda: sh.get("/api/v1/reports/year/1066"), 400, "年份")
    refused(site, lambda: sh.get("/api/v1/reports/year/2026?institution=XX"), 400, "机构")
    refused(site, lambda: admin.post(f"/api/v1/cases/{n}/retention/hold", json={"reason": "保全"}), 409, "")
    refused(site, lambda: admin.post("/api/v1/retention/purge", json={"cases": "YRD-2026-0001"}), 400, "cases")
    refused(site, lambda: admin.get("/api/v1/retention/destruction-lists/2031-999"), 404, "2031-999")
    ok = sh.post(url, json={"expert": "E0001", "amount": "1500.00", "paid_on": "2026-09-29"})
    assert ok.status_code == 201 and ok.json()["amount"] == "1500.00" and ok.json()["status"] == "paid"
    refused(site, lambda: sh.post(url, json={"expert": "E0001", "amount": "1600.00"}), 409, "")
    refused(site, lambda: sh.put(f"{url}/E0001", json={"amount": "1800"}), 400, "理由")
    xlsx = sh.get("/api/v1/fees/statement?institution=SH&year=2026&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    assert 'filename="fees-SH-2026.xlsx"' in xlsx.headers["content-disposition"]
