# ruff: noqa: F811  (the fixtures come from websupport and are used as arguments)
"""Art. 8(1) by every institution on the pages and the API (issue 12): each institution's liaison nominates from
its own pool; the applicant forms the panel with the nominations first; the expert accepts or declines with the
declaration; the answers show beside the names; a declared conflict holds the dispatch until a reason keeps the
expert. Refusals name the field and write nothing."""

from __future__ import annotations

import re

from conftest import run_to
from websupport import Site, db_url, error_text, site  # noqa: F401  (fixtures)

from workflow import nominations
from workflow import usecases as uc


def ready(site: Site) -> str:
    n = run_to(site.world, "preliminary_review")
    uc.form_panel(site.svc, "sh", n, site.world.experts[:3])
    uc.attach(site.svc, "sh", n, "report.txt", b"test report", "test_report")
    return n


def events(site: Site, n: str) -> list[str]:
    return [e["type"] for e in uc.history(site.svc, "admin", n)]


def test_each_liaison_sees_its_own_pool_and_nominates_from_it(site: Site) -> None:
    site.svc.after_commit.clear()
    n = run_to(site.world, "preliminary_review")
    page = site.client("zj").get(f"/cases/{n}").text
    assert 'id="nominate-form"' in page
    own = re.search(r'id="nominate-form".*?</form>', page, re.S)
    assert own and 'value="E0003"' in own.group(0) and 'value="E0001"' not in own.group(0)  # ZJ's pool only
    resp = site.post("zj", f"/cases/{n}/nominations", {"experts": ["E0003"], "note": "缺陷分析方向"})
    assert resp.status_code == 303 and resp.headers["location"].endswith("ok=nominate")
    assert events(site, n)[-1] == "ExpertsNominated"
    # the liaison's own list no longer offers the one it nominated; the history says who nominated whom
    page = site.client("zj").get(f"/cases/{n}").text
    assert 'name="experts" value="E0003"' not in page and "ZJ 浙江省缺陷消费品召回技术机构 提名 E0003" in page


def test_a_nomination_from_another_province_is_refused_naming_the_expert(site: Site) -> None:
    site.svc.after_commit.clear()
    n = run_to(site.world, "preliminary_review")
    before = events(site, n)
    resp = site.post("js", f"/cases/{n}/nominations", {"experts": ["E0001"]})
    assert resp.status_code == 400
    assert error_text(resp.text).startswith("输入有误（专家）：专家 E0001 属于 SH 的专家库")
    api = site.api("js").post(f"/api/v1/cases/{n}/nominations", json={"experts": ["E0001"]})
    assert api.status_code == 400 and api.json()["error"]["field"] == "expert"
    assert api.json()["error"]["key"] == "nomination_other_province"
    assert events(site, n) == before


def test_the_panel_form_lists_the_nominations_first_and_filters_the_pool(site: Site) -> None:
    site.svc.after_commit.clear()
    n = run_to(site.world, "preliminary_review")
    nominations.nominate(site.svc, "zj", n, ["E0003"])
    nominations.nominate(site.svc, "js", n, ["E0002"])
    page = site.client("sh").get(f"/cases/{n}").text
    form = re.search(r'id="panel-form".*?</form>', page, re.S)
    assert form
    body = form.group(0)
    assert body.index("E0003") < body.index("E0002") < body.index("E0001")  # nominations first, then the pool
    assert "ZJ 提名" in body and "JS 提名" in body
    filtered = site.client("sh").get(f"/cases/{n}?pool_province=AH").text
    pool = re.search(r'id="panel-form".*?</form>', filtered, re.S)
    assert pool and 'value="E0004"' in pool.group(0) and 'value="E0001"' not in pool.group(0)
    assert 'value="E0003"' in pool.group(0)  # the nominations stay listed whatever the filter


