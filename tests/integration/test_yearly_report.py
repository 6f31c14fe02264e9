"""The yearly report over SQLite and PostgreSQL: a year of cases on a fake clock (some late, some withdrawn, some
under continued attention, across several applicants and leads, with fees), and every figure of
`huizhen report year` checked against numbers worked out by hand below; the Markdown carries the same numbers,
and each chart is a PNG a person can open (one is kept in tests/artifacts/).

The year 2026 (Beijing time). Rotation: SH leads 2025, JS leads 2026. Panel: the first three experts (x1..x3).
Working days are counted as the deadlines are: the start day is not counted. The weeks used have no holiday.

case  applicant lead  submitted        decided (outcome)            closed              T1          T2
A     SH        SH    2025-12-15       2025-12-22 investigate       archived 2026-01-06 met (2025)  met (2025)
B     ZJ        JS    2026-03-02       2026-03-10 investigate       archived 2026-03-11 met         met
C     AH        JS    2026-06-01       2026-06-16 no_investigation  archived 2026-06-17 missed      missed
D     JS        JS    2026-11-30       2026-12-14 attention         (still tracking)    met         missed
E     SH        JS    2026-03-09       2026-03-16 attention         concluded 2026-04-20 met        met
F     AH        JS    2026-08-03       —                            withdrawn 2026-08-05 cancelled  —
G     ZJ        —     (draft only, withdrawn 2026-05-04: never an application, counted nowhere)
H     SH        JS    2026-12-21       —                            (open)              overdue at year end
I     ZJ        ZJ    2027-01-05       —                            (another year)
"""

from __future__ import annotations

import json
import shutil
import struct
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import World, load_example, opinion

from workflow import accounts
from workflow import reports as rp
from workflow import usecases as uc
from workflow.errors import NotPermitted

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def at(world: World, iso: str) -> None:
    world.clock.set(iso if "+" in iso else f"{iso}+08:00")


def drive(world: World, applicant: str, *, submit: str, dispatch: str | None = None, refer: str | None = None,
          convene: str | None = None, decide: str | None = None, opinions: list[dict[str, Any]] | None = None,
          absent: int | None = None, minutes: str | None = None, archive: str | None = None,
          conclude: str | None = None, withdraw: str | None = None) -> str:
    """One case along the regulation's path, each step at the instant given (Beijing time)."""
    svc, me = world.svc, applicant.lower()
    at(world, f"{submit[:10]}T09:00:00")
    n = uc.new_case(svc, me, load_example("case.yaml")).number
    at(world, submit)
    uc.verify(svc, me, n, "核实无误")  # Art. 7: before the application
    lead = uc.submit(svc, me, n).lead
    assert lead is not None
    if dispatch is None:
        if withdraw:
            at(world, withdraw)
            uc.withdraw(svc, me, n, "申请撤回")
        return n
    uc.form_panel(svc, me, n, world.experts[:3])
    uc.attach(svc, me, n, "report.txt", b"test report " + n.encode(), "test_report")
    at(world, dispatch)
    uc.dispatch(svc, me, n)
    if withdraw:
        at(world, withdraw)
        uc.withdraw(svc, me, n, "申请撤回")
        return n
    if refer is None:
        return n
    at(world, refer)
    world.clock.advance(seconds=-60)
    for i, e in enumerate(world.experts[:3], start=1):
        world.clock.advance(seconds=1)
        uc.record_analysis(svc, f"x{i}", n, e, "分析意见")
    at(world, refer)
    uc.refer(svc, me, n)
    assert convene and decide
    uc.schedule_meeting(svc, lead.lower(), n, world.clock.now() + timedelta(days=1), "腾讯会议")  # Art. 8(4)
    at(world, convene)
    uc.convene(svc, lead.lower(), n)
    ops = opinions or [opinion()] * 3
    for i, (e, op) in enumerate(zip(world.experts[:3], ops, strict=False), start=1):
        world.clock.advance(minutes=1)
        if absent == i:
            uc.record_absence(svc, lead.lower(), n, e, "出差")
        else:
            uc.record_opinion(svc, f"x{i}", n, e, op)
    at(world, decide)
    uc.decide(svc, lead.lower(), n)
    if minutes:
        at(world, minutes)
        uc.issue_minutes(svc, lead.lower(), n)
    if archive:
        at(world, archive)
        uc.archive(svc, lead.lower(), n)
    if conclude:
        at(world, conclude)
        uc.conclude(svc, me, n, "跟踪结束")
    return n


