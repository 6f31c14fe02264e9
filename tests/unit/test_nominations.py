"""Art. 8(1) by every institution (issue 12): nominations from each institution's own pool, the experts' answers
and conflict-of-interest declarations, and the dispatch that waits for a declined expert to be replaced and for a
declared conflict to be kept with a reason. On the fake unit of work (no database) and on the bare domain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fake_world import FakeWorld, fake_world, run_to, stored, unchanged
from hypothesis import given, settings
from hypothesis import strategies as st

from states import case as dom
from states.errors import GuardFailed, InvalidInput
from states.guards import Attempt, guard_panel_answers
from states.status import CaseStatus
from workflow import nominations, queries
from workflow import usecases as uc
from workflow.errors import NotFound, NotPermitted
from workflow.notices import CONFLICT, DECLINED, notices


@pytest.fixture
def w() -> FakeWorld:
    return fake_world()




def ready(w: FakeWorld) -> str:
    """Preliminary review with the panel x1–x3 formed and a material attached (experts: SH, JS, ZJ)."""
    n = run_to(w, "preliminary_review")
    uc.form_panel(w.svc, "sh", n, w.experts[:3])
    uc.attach(w.svc, "sh", n, "report.txt", b"test report", "test_report")
    return n


# --- nominations ---------------------------------------------------------------------------------------------


def test_each_institution_nominates_from_its_own_pool(w: FakeWorld) -> None:
    n = run_to(w, "preliminary_review")
    e1, e2, e3, _, e5 = w.experts  # provinces SH, JS, ZJ, AH, SH
    nominations.nominate(w.svc, "sh", n, [e1, e5], "机械安全")
    nominations.nominate(w.svc, "js", n, [e2])
    nominations.nominate(w.svc, "zj", n, [e3])
    case = w.store.data.cases[n]
    assert [(x["institution"], x["expert"]) for x in case.nominations] == [
        ("SH", e1), ("SH", e5), ("JS", e2), ("ZJ", e3)]
    assert stored(w, n)[-3:] == ["ExpertsNominated"] * 3
    # the case page lists the nominations first, each with who nominated it; the rest of the pool after
    page = queries.case_page(w.svc, "sh", n)
    assert [(r["id"], r["by"]) for r in page["choices"]["nominated"]] == [(e1, ["SH"]), (e5, ["SH"]), (e2, ["JS"]),
                                                                           (e3, ["ZJ"])]
    assert [e.id for e in page["choices"]["pool"]] == [w.experts[3]]
    # filtered by province and field
    assert [e.id for e in queries.case_page(w.svc, "sh", n, "", "AH")["choices"]["pool"]] == [w.experts[3]]
    assert queries.case_page(w.svc, "sh", n, "电气", "")["choices"]["pool"] == []


def test_an_expert_of_another_province_is_refused_naming_the_field_expert(w: FakeWorld) -> None:
    n = run_to(w, "preliminary_review")
    refused = unchanged(w, n, lambda: nominations.nominate(w.svc, "js", n, [w.experts[0]]), InvalidInput)
    assert (refused.key, refused.field) == ("nomination_other_province", "expert")
    assert refused.params["province"] == "SH" and refused.params["institution"] == "JS"


@pytest.mark.parametrize(("experts", "key"), [([], "nomination_empty"), (["E0001", "E0001"], "nomination_duplicate"),
                                              (["E0099"], "expert_unknown")])
def test_bad_nominations_write_nothing(w: FakeWorld, experts: list[str], key: str) -> None:
    n = run_to(w, "preliminary_review")
    refused = unchanged(w, n, lambda: nominations.nominate(w.svc, "sh", n, experts), InvalidInput)
    assert (refused.key, refused.field) == (key, "expert")


def test_a_second_nomination_adds_and_the_same_expert_twice_is_refused(w: FakeWorld) -> None:
    n = run_to(w, "preliminary_review")
    nominations.nominate(w.svc, "sh", n, [w.experts[0]])
    nominations.nominate(w.svc, "sh", n, [w.experts[4]])
    refused = unchanged(w, n, lambda: nominations.nominate(w.svc, "sh", n, [w.experts[0]]), InvalidInput)
    assert refused.key == "nomination_already"


def test_an_institution_withdraws_its_own_nomination_only(w: FakeWorld) -> None:
    n = run_to(w, "preliminary_review")
    nominations.nominate(w.svc, "sh", n, [w.experts[0], w.experts[4]])
    nominations.nominate(w.svc, "js", n, [w.experts[1]])
    refused = unchanged(w, n, lambda: nominations.withdraw_nomination(w.svc, "js", n, w.experts[0]), InvalidInput)
    assert (refused.key, refused.field) == ("nomination_missing", "expert")
    nominations.withdraw_nomination(w.svc, "sh", n, w.experts[0])
    assert [x["expert"] for x in w.store.data.cases[n].nominations] == [w.experts[4], w.experts[1]]
    assert stored(w, n)[-1] == "NominationWithdrawn"
    # withdrawn, it may be nominated again
    nominations.nominate(w.svc, "sh", n, [w.experts[0]])


def test_only_liaisons_nominate_and_only_in_preliminary_review(w: FakeWorld) -> None:
    n = run_to(w, "preliminary_review")
    for who in ("auditor", "admin"):
        unchanged(w, n, lambda who=who: nominations.nominate(w.svc, who, n, [w.experts[0]]), NotPermitted)
    # an expert off any panel does not see the case: it answers as a missing one (issue 15)
    unchanged(w, n, lambda: nominations.nominate(w.svc, "x1", n, [w.experts[0]]), NotFound)
    drafted = run_to(w, "drafted")
    from states.errors import InvalidTransition

    unchanged(w, drafted, lambda: nominations.nominate(w.svc, "sh", drafted, [w.experts[0]]), InvalidTransition)


# --- the experts' answers and the dispatch -------------------------------------------------------------------


def test_accepted_answers_let_the_dispatch_go(w: FakeWorld) -> None:
    n = ready(w)
    for i, e in enumerate(w.experts[:3], start=1):
        nominations.respond(w.svc, f"x{i}", n, e, "accept")
    case = w.store.data.cases[n]
    assert case.responses[w.experts[0]]["employer"] == "单位1"  # from the pool when not given
    assert case.responses[w.experts[0]]["relation"] == "none"
    uc.dispatch(w.svc, "sh", n)
    assert w.store.data.cases[n].status == "awaiting_experts"


def test_no_answer_does_not_hold_the_dispatch(w: FakeWorld) -> None:
    """docs/decisions.md: a silent expert is dealt with by T1 and the referral of Art. 8(3)."""
    n = ready(w)
    uc.dispatch(w.svc, "sh", n)


def test_a_declined_expert_blocks_the_dispatch_until_replaced(w: FakeWorld) -> None:
    n = ready(w)
    nominations.respond(w.svc, "x2", n, w.experts[1], "decline", note="出差")
    refused = unchanged(w, n, lambda: uc.dispatch(w.svc, "sh", n), GuardFailed)
    assert (refused.key, refused.field, refused.params["experts"]) == ("panel_expert_declined", "experts",
                                                                       [w.experts[1]])
    uc.form_panel(w.svc, "sh", n, [w.experts[0], w.experts[2], w.experts[3]])
    uc.dispatch(w.svc, "sh", n)


def test_a_declared_conflict_needs_a_reason_to_keep_the_expert(w: FakeWorld) -> None:
    n = ready(w)
    nominations.respond(w.svc, "x1", n, w.experts[0], "accept", relation="related", relation_text="曾任该企业顾问")
    refused = unchanged(w, n, lambda: uc.dispatch(w.svc, "sh", n), GuardFailed)
    assert (refused.key, refused.field) == ("conflict_unresolved", "expert")
    # only the applicant keeps, with a reason, and only an expert who declared a conflict
    unchanged(w, n, lambda: nominations.keep_expert(w.svc, "js", n, w.experts[0], "需要"), NotPermitted)
    assert unchanged(w, n, lambda: nominations.keep_expert(w.svc, "sh", n, w.experts[0], " "),
                     InvalidInput).field == "reason"
    assert unchanged(w, n, lambda: nominations.keep_expert(w.svc, "sh", n, w.experts[1], "需要"),
                     InvalidInput).key == "keep_without_conflict"
    nominations.keep_expert(w.svc, "sh", n, w.experts[0], "顾问关系已于三年前终止，且其专业不可替代")
    uc.dispatch(w.svc, "sh", n)


def test_a_new_declaration_voids_the_reason_recorded_for_the_old_one(w: FakeWorld) -> None:
    n = ready(w)
    nominations.respond(w.svc, "x1", n, w.experts[0], "accept", relation="related", relation_text="持股")
    nominations.keep_expert(w.svc, "sh", n, w.experts[0], "持股极少")
    w.clock.advance(minutes=1)
    nominations.respond(w.svc, "x1", n, w.experts[0], "accept", relation="related", relation_text="任独立董事")
    assert unchanged(w, n, lambda: uc.dispatch(w.svc, "sh", n), GuardFailed).key == "conflict_unresolved"


@pytest.mark.parametrize(("kw", "field"), [
    ({"answer": "maybe"}, "answer"),
    ({"answer": "accept", "employer": " "}, "employer"),
    ({"answer": "accept", "province": ""}, "province"),
    ({"answer": "accept", "relation": "unknown"}, "relation"),
    ({"answer": "accept", "relation": "related", "relation_text": " "}, "relation_text"),
])
def test_a_bad_answer_names_its_field_and_writes_nothing(w: FakeWorld, kw: dict[str, Any], field: str) -> None:
    n = ready(w)
    answer = kw.pop("answer")
    refused = unchanged(w, n, lambda: nominations.respond(w.svc, "x1", n, w.experts[0], answer, **kw), InvalidInput)
    assert refused.field == field


def test_an_expert_answers_only_for_themself_and_only_on_their_panel(w: FakeWorld) -> None:
    n = ready(w)
    unchanged(w, n, lambda: nominations.respond(w.svc, "x1", n, w.experts[1], "accept"), NotPermitted)
    unchanged(w, n, lambda: nominations.respond(w.svc, "sh", n, w.experts[0], "accept"), NotPermitted)
    refused = unchanged(w, n, lambda: nominations.respond(w.svc, "x5", n, w.experts[4], "accept"), NotFound)
    assert refused.key == "case_missing"


def test_an_expert_sees_their_own_declaration_only(w: FakeWorld) -> None:
    n = ready(w)
    nominations.nominate(w.svc, "sh", n, [w.experts[0]])
    nominations.respond(w.svc, "x1", n, w.experts[0], "accept", relation="related", relation_text="持股")
    nominations.respond(w.svc, "x2", n, w.experts[1], "accept")
    seen = uc.show_case(w.svc, "x2", n)
    assert list(seen["responses"]) == [w.experts[1]] and "nominations" not in seen
    assert {e["type"] for e in uc.history(w.svc, "x2", n)} >= {"ExpertResponded"}
    assert all(e["payload"].get("expert") == w.experts[1] for e in uc.history(w.svc, "x2", n)
               if e["type"] == "ExpertResponded")
    assert set(uc.show_case(w.svc, "zj", n)["responses"]) == {w.experts[0], w.experts[1]}


def test_the_applicant_is_told_of_a_decline_and_of_a_conflict(w: FakeWorld) -> None:
    n = ready(w)
    with w.svc.uow(readonly=True) as uow:
        users = uow.users.all()
    case = w.store.data.cases[n]
    declined = dom.respond(case, w.experts[1], "decline", "", "", "none", "", "", "x2", w.clock.now())
    conflict = dom.respond(case, w.experts[0], "accept", "单位1", "SH", "related", "持股", "", "x1",
                           w.clock.now())
    accepted = dom.respond(case, w.experts[2], "accept", "单位3", "ZJ", "none", "", "", "x3", w.clock.now())
    told = notices(case.to_dict(), [declined, conflict, accepted], users)
    assert [(x.kind, x.recipient.name, x.params["expert"]) for x in told] == [
        (DECLINED, "sh", w.experts[1]), (CONFLICT, "sh", w.experts[0])]


# --- the rule, on the bare domain ------------------------------------------------------------------------------

T0 = datetime(2026, 9, 24, 2, 0, tzinfo=UTC)
PANEL = ["E1", "E2", "E3"]
STEP = st.tuples(st.sampled_from(PANEL), st.sampled_from(["accept", "decline", "conflict", "keep"]))


def _opened() -> dom.Case:
    draft = {"product": {"name": "电动自行车"}, "sources": ["complaint"], "basis": {"samr_assignment": "交办"}}
    case, _ = dom.open_case("YRD-2026-0001", "SH", draft, "sh", T0)
    case.status = CaseStatus.preliminary_review  # the panel is set directly: this test is about the answers
    case.panel = list(PANEL)
    return case


@settings(max_examples=150, deadline=None)
@given(st.lists(STEP, max_size=12))
def test_the_dispatch_rule_is_declined_none_and_every_conflict_kept_after_its_declaration(
        steps: list[tuple[str, str]]) -> None:
    """Whatever the answers and keeps in whatever order: the guard lets the dispatch go exactly when no panel
    expert's latest answer is a decline and each one whose latest declaration names a relation was kept after it;
    and the events replay to the same answers."""
    case = _opened()
    events = []
    latest: dict[str, str] = {}
    kept_since: dict[str, bool] = {}
    now = T0
    for expert, what in steps:
        now += timedelta(minutes=1)
        try:
            if what == "keep":
                events.append(dom.keep_expert(case, expert, "专业所需", "sh", now))
                kept_since[expert] = True
            else:
                answer = "decline" if what == "decline" else "accept"
                relation = "related" if what == "conflict" else "none"
                events.append(dom.respond(case, expert, answer, "单位", "SH", relation,
                                          "持股" if relation == "related" else "", "", "x", now))
                latest[expert], kept_since[expert] = what, False
        except InvalidInput as exc:
            assert exc.key == "keep_without_conflict" and latest.get(expert) != "conflict"
    declined = any(v == "decline" for v in latest.values())
    open_conflict = any(v == "conflict" and not kept_since.get(e) for e, v in latest.items())
    try:
        guard_panel_answers(case, Attempt(at=now))
        passes = True
    except GuardFailed:
        passes = False
    assert passes is (not declined and not open_conflict)
    # the fold alone, from the events, gives the same answers (events are facts)
    again = _opened()
    for ev in events:
        dom.apply(again, ev)
    assert again.responses == case.responses and again.kept == case.kept