def test_the_expert_answers_and_the_answer_shows_beside_the_name(site: Site) -> None:
    site.svc.after_commit.clear()
    n = ready(site)
    panels = site.client("x1").get("/my/panels").text
    assert f'href="/cases/{n}#respond"' in panels and "答复邀请" in panels
    page = site.client("x1").get(f"/cases/{n}").text
    assert 'id="respond"' in page and 'value="单位1"' in page  # the pool's employer, ready to confirm
    resp = site.post("x1", f"/cases/{n}/response", {"answer": "accept", "employer": "单位1", "province": "SH",
                                                    "relation": "related", "relation_text": "曾任该企业技术顾问"})
    assert resp.status_code == 303
    shown = site.client("zj").get(f"/cases/{n}").text
    cell = re.search(r'id="response-E0001">(.*?)</td>', shown, re.S)
    assert cell and "已接受" in cell.group(1) and "曾任该企业技术顾问" in cell.group(1)
    assert "待记录保留理由或替换" in cell.group(1)
    # a colleague on the panel does not read x1's declaration
    other = site.client("x2").get(f"/cases/{n}").text
    assert "曾任该企业技术顾问" not in other
    assert "已接受" in site.client("x1").get("/my/panels").text


def test_a_bad_answer_is_refused_naming_the_field(site: Site) -> None:
    site.svc.after_commit.clear()
    n = ready(site)
    before = events(site, n)
    resp = site.post("x1", f"/cases/{n}/response", {"answer": "accept", "employer": "", "province": "SH",
                                                    "relation": "none"})
    assert resp.status_code == 400 and error_text(resp.text).startswith("输入有误（工作单位）")
    resp = site.post("x1", f"/cases/{n}/response", {"answer": "accept", "employer": "单位1", "province": "SH",
                                                    "relation": "related", "relation_text": ""})
    assert resp.status_code == 400 and error_text(resp.text).startswith("输入有误（关系说明）")
    api = site.api("x1").post(f"/api/v1/cases/{n}/response", json={"answer": "maybe"})
    assert api.status_code == 400 and api.json()["error"]["field"] == "answer"
    assert events(site, n) == before


def test_a_declared_conflict_holds_the_dispatch_until_a_reason_keeps_the_expert(site: Site) -> None:
    site.svc.after_commit.clear()
    n = ready(site)
    nominations.respond(site.svc, "x1", n, "E0001", "accept", relation="related", relation_text="持有该企业股份")
    refused = site.api("sh").post(f"/api/v1/cases/{n}/dispatch")
    assert refused.status_code == 409 and refused.json()["error"]["key"] == "conflict_unresolved"
    page = site.client("sh").get(f"/cases/{n}").text
    assert 'id="keep-form"' in page and '<p class="hint blocked" data-blocked="dispatch">尚不满足：' in page
    resp = site.post("sh", f"/cases/{n}/keep", {"expert": "E0001", "reason": ""})
    assert resp.status_code == 400 and error_text(resp.text).startswith("输入有误（理由）")
    resp = site.post("sh", f"/cases/{n}/keep", {"expert": "E0001", "reason": "持股极少且已公开，专业不可替代"})
    assert resp.status_code == 303
    assert "保留理由：持股极少且已公开，专业不可替代" in site.client("js").get(f"/cases/{n}").text
    assert site.api("sh").post(f"/api/v1/cases/{n}/dispatch").status_code == 200


def test_a_declined_expert_is_replaced_before_the_dispatch(site: Site) -> None:
    site.svc.after_commit.clear()
    n = ready(site)
    assert site.api("x2").post(f"/api/v1/cases/{n}/response",
                               json={"answer": "decline", "note": "时间冲突"}).status_code == 200
    refused = site.post("sh", f"/cases/{n}/act/dispatch")
    assert refused.status_code == 409 and "已谢绝邀请" in error_text(refused.text)
    assert "已谢绝" in site.client("sh").get(f"/cases/{n}").text
    uc.form_panel(site.svc, "sh", n, ["E0001", "E0003", "E0004"])
    assert site.post("sh", f"/cases/{n}/act/dispatch").status_code == 303