ATTENTION = [opinion("uncertain", 2, 3)] * 3
# Two forms: both "no defect"; one investigate (4×8), one attention (2×3) — no strict majority for either, so
# the outcome is no_investigation; the third expert is absent (quorum: 2 of 3).
NO_INVESTIGATION = [opinion("no", 4, 8), opinion("no", 2, 3), opinion("no", 2, 3)]


@pytest.fixture
def year(world: World) -> dict[str, str]:
    svc, ex = world.svc, world.experts
    c: dict[str, str] = {}
    c["A"] = drive(world, "SH", submit="2025-12-15T10:00:00", dispatch="2025-12-16T10:00:00",
                   refer="2025-12-18T10:00:00", convene="2025-12-22T10:00:00", decide="2025-12-22T11:00:00",
                   minutes="2025-12-22T12:00:00")
    at(world, "2025-12-23T10:00:00")
    accounts.record_fee(svc, "sh", c["A"], ex[0], "600.00")  # recorded in 2025: not in the 2026 figures
    at(world, "2026-01-06T10:00:00")
    uc.archive(svc, "sh", c["A"])  # SH led in 2025
    at(world, "2026-01-07T10:00:00")
    accounts.record_fee(svc, "sh", c["A"], ex[1], "1000.00", "2026-01-07")  # after the archive: allowed

    c["B"] = drive(world, "ZJ", submit="2026-03-02T10:00:00", dispatch="2026-03-03T10:00:00",
                   refer="2026-03-05T10:00:00", convene="2026-03-10T10:00:00", decide="2026-03-10T11:00:00",
                   minutes="2026-03-10T12:00:00", archive="2026-03-11T10:00:00")
    at(world, "2026-03-12T10:00:00")
    for e in ex[:3]:
        world.clock.advance(minutes=1)
        accounts.record_fee(svc, "zj", c["B"], e, "1500.00", "2026-03-12" if e != ex[2] else None)

    # C: the analyses come in late (T1 due 2026-06-05 24:00, referred 06-08: missed); T2 due 06-15 24:00,
    # convened 06-16: missed.
    c["C"] = drive(world, "AH", submit="2026-06-01T10:00:00", dispatch="2026-06-02T10:00:00",
                   refer="2026-06-08T10:00:00", convene="2026-06-16T10:00:00", decide="2026-06-16T11:00:00",
                   opinions=NO_INVESTIGATION, absent=3, minutes="2026-06-16T12:00:00", archive="2026-06-17T10:00:00")

    # D: T1 due 12-04 met on 12-03; T2 due 12-10 24:00, convened 12-14: missed; still under attention.
    c["D"] = drive(world, "JS", submit="2026-11-30T10:00:00", dispatch="2026-12-01T10:00:00",
                   refer="2026-12-03T10:00:00", convene="2026-12-14T10:00:00", decide="2026-12-14T11:00:00",
                   opinions=ATTENTION, minutes="2026-12-14T12:00:00")
    at(world, "2026-12-15T10:00:00")
    accounts.record_fee(svc, "js", c["D"], ex[0], "2000.00", "2026-12-15")
    world.clock.advance(minutes=1)
    accounts.record_fee(svc, "js", c["D"], ex[1], "1200.50")
    at(world, "2026-12-21T10:00:00")
    uc.track(svc, "js", c["D"], "企业已联系")
    at(world, "2026-12-22T10:00:00")
    accounts.correct_fee(svc, "js", c["D"], ex[1], "按合同更正", amount="1250.00")

    c["E"] = drive(world, "SH", submit="2026-03-09T10:00:00", dispatch="2026-03-10T10:00:00",
                   refer="2026-03-12T10:00:00", convene="2026-03-16T10:00:00", decide="2026-03-16T11:00:00",
                   opinions=ATTENTION, minutes="2026-03-16T12:00:00", conclude="2026-04-20T10:00:00")

    c["F"] = drive(world, "AH", submit="2026-08-03T10:00:00", dispatch="2026-08-04T10:00:00",
                   withdraw="2026-08-05T10:00:00")
    at(world, "2026-08-06T10:00:00")
    accounts.record_fee(svc, "ah", c["F"], ex[2], "800.00")  # the panel had the materials: a fee is owed

    at(world, "2026-05-04T10:00:00")
    c["G"] = uc.new_case(svc, "zj", load_example("case.yaml")).number
    uc.withdraw(svc, "zj", c["G"], "草稿作废")

    c["H"] = drive(world, "SH", submit="2026-12-21T10:00:00", dispatch="2026-12-22T10:00:00")  # T1 due 12-25 24:00
    c["I"] = drive(world, "ZJ", submit="2027-01-05T10:00:00")
    at(world, "2027-01-15T10:00:00")
    assert uc.verify_audit(svc, "auditor") == []
    return c


