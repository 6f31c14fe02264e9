"""Issue 12, done when: a case walked through the regulation in its own order, on the real database, with the
real outbox (loopback SMTP) and the real minutes PDF read back with pdftotext.

draft with verification (Art. 7) → submit → nominations from three institutions (Art. 8(1)) → panel, the experts'
answers and a declared relation kept with a reason → dispatch (the experts' inboxes say so) → a late expert reminded
by the sweep and chased (催办) → referral (the lead's inbox says so) → the online meeting scheduled (invitations in Beijing time) → attendance and statements
(Art. 8(4)–(5)) → forms → decision → minutes previewed, edited, issued (Art. 8(7)) → a numbered correction →
archive (Art. 9: custodians).
"""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from support import World, load_example, opinion
from test_notices_flow import body, subject
from test_papers_flow import mailing, smtp  # noqa: F401  (smtp is a fixture)

from huizhen import dossier
from huizhen.papers import render_minutes
from states.errors import GuardFailed, InvalidInput
from workflow import nominations, timekeeping
from workflow import usecases as uc
from workflow.documents import minutes_context


def pdf_text(world: World, actor: str, number: str, tmp: Path, issue: int | None = None) -> str:
    out = render_minutes(minutes_context(world.svc, actor, number, issue), tmp / f"minutes-{issue or 0}.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], check=True, capture_output=True).stdout
    return "".join(text.decode("utf-8").split())  # lines wrap anywhere in Chinese: compare without spaces


def inbox_subjects(world: World, who: str) -> list[str]:
    return [str(m["subject"]) for m in timekeeping.inbox(world.svc, who)]


def test_a_case_through_the_regulation_in_its_order(world: World, smtp: Any, tmp_path: Path) -> None:  # noqa: F811
    controller, mails = smtp
    mailing(world, controller.port)
    svc, clk, ex = world.svc, world.clock, world.experts
    members = svc.policy.members

    # Art. 7: verified on the draft, before the application.
    clk.set("2026-09-24T10:00:00+08:00")
    n = uc.new_case(svc, "sh", load_example("case.yaml")).number
    with pytest.raises(GuardFailed):
        uc.submit(svc, "sh", n)
    uc.verify(svc, "sh", n, "核实检测报告与样品一致")
    clk.advance(minutes=5)
    assert uc.submit(svc, "sh", n).lead == "JS"

    # Art. 8(1): each institution's liaison nominates from its own province's pool (SH, JS and ZJ here).
    clk.set("2026-09-25T10:00:00+08:00")
    nominations.nominate(svc, "sh", n, [ex[0]], "机械安全方向")
    nominations.nominate(svc, "js", n, [ex[1]])
    with pytest.raises(InvalidInput) as other:
        nominations.nominate(svc, "zj", n, [ex[0]])  # not from Zhejiang's pool
    assert other.value.field == "expert"
    nominations.nominate(svc, "zj", n, [ex[2]], "电气安全方向")

    clk.set("2026-09-28T09:30:00+08:00")
    uc.form_panel(svc, "sh", n, ex[:3])
    uc.attach(svc, "sh", n, "report.txt", b"test report", "test_report")
    # The experts answer with their declarations; a declared relation needs the applicant's recorded reason.
    assert all(any(m.startswith("【会诊邀请】") for m in inbox_subjects(world, x)) for x in ("x1", "x2", "x3"))
    clk.advance(minutes=30)
    nominations.respond(svc, "x1", n, ex[0], "accept")
    nominations.respond(svc, "x2", n, ex[1], "accept")
    nominations.respond(svc, "x3", n, ex[2], "accept", relation="related", relation_text="五年前曾为该企业做过检测")
    with pytest.raises(GuardFailed) as conflict:
        uc.dispatch(svc, "sh", n)
    assert conflict.value.key == "conflict_unresolved"
    nominations.keep_expert(svc, "sh", n, ex[2], "检测合作已结束五年，无现实利益关系")
    clk.set("2026-09-29T10:00:00+08:00")
    uc.dispatch(svc, "sh", n)
    for who in ("x1", "x2", "x3"):  # the experts' inboxes say so, with T1's due date for people
        assert any(s.startswith("【会诊材料】") for s in inbox_subjects(world, who)), who

    # Two experts answer; x3 is late: the sweep reminds the late one only, the liaison chases x3 (催办).
    for i, e in enumerate(ex[:2], start=1):
        clk.advance(minutes=1)
        uc.record_analysis(svc, f"x{i}", n, e, "初步分析意见")
    clk.set("2026-10-09T09:30:00+08:00")
    report = world.app.sweeper().sweep()
    reminded = sorted(r["recipient"] for r in report.sent if r["reminder_kind"] == "before")
    assert reminded == ["sh", "x3"]
    clk.set("2026-10-09T10:00:00+08:00")
    uc.chase(svc, "sh", n, ex[2], "请今日内提交")
    assert any(s.startswith("【会诊催办】") for s in inbox_subjects(world, "x3"))
    clk.set("2026-10-09T15:00:00+08:00")
    uc.record_analysis(svc, "x3", n, ex[2], "初步分析意见（迟交）")

    # Art. 8(3): referral; the lead's inbox says so.
    clk.set("2026-10-09T16:00:00+08:00")
    uc.refer(svc, "sh", n)
    assert any(s.startswith("【会诊移交】") for s in inbox_subjects(world, "js"))

    # Art. 5 / 8(4): convening needs a scheduled online meeting.
    clk.set("2026-10-12T09:00:00+08:00")
    with pytest.raises(GuardFailed) as no_meeting:
        uc.convene(svc, "js", n)
    assert no_meeting.value.key == "meeting_not_scheduled"
    uc.schedule_meeting(svc, "js", n, datetime.fromisoformat("2026-10-14T14:00:00+08:00"), "腾讯会议",
                        "https://meeting.example.org/yrd", attendees=["js", "sh"], order=[ex[1], ex[0], ex[2]])
    (invite,) = [m for m in mails.to("x1@example.org") if "线上专家会诊" in subject(m)]
    assert "2026-10-14 14:00（北京时间）" in body(invite) and "+00:00" not in body(invite)

    clk.set("2026-10-14T14:00:00+08:00")
    uc.convene(svc, "js", n)

    # Art. 8(4): each institution's 1–2 staff by real name, or that it sent no one; a refusal names the field.
    clk.set("2026-10-14T14:40:00+08:00")
    with pytest.raises(InvalidInput) as crowded:
        uc.record_attendance(svc, "js", n, "SH", ["王芳", "李强", "赵六"])
    assert crowded.value.field == "staff"
    with pytest.raises(InvalidInput) as nobody:
        uc.record_attendance(svc, "js", n, "AH", [])
    assert nobody.value.field == "staff"
    uc.record_attendance(svc, "js", n, "JS", ["周明"])
    uc.record_attendance(svc, "js", n, "SH", ["王芳", "李强"])
    uc.record_attendance(svc, "js", n, "AH", ["孙丽"])
    uc.record_attendance(svc, "js", n, "ZJ", absent=True)

    # Art. 8(5): the experts speak in turn; the lead records each statement in speaking order.
    said = {ex[1]: "第一位发言：折叠锁定装置存在设计缺陷。", ex[0]: "第二位发言：同意，建议调查。",
            ex[2]: "第三位发言：伤害数据支持缺陷判断。"}
    for expert, text in said.items():
        uc.record_statement(svc, "js", n, expert, text)
    case = uc.show_case(svc, "js", n)
    assert [s["expert"] for s in case["statements"]] == [ex[1], ex[0], ex[2]]

    # Art. 8(6): the forms, then the decision by majority.
    for i, e in enumerate(ex[:3], start=1):
        clk.advance(minutes=1)
        uc.record_opinion(svc, f"x{i}", n, e, opinion())
    clk.set("2026-10-14T16:00:00+08:00")
    uc.decide(svc, "js", n)

    # Art. 8(7): the lead previews the minutes (a draft), words them, then issues them.
    draft = minutes_context(svc, "js", n)
    assert draft["draft"] is True
    uc.draft_minutes(svc, "js", n, summary="与会专家充分讨论了折叠锁定装置的失效机理。",
                     decision_text="专家组一致认为该产品存在缺陷，建议启动缺陷调查。",
                     follow_up="由上海市缺陷产品召回技术机构于10个工作日内报请开展缺陷调查。")
    preview = pdf_text(world, "js", n, tmp_path)
    assert "与会专家充分讨论了折叠锁定装置的失效机理" in preview
    clk.set("2026-10-15T10:00:00+08:00")
    uc.issue_minutes(svc, "js", n)

    issued = pdf_text(world, "zj", n, tmp_path)
    for text in said.values():  # the statements at the meeting, not the preliminary analyses
        assert text in issued
    assert "初步分析意见（迟交）" not in issued
    for name in ("周明", "王芳", "李强", "孙丽"):  # the attendees by name
        assert name in issued
    assert f"{members['ZJ']}（未派员参会）" in issued  # the institution that sent no one
    assert "出席" in issued and "请假" in issued and "列席" in issued
    assert "专家组一致认为该产品存在缺陷" in issued and "于10个工作日内报请" in issued
    assert f"会议纪要由{members['JS']}保存" in issued and f"会诊表由{members['SH']}保存" in issued  # Art. 9
    # Statements in speaking order.
    assert issued.index(said[ex[1]]) < issued.index(said[ex[0]]) < issued.index(said[ex[2]])

    # Issued minutes never change: editing the draft is refused; a correction is issue 2, naming issue 1.
    with pytest.raises(GuardFailed):
        uc.draft_minutes(svc, "js", n, summary="改")
    clk.advance(hours=1)
    uc.correct_minutes(svc, "js", n, "后续工作时限笔误", follow_up="由上海市缺陷产品召回技术机构于5个工作日内报请开展缺陷调查。")
    corrected = pdf_text(world, "sh", n, tmp_path)
    assert "第2号" in corrected and "更正第1号" in corrected and "后续工作时限笔误" in corrected
    assert "于5个工作日内报请" in corrected
    cc = [subject(m) for m in mails.to("zj@example.org") if "会议纪要" in subject(m)]
    assert len(cc) == 2 and "第2号（更正第1号）" in cc[1]  # the correction is cc'd like the first issue
    first = pdf_text(world, "sh", n, tmp_path, issue=1)
    assert "于10个工作日内报请" in first and "更正第1号" not in first

    # Art. 9: archived; the audit chain and the replay agree.
    clk.advance(hours=1)
    assert uc.archive(svc, "js", n).status == "archived"
    assert uc.verify_audit(svc, "auditor", n) == []
    manifest = dossier.build(svc, "auditor", n, tmp_path / "dossier.zip", clk.now())
    assert manifest["custodians"]["forms"]["institution"] == "SH"
    assert manifest["custodians"]["minutes"]["institution"] == "JS"
    assert "minutes/minutes-issue-1.pdf" in manifest["custodians"]["minutes"]["files"]
