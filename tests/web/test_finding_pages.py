# ruff: noqa: F811  (the fixtures come from websupport and are used as arguments)
"""What a person sees when finding cases (issue 14 item 3): the dashboard's search box, pager, 待办 filter and
export links; the API's page object; the new application's warning of similar cases."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from conftest import load_example
from websupport import Site, db_url, site  # noqa: F401  (fixtures)

from workflow import usecases as uc


def _open(site: Site, who: str, **product: Any) -> str:
    data = load_example("case.yaml")
    data["product"].update(product)
    return uc.new_case(site.svc, who, data).number


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr class="urgency-[^"]*" data-case="([^"]+)"', html)


def test_the_dashboard_searches_pages_and_exports(site: Site) -> None:
    site.svc.after_commit.clear()
    site.world.clock.set("2026-09-24T10:00:00+08:00")
    found = _open(site, "zj", producer="浙江某某电器有限公司", name="电热水壶")
    others = [_open(site, "zj", name=f"其他{i}", producer="别家") for i in range(51)]
    zj = site.client("zj")
    html = zj.get("/dashboard", params={"q": "某电器"}).text
    assert _rows(html) == [found] and 'value="某电器"' in html and "共 1 件" in html
    assert 'href="/dashboard/export.csv?q=' in html and 'id="export-xlsx"' in html
    first = zj.get("/dashboard", params={"sort": "number"}).text
    assert len(_rows(first)) == 50 and "第 1/2 页" in first and 'id="page-next"' in first
    second = zj.get("/dashboard", params={"sort": "number", "page": "2"}).text
    assert _rows(second) == others[-2:] and 'id="page-prev"' in second
    rows = zj.get("/dashboard/rows", params={"q": "电器"}).text  # the live update keeps the search
    assert _rows(rows) == [found]
    assert _rows(site.client("sh").get("/dashboard", params={"q": "某电器"}).text) == []  # ZJ's draft
    refused = zj.get("/dashboard", params={"sort": "size"})
    assert refused.status_code == 400 and "排序" in refused.text

    export = zj.get("/dashboard/export.csv", params={"q": "其他"})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert table[0][0] == "案件编号" and len(table) == 52  # the heading and all 51, not one page
    xlsx = zj.get("/dashboard/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_the_api_pages_and_keeps_the_old_keys(site: Site) -> None:
    site.svc.after_commit.clear()
    site.world.clock.set("2026-09-24T10:00:00+08:00")
    n = _open(site, "sh")
    body = site.api("sh").get("/api/v1/cases", params={"q": "滑板车", "limit": "10"}).json()
    assert (body["total"], body["page"], body["pages"], body["next"]) == (1, 1, 1, None)
    item = body["items"][0]
    assert item["number"] == n and item["product"]["name"] == "儿童电动滑板车" and item["status"] == "drafted"
    assert {"applicant", "lead", "version", "created_at", "outcome"} <= set(item)
    bad = site.api("sh").get("/api/v1/cases", params={"page": "0"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "page"
    assert site.api("js").get("/api/v1/cases").json()["items"] == []  # SH's draft
    assert site.api("js").get("/api/v1/cases/export.csv").content.decode("utf-8-sig").count("\n") == 1


def test_a_new_application_warns_of_similar_cases(site: Site) -> None:
    site.svc.after_commit.clear()
    site.world.clock.set("2026-09-24T10:00:00+08:00")
    earlier = _open(site, "sh")  # 某某智能科技有限公司, KS-200, SH-2026-JC-0815
    created = site.api("sh").post("/api/v1/cases", json=load_example("case.yaml"))
    assert created.status_code == 201
    answer = created.json()
    assert [(c["number"], c["same"]) for c in answer["similar"]] == [(earlier, ["producer", "model",
                                                                               "report_numbers"])]
    page = site.client("sh").get(f"/cases/{answer['number']}").text
    assert 'id="similar"' in page and earlier in page and "生产者相同" in page
    assert 'id="similar"' not in site.client("auditor").get(f"/cases/{answer['number']}").text
