"""Art. 8(1) by every institution, on SQLite and PostgreSQL (issue 12): two institutions nominate from their own
pools, the applicant forms the panel from the nominations and the pool, the experts answer (one declines, one
declares a conflict), the applicant's liaison is told of both in the inbox, the declined expert is replaced, the
conflicted one kept for a recorded reason, and the materials go out. The history verifies and replays."""

from __future__ import annotations

from typing import Any

import pytest
from support import World, run_to

from states.errors import GuardFailed, InvalidInput
from workflow import nominations
from workflow import usecases as uc


def inbox(world: World, name: str) -> list[dict[str, Any]]:
    with world.svc.uow(readonly=True) as uow:
        return list(uow.inbox.of(name))


def test_nominations_answers_and_a_kept_conflict_reach_the_dispatch(world: World) -> None:
    svc, clk = world.svc, world.clock
    e1, e2, e3, e4, e5 = world.experts  # pools: SH, JS, ZJ, AH, SH
    n = run_to(world, "preliminary_review")
    clk.advance(minutes=5)
    nominations.nominate(svc, "sh", n, [e1, e5], "机械安全方向")
    with pytest.raises(InvalidInput) as other:
        nominations.nominate(svc, "zj", n, [e1])
    assert (other.value.key, other.value.field) == ("nomination_other_province", "expert")
    nominations.nominate(svc, "zj", n, [e3])
    clk.advance(minutes=5)
    uc.form_panel(svc, "sh", n, [e1, e3, e5])  # two nominations of SH, one of ZJ
    uc.attach(svc, "sh", n, "report.txt", b"test report", "test_report")

    # the experts are told they are on the panel, with the way to answer
    assert any("【会诊邀请】" in m["subject"] for m in inbox(world, "x1"))
    clk.advance(minutes=5)
    nominations.respond(svc, "x1", n, e1, "accept", relation="related", relation_text="曾任该企业技术顾问")
    nominations.respond(svc, "x3", n, e3, "accept")
    nominations.respond(svc, "x5", n, e5, "decline", note="出差")
    told = [m["subject"] for m in inbox(world, "sh")]
    assert any(s.startswith("【利益冲突申报】") and e1 in s for s in told)
    assert any(s.startswith("【专家谢绝】") and e5 in s for s in told)
    assert not any(m["subject"].startswith(("【利益冲突申报】", "【专家谢绝】")) for m in inbox(world, "zj"))

    with pytest.raises(GuardFailed) as declined:
        uc.dispatch(svc, "sh", n)
    assert declined.value.key == "panel_expert_declined"
    uc.form_panel(svc, "sh", n, [e1, e3, e4])  # the declined expert replaced from the pool
    with pytest.raises(GuardFailed) as conflict:
        uc.dispatch(svc, "sh", n)
    assert conflict.value.key == "conflict_unresolved"
    nominations.keep_expert(svc, "sh", n, e1, "顾问关系已于三年前终止，且专业不可替代")
    clk.set("2026-09-29T10:00:00+08:00")
    case = uc.dispatch(svc, "sh", n)
    assert case.status == "awaiting_experts"

    shown = uc.show_case(svc, "js", n)
    assert [x["expert"] for x in shown["nominations"]] == [e1, e5, e3]
    assert shown["responses"][e5]["answer"] == "decline" and shown["kept"][e1]["reason"].startswith("顾问关系")
    # events are facts: the history verifies, and its replay gives the stored case
    assert uc.verify_audit(svc, "auditor", n) == []
    types = [e["type"] for e in uc.history(svc, "auditor", n)]
    assert types.count("ExpertsNominated") == 2 and types.count("ExpertResponded") == 3 and "ExpertKept" in types