def test_every_figure_of_the_year(world: World, year: dict[str, str], tmp_path: Path) -> None:
    r = rp.yearly_report(world.svc, "auditor", 2026)
    assert r["year"] == 2026 and r["institution"] is None
    assert r["as_of"] == "2027-01-01T00:00:00+08:00"  # the year is over: its end, not now

    # opened = submitted in 2026: B(ZJ) C(AH) D(JS) E(SH) F(AH) H(SH); A was 2025, G never submitted, I is 2027.
    assert r["opened"] == {"total": 6, "by_applicant": {"SH": 2, "JS": 1, "ZJ": 1, "AH": 2},
                           "by_lead": {"SH": 0, "JS": 6, "ZJ": 0, "AH": 0}}
    # closed in 2026: A (archived 01-06, led by SH), B, C, E (concluded → archived), F (withdrawn).
    assert r["closed"] == {"total": 5, "archived": 4, "withdrawn": 1,
                           "by_applicant": {"SH": 2, "JS": 0, "ZJ": 1, "AH": 2},
                           "by_lead": {"SH": 1, "JS": 4, "ZJ": 0, "AH": 0}}
    # decisions of 2026: B investigate, C no_investigation, D and E continued attention; F withdrawn.
    assert r["outcomes"] == {"investigate": 1, "no_investigation": 1, "continued_attention": 2, "withdrawn": 1}

    # Cycle time, working days after the submission day up to the decision day:
    #   B 03-02 → 03-10: 3,4,5,6,9,10            = 6
    #   C 06-01 → 06-16: 2,3,4,5,8,9,10,11,12,15,16 = 11
    #   D 11-30 → 12-14: 1,2,3,4,7,8,9,10,11,14   = 10
    #   E 03-09 → 03-16: 10,11,12,13,16          = 5
    # sorted 5, 6, 10, 11: median (6 + 10) / 2 = 8.0; p90 nearest rank ⌈0.9 × 4⌉ = 4th = 11.
    assert r["cycle_time"] == {"cases": 4, "median_working_days": 8.0, "p90_working_days": 11.0,
                               "values": [5, 6, 10, 11]}

    # T1 resolved in 2026: B met, C missed, D met, E met → 3 / 4 = 0.75; F cancelled (not counted);
    # H (due 2026-12-25 24:00) still running at the year's end → open_overdue 1.
    # T2 resolved in 2026: B met, C missed, D missed, E met → 2 / 4 = 0.5.
    assert r["on_time"] == {
        "t1": {"met": 3, "missed": 1, "resolved": 4, "rate": 0.75, "open_overdue": 1},
        "t2": {"met": 2, "missed": 2, "resolved": 4, "rate": 0.5, "open_overdue": 0},
    }

    # Under continued attention at the year's end: D only (E was concluded). Tracking age from the decision day
    # 12-14 to 12-31: 15,16,17,18, 21,22,23,24,25, 28,29,30,31 = 13 working days; one tracking note (12-21).
    assert r["continued_attention"] == {"count": 1, "cases": [{
        "number": year["D"], "applicant": "JS", "lead": "JS", "product": "儿童电动滑板车",
        "decided_on": "2026-12-14", "tracking_age_working_days": 13, "tracking_notes": 1}]}

    # Fees recorded in 2026, by the paying applicant:
    #   SH: A's second fee 1000.00, paid (A's first fee was recorded in 2025)
    #   JS: D 2000.00 paid + 1200.50 corrected to 1250.00 unpaid = 3250.00
    #   ZJ: B 3 × 1500.00 = 4500.00, two paid (3000.00), one unpaid (1500.00)
    #   AH: F 800.00 unpaid
    # total 9550.00 = paid 6000.00 + unpaid 3550.00
    assert r["fees"] == {
        "currency": "CNY",
        "by_institution": {
            "SH": {"fees": 1, "total": "1000.00", "paid": "1000.00", "unpaid": "0.00"},
            "JS": {"fees": 2, "total": "3250.00", "paid": "2000.00", "unpaid": "1250.00"},
            "ZJ": {"fees": 3, "total": "4500.00", "paid": "3000.00", "unpaid": "1500.00"},
            "AH": {"fees": 1, "total": "800.00", "paid": "0.00", "unpaid": "800.00"},
        },
        "total": "9550.00", "paid": "6000.00", "unpaid": "3550.00",
    }


