"""Finding cases on the summary projection (issue 14 item 3, issue 17 item 3), over SQLite and PostgreSQL: Chinese
substrings (three characters and more through FTS5 trigram / pg_trgm, one or two through LIKE), paging, sorting,
"waiting on me / my institution", permission (a liaison never finds another institution's draft), the export's
cells safe, similar cases on a new application, and the projection kept in the event's own transaction."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from conftest import World, load_example, run_to
from sqlalchemy import select

from huizhen import case_export
from states.errors import InvalidInput
from storage.summary_tables import case_summaries
from workflow import finding
from workflow import usecases as uc
from workflow.listing import ViewScope, agrees_with_can_view
from workflow.permissions import can_view


def _case(world: World, who: str, **product: Any) -> str:
    data = load_example("case.yaml")
    data["product"].update(product)
    return uc.new_case(world.svc, who, data).number


def _numbers(world: World, who: str, **asked: Any) -> list[str]:
    return [r["number"] for r in finding.find(world.svc, who, **asked)["rows"]]


def test_chinese_substrings_are_found_long_and_short(world: World) -> None:
    world.clock.set("2026-09-24T10:00:00+08:00")
    zj = _case(world, "zj", producer="浙江某某电器有限公司", name="电热水壶", model="DR-15A", report_numbers=["ZJ-2026-77"])
    other = _case(world, "zj", producer="江苏另一家厨具公司", name="燃气灶", suspected_defect="熄火保护失效")
    assert _numbers(world, "zj", q="某电器") == [zj]           # 3 characters: the trigram index
    assert _numbers(world, "zj", q="电器") == [zj]             # 2 characters: LIKE
    assert _numbers(world, "zj", q="壶") == [zj]               # 1 character
    assert _numbers(world, "zj", q="熄火保护") == [other]      # the suspected defect
    assert _numbers(world, "zj", q="zj-2026-77") == [zj]       # a report number, any case
    assert _numbers(world, "zj", q="dr-15") == [zj]            # the model
    assert _numbers(world, "zj", q="某某 水壶") == [zj]        # every term must occur
    assert _numbers(world, "zj", q="某电器 燃气") == []
    assert _numbers(world, "zj", q='"某电器') == []            # FTS syntax is text, never a query
    assert _numbers(world, "zj", q="100%") == []               # LIKE's wildcards are text too
    assert _numbers(world, "zj", q="_") == []
    assert sorted(_numbers(world, "zj", q=zj.split("-")[-1])) == [zj]  # the case number
    with pytest.raises(InvalidInput) as exc:
        finding.find(world.svc, "zj", q="长" * 101)
    assert exc.value.key == "search_too_long" and exc.value.field == "q"


def test_a_liaison_never_finds_another_institutions_draft(world: World) -> None:
    world.clock.set("2026-09-24T10:00:00+08:00")
    draft = _case(world, "zj", producer="浙江某某电器有限公司")
    submitted = run_to(world, "preliminary_review")  # SH's, past the draft: every liaison sees it
    for who in ("sh", "js", "ah"):
        assert draft not in _numbers(world, who, q="某某")
        assert draft not in _numbers(world, who)
        assert finding.similar_cases(world.svc, who, {"producer": "浙江某某电器有限公司"}) == []
        assert draft not in [r["number"] for r in finding.export_rows(world.svc, who)]
        assert submitted in _numbers(world, who)
    assert draft in _numbers(world, "zj", q="某电器")
    assert {draft, submitted} <= set(_numbers(world, "auditor"))
    assert _numbers(world, "x5") == []  # an expert on no panel
    assert _numbers(world, "x1") == []  # x1 is not on a panel before the dispatch


def test_the_database_scope_agrees_with_can_view(world: World) -> None:
    """ViewScope (SQL) and can_view (the rule) agree for every role on drafts, joint drafts and panels."""
    world.clock.set("2026-09-24T10:00:00+08:00")
    run_to(world, "awaiting_experts")
    _case(world, "zj")
    joint = load_example("case.yaml")
    joint["product"]["production_province"] = joint["product"]["registered_province"]
    joint["basis"] = {"joint_decision": "长三角联席会议决定"}
    uc.new_case(world.svc, "sh", joint)
    with world.svc.uow(readonly=True) as uow:
        rows = {r["number"]: dict(r) for r in uow.cases.conn.execute(select(case_summaries)).mappings()}
        snaps = {n: uow.cases.snapshot(n) for n in rows}
        users = [uow.users.get(n) for n in ("admin", "auditor", "sh", "js", "zj", "ah", "x1", "x5")]
    assert len(rows) == 3
    for user in users:
        for n, row in rows.items():
            assert agrees_with_can_view(user, snaps[n], row), (user.name, n, can_view(user, snaps[n]))
    assert ViewScope().admits(next(iter(rows.values()))) is False


def test_paging_sorting_and_counts(world: World) -> None:
    world.clock.set("2026-09-24T10:00:00+08:00")
    made = [_case(world, "sh", name=f"产品{i:03d}") for i in range(53)]
    first = finding.find(world.svc, "sh", sort="number")
    assert (first["total"], first["page"], first["pages"], first["next"]) == (53, 1, 2, 2)
    assert [r["number"] for r in first["rows"]] == made[:50]
    second = finding.find(world.svc, "sh", sort="number", page=2)
    assert [r["number"] for r in second["rows"]] == made[50:] and second["next"] is None
    assert first["counts"]["drafted"] == 53 and first["years"] == ["2026"]
    listed = finding.case_list(world.svc, "sh", limit=10, page=6, sort="number")
    assert [i["number"] for i in listed["items"]] == made[50:] and listed["total"] == 53
    assert set(listed["items"][0]) >= {"number", "status", "applicant", "lead", "product", "version", "created_at"}
    world.clock.advance(minutes=5)
    uc.edit_case(world.svc, "sh", made[7], load_example("case.yaml"))
    assert _numbers(world, "sh", sort="updated")[0] == made[7]
    for bad, key in (({"sort": "size"}, "sort_unknown"), ({"mine": "all"}, "mine_unknown"),
                     ({"page": "0"}, "page_invalid"), ({"page": "x"}, "page_invalid"),
                     ({"limit": "501"}, "limit_invalid"), ({"state": "nope"}, "state_unknown")):
        with pytest.raises(InvalidInput) as exc:
            finding.find(world.svc, "sh", **bad)
        assert exc.value.key == key


def test_waiting_on_me_and_my_institution(world: World) -> None:
    svc, ex = world.svc, world.experts
    analysing = run_to(world, "awaiting_experts")  # T1 runs: the applicant (SH) answers; x1–x3 owe an analysis
    convening = run_to(world, "convening")  # JS leads: the convening waits on JS
    world.clock.advance(minutes=1)
    assert _numbers(world, "sh", mine="institution") == [analysing]
    assert _numbers(world, "sh", mine="me") == [analysing]  # a liaison acts for their institution
    assert _numbers(world, "js", mine="institution") == [convening]
    assert _numbers(world, "x1", mine="me") == [analysing]
    uc.record_analysis(svc, "x1", analysing, ex[0], "分析意见")
    assert _numbers(world, "x1", mine="me") == []
    assert _numbers(world, "x2", mine="me") == [analysing]
    assert _numbers(world, "auditor", mine="me") == [] and _numbers(world, "auditor", mine="institution") == []
    assert set(_numbers(world, "auditor")) == {analysing, convening}


def test_the_export_has_every_page_and_safe_cells(world: World) -> None:
    world.clock.set("2026-09-24T10:00:00+08:00")
    evil = _case(world, "sh", name="=HYPERLINK(\"http://x\")", producer="@某某电器", model="-2+3")
    for i in range(55):
        _case(world, "sh", name=f"批量{i}", producer="某某电器厂")
    rows = finding.export_rows(world.svc, "sh", q="某某电器")
    assert len(rows) == 56  # not one page: the whole filtered list
    table = list(csv.reader(io.StringIO(case_export.csv_bytes(rows).decode("utf-8-sig"))))
    assert table[0][:3] == ["案件编号", "状态", "申请机构"]
    line = next(r for r in table if r[0] == evil)
    assert "'=HYPERLINK(\"http://x\")" in line and "'@某某电器" in line and "'-2+3" in line and "+1" not in line and "草稿" in line

    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(case_export.xlsx_bytes(rows))).active
    values = [[c.value for c in r] for r in ws.iter_rows()]
    cell = next(r for r in values if r[0] == evil)
    assert cell[4] == "'=HYPERLINK(\"http://x\")" and all(c.data_type != "f" for r in ws.iter_rows() for c in r)


def test_a_new_application_is_warned_of_similar_cases(world: World) -> None:
    world.clock.set("2026-09-24T10:00:00+08:00")
    earlier = run_to(world, "preliminary_review")  # 某某智能科技有限公司, KS-200, SH-2026-JC-0815
    by_report = _case(world, "zj", producer="别家", model="别的", report_numbers=["X-1", "SH-2026-JC-0815"])
    found = finding.similar_cases(world.svc, "zj", {"producer": "别家", "model": "别的",
                                                    "report_numbers": ["X-1", "SH-2026-JC-0815"]}, by_report)
    assert [(c["number"], c["same"]) for c in found] == [(earlier, ["report_numbers"])]
    found = finding.similar_cases(world.svc, "js", {"producer": "某某智能科技有限公司", "model": "KS-200"})
    assert [(c["number"], c["same"]) for c in found] == [(earlier, ["producer", "model"])]
    assert finding.similar_cases(world.svc, "js", {"producer": "无关", "model": "", "report_numbers": ["SH-2026"]}) == []


def test_the_projection_follows_each_event_and_the_purge(world: World) -> None:
    n = run_to(world, "awaiting_experts")

    def row() -> dict[str, Any] | None:
        with world.svc.uow(readonly=True) as uow:
            found = uow.cases.conn.execute(select(case_summaries).where(case_summaries.c.number == n)).mappings()
            got = found.first()
            return dict(got) if got else None

    r = row()
    assert r is not None
    assert (r["status"], r["next_kind"], r["responsible"], r["experts_owing"]) == (
        "awaiting_experts", "expert_analysis", "SH", ",E0001,E0002,E0003,")
    with world.svc.uow(readonly=True) as uow:
        assert r["version"] == uow.cases.columns(n)["version"]