def test_scope_instant_and_readers(world: World, year: dict[str, str]) -> None:
    """One institution's cases (applicant or lead), the figures while the year runs, who may read them."""
    r = rp.yearly_report(world.svc, "ah", 2026, "ah")
    assert r["institution"] == "AH"
    # AH applied for C and F (JS led both).
    assert r["opened"] == {"total": 2, "by_applicant": {"SH": 0, "JS": 0, "ZJ": 0, "AH": 2},
                           "by_lead": {"SH": 0, "JS": 2, "ZJ": 0, "AH": 0}}
    assert (r["closed"]["total"], r["closed"]["archived"], r["closed"]["withdrawn"]) == (2, 1, 1)
    assert r["outcomes"] == {"investigate": 0, "no_investigation": 1, "continued_attention": 0, "withdrawn": 1}
    assert r["cycle_time"] == {"cases": 1, "median_working_days": 11.0, "p90_working_days": 11.0, "values": [11]}
    assert r["on_time"]["t1"] == {"met": 0, "missed": 1, "resolved": 1, "rate": 0.0, "open_overdue": 0}
    assert r["on_time"]["t2"] == {"met": 0, "missed": 1, "resolved": 1, "rate": 0.0, "open_overdue": 0}
    assert r["continued_attention"] == {"count": 0, "cases": []}
    assert r["fees"]["total"] == "800.00" and r["fees"]["by_institution"]["AH"]["fees"] == 1
    # JS led every case of 2026 and applied for D: everything of 2026 but A's closing (SH led, SH applied).
    js = rp.yearly_report(world.svc, "auditor", 2026, "JS")
    assert js["opened"]["total"] == 6 and js["closed"]["total"] == 4
    sh_2025 = rp.yearly_report(world.svc, "auditor", 2025, "SH")
    assert sh_2025["opened"]["by_lead"]["SH"] == 1 and sh_2025["outcomes"]["investigate"] == 1
    assert sh_2025["fees"]["by_institution"]["SH"] == {"fees": 1, "total": "600.00", "paid": "0.00",
                                                        "unpaid": "600.00"}

    at(world, "2026-12-18T10:00:00")
    r = rp.yearly_report(world.svc, "auditor", 2026)
    assert r["as_of"] == "2026-12-18T10:00:00+08:00"
    # D decided 12-14: 15, 16, 17, 18 = 4 working days so far; its note of 12-21 has not been made yet.
    (d,) = r["continued_attention"]["cases"]
    assert (d["tracking_age_working_days"], d["tracking_notes"]) == (4, 0)
    with pytest.raises(NotPermitted):
        rp.yearly_report(world.svc, "x1", 2026)
    for who in ("sh", "admin", "auditor"):
        assert rp.yearly_report(world.svc, who, 2026)["opened"]["total"] == 6


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, path
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_files_markdown_json_and_readable_charts(world: World, year: dict[str, str], tmp_path: Path,
                                                     request: pytest.FixtureRequest) -> None:
    from huizhen.yearly_render import CHART_NAMES, cjk_family, write_report

    assert cjk_family() is not None, "fonts-noto-cjk is installed by ./dev: the charts need it"
    report = rp.yearly_report(world.svc, "auditor", 2026)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Glyph ... missing from font" — every Chinese label is drawable
        full = write_report(report, tmp_path)
    assert full["files"]["markdown"] == "report-2026.md" and full["files"]["json"] == "report-2026.json"
    assert set(full["files"]["charts"]) == set(CHART_NAMES)
    for name, file in full["files"]["charts"].items():
        path = tmp_path / file
        assert file == f"report-2026-{name}.png"
        w, h = _png_size(path)
        assert w >= 600 and h >= 300, (file, w, h)
        assert path.stat().st_size > 10_000, file  # drawn, not blank
    stored = json.loads((tmp_path / "report-2026.json").read_text(encoding="utf-8"))
    for key in ("opened", "closed", "outcomes", "cycle_time", "on_time", "continued_attention", "fees"):
        assert stored[key] == report[key], key
    md = (tmp_path / "report-2026.md").read_text(encoding="utf-8")
    for text in ("| SH 上海市缺陷消费品召回技术机构 | 2 | 0 | 2 | 1 |", "| 合计 total | 6 | 6 | 5 | 5 |",
                 "| 建议开展缺陷调查 (investigate) | 1 |", "| 不建议开展缺陷调查 (no_investigation) | 1 |",
                 "| 持续关注 (continued_attention) | 2 |", "| 已撤回 (withdrawn) | 1 |",
                 "中位数 median: 8 个工作日", "第90百分位 p90 (nearest rank): 11 个工作日",
                 "| T1 专家初步分析 | 3 | 1 | 4 | 75.0% | 1 |", "| T2 组织会诊 | 2 | 2 | 4 | 50.0% | 0 |",
                 f"| {year['D']} | JS | JS | 儿童电动滑板车 | 2026-12-14 | 13 | 1 |",
                 "| ZJ 浙江省缺陷消费品召回技术机构 | 3 | 4500.00 | 3000.00 | 1500.00 |",
                 "| 合计 total | 7 | 9550.00 | 6000.00 | 3550.00 |", "![会诊结论](report-2026-outcomes.png)"):
        assert text in md, text
    if "sqlite" in request.node.callspec.id:
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(tmp_path / "report-2026-outcomes.png", ARTIFACTS / "yearly-report-2026-outcomes.png")
        shutil.copy(tmp_path / "report-2026-institutions.png", ARTIFACTS / "yearly-report-2026-institutions.png")


def test_an_empty_year_still_has_its_files(world: World, tmp_path: Path) -> None:
    from huizhen.yearly_render import write_report

    r = rp.yearly_report(world.svc, "admin", 2026)
    assert r["opened"]["total"] == 0 and r["cycle_time"]["median_working_days"] is None
    assert r["on_time"]["t1"]["rate"] is None and r["fees"]["total"] == "0.00"
    full = write_report(r, tmp_path)
    assert all((tmp_path / f).stat().st_size > 5_000 for f in full["files"]["charts"].values())
