"""The use cases on the fake unit of work (no database): a whole consultation from the draft to the archive with
the events it writes, refusals that write nothing, what a person may do now (with the refusal as data), the case
page's one read, and who answers for a case."""

from __future__ import annotations

from typing import Any

import pytest
from fake_world import FakeWorld, case_file, fake_world, opinion, run_to, stored, unchanged

from states.commands import COMMANDS
from states.errors import DomainError, GuardFailed, InvalidInput, InvalidTransition
from workflow import queries
from workflow import usecases as uc
from workflow.errors import NotFound, NotPermitted


@pytest.fixture
def w() -> FakeWorld:
    return fake_world()




def test_a_consultation_from_the_draft_to_the_archive(w: FakeWorld) -> None:
    n = run_to(w, "archived")
    assert stored(w, n) == [
        "CaseOpened", "VerificationRecorded", "CaseSubmitted", "PanelFormed", "MaterialAttached",
        "MaterialsDispatched", "AnalysisRecorded", "AnalysisRecorded", "AnalysisRecorded", "CaseReferred",
        "MeetingScheduled", "CaseConvened", "OpinionRecorded", "OpinionRecorded", "OpinionRecorded", "CaseDecided", "MinutesIssued",
        "CaseArchived",
    ]
    shown = uc.show_case(w.svc, "auditor", n)
    assert (shown["status"], shown["lead"], shown["outcome"]) == ("archived", "JS", "investigate")
    assert shown["retention_until"]
    # The fake calendar knows no holidays: T1 ran out over the National Day week, T2 was met.
    assert [(d["kind"], d["status"]) for d in shown["deadlines"]] == [("expert_analysis", "missed"),
                                                                      ("convening", "met")]
    assert uc.verify_audit(w.svc, "auditor", n) == []


def test_continued_attention_ends_in_a_linked_new_case(w: FakeWorld) -> None:
    n = run_to(w, "convened")
    for i, e in enumerate(w.experts[:3], start=1):
        w.clock.advance(minutes=1)
        uc.record_opinion(w.svc, f"x{i}", n, e, opinion("uncertain", 2, 3))
    assert uc.decide(w.svc, "js", n).status == "continued_attention"
    uc.issue_minutes(w.svc, "js", n)
    uc.track(w.svc, "sh", n, "跟踪记录")
    old, new = uc.reopen(w.svc, "sh", n, "重新会诊")
    assert (old.status, new.status, new.linked_from) == ("archived", "drafted", n)
    assert stored(w, new.number) == ["CaseOpened"]
    assert stored(w, n)[-1] == "CaseReopened"


def test_refusals_write_nothing(w: FakeWorld) -> None:
    n = run_to(w, "preliminary_review")
    assert unchanged(w, n, lambda: uc.dispatch(w.svc, "js", n), NotPermitted).key == "command_not_permitted"
    assert unchanged(w, n, lambda: uc.dispatch(w.svc, "nobody", n), NotPermitted).key == "user_unknown"
    assert unchanged(w, n, lambda: uc.dispatch(w.svc, "system", n), NotPermitted).key == "user_unknown"
    unchanged(w, n, lambda: uc.dispatch(w.svc, "sh", n), GuardFailed)  # no panel
    unchanged(w, n, lambda: uc.convene(w.svc, "js", n), InvalidTransition)
    bad = unchanged(w, n, lambda: uc.form_panel(w.svc, "sh", n, ["E0099"]), InvalidInput)
    assert (bad.key, bad.field, bad.params["expert"]) == ("expert_unknown", "experts", "E0099")
    big = unchanged(w, n, lambda: uc.attach(w.svc, "sh", n, "../", b"x"), InvalidInput)
    assert big.field == "file"
    with pytest.raises(NotFound):
        uc.submit(w.svc, "sh", "YRD-2026-9999")


def test_submit_without_the_verification_is_refused_and_writes_nothing(w: FakeWorld) -> None:
    n = run_to(w, "drafted")
    refused = unchanged(w, n, lambda: uc.submit(w.svc, "sh", n), GuardFailed)
    assert refused.key == "verification_missing"
    assert "verify" in {a["action"] for a in queries.available_actions(w.svc, "sh", n)}
    uc.verify(w.svc, "sh", n, "核实无误")
    assert uc.submit(w.svc, "sh", n).status == "preliminary_review"


def test_a_joint_decision_is_submitted_once_another_institution_concurs(w: FakeWorld) -> None:
    """Art. 4(3): the other institutions' liaisons see the draft (docs/decisions.md), one of them concurs."""
    w.clock.set("2026-09-24T10:00:00+08:00")
    data = case_file()
    data["product"]["production_province"] = data["product"]["registered_province"]
    data["basis"] = {"joint_decision": "长三角联席会议 2026 年第 3 次会议决定"}
    n = uc.new_case(w.svc, "sh", data).number
    uc.verify(w.svc, "sh", n, "核实无误")
    refused = unchanged(w, n, lambda: uc.submit(w.svc, "sh", n), GuardFailed)
    assert (refused.key, refused.field) == ("concurrence_missing", "basis.joint_decision")
    assert n in [c["number"] for c in uc.list_cases(w.svc, "zj")]
    assert "concur" in {a["action"] for a in queries.available_actions(w.svc, "zj", n)}
    unchanged(w, n, lambda: uc.concur(w.svc, "sh", n, "自己同意"), NotPermitted)
    assert unchanged(w, n, lambda: uc.concur(w.svc, "zj", n, "  "), InvalidInput).field == "note"
    uc.concur(w.svc, "zj", n, "浙江同意共同开展")
    assert uc.submit(w.svc, "sh", n).status == "preliminary_review"
    assert stored(w, n) == ["CaseOpened", "VerificationRecorded", "ConcurrenceRecorded", "CaseSubmitted"]
    assert uc.show_case(w.svc, "auditor", n)["concurrences"][0]["institution"] == "ZJ"
    assert uc.verify_audit(w.svc, "auditor", n) == []


def test_someone_else_acting_first_is_a_conflict(w: FakeWorld) -> None:
    n = run_to(w, "convening")
    uc.convene(w.svc, "js", n)
    again = unchanged(w, n, lambda: uc.convene(w.svc, "js", n), DomainError)
    assert again.code == "conflict" and again.key == "already_done" and again.params["by"] == "js"


def test_an_expert_records_only_their_own_work(w: FakeWorld) -> None:
    n = run_to(w, "awaiting_experts")
    refused = unchanged(w, n, lambda: uc.record_analysis(w.svc, "x1", n, w.experts[1], "分析"), NotPermitted)
    assert refused.key == "not_own_record" and refused.params["expert"] == w.experts[1]
    uc.record_analysis(w.svc, "x1", n, w.experts[0], "分析")


def test_available_actions_come_from_the_catalogue_with_the_refusal_as_data(w: FakeWorld) -> None:
    n = run_to(w, "preliminary_review")
    actions = {a["action"]: a for a in queries.available_actions(w.svc, "sh", n)}
    assert set(actions) == {"verify", "form_panel", "nominate", "attach", "dispatch", "withdraw"}
    dispatch = actions["dispatch"]
    assert set(dispatch) == {"action", "blocked", "blocked_error", "needs_reason", "reason_optional"}
    assert dispatch["blocked"] and dispatch["blocked_error"]["key"]
    assert set(dispatch["blocked_error"]) == {"key", "field", "params"}
    assert actions["withdraw"] == {"action": "withdraw", "blocked": None, "blocked_error": None,
                                   "needs_reason": True, "reason_optional": False}
    # the lead has nothing of its own to do yet; as a member institution it may nominate (Art. 8(1))
    assert [a["action"] for a in queries.available_actions(w.svc, "js", n)] == ["nominate"]
    assert stored(w, n) == ["CaseOpened", "VerificationRecorded", "CaseSubmitted"]  # the dry runs wrote nothing


def test_a_referral_s_reason_is_offered_when_analyses_are_missing(w: FakeWorld) -> None:
    n = run_to(w, "awaiting_experts")
    refer = next(a for a in queries.available_actions(w.svc, "sh", n) if a["action"] == "refer")
    assert refer["reason_optional"] and refer["blocked"]  # T1 has not run out and analyses are missing
    assert refer["blocked_error"]["key"] != "invalid_transition"


def test_the_case_actions_follow_the_catalogue_order() -> None:
    order = list(COMMANDS)
    assert list(queries.case_actions()) == sorted(queries.case_actions(), key=order.index)
    assert {"record_delivery", "recompute_deadlines", "place_hold"}.isdisjoint(queries.case_actions())
    assert queries.needs_reason() == {"withdraw", "conclude", "reopen"}


CASE_PAGE_KEYS = {"case", "deadlines", "panel", "events", "actions", "action_names", "fees", "pool", "staff",
                  "retention", "choices", "members", "custodians"}


def test_the_case_page_is_one_read(w: FakeWorld) -> None:
    n = run_to(w, "preliminary_review")
    opened = w.store.opened
    page = queries.case_page(w.svc, "sh", n)
    assert w.store.opened == opened + 1
    assert set(page) == CASE_PAGE_KEYS
    assert page["case"] == uc.show_case(w.svc, "sh", n)
    assert page["events"] == uc.history(w.svc, "sh", n)
    assert page["actions"] == queries.available_actions(w.svc, "sh", n)
    assert page["panel"] == queries.panel_of(w.svc, "sh", n)
    assert page["pool"] == uc.list_experts(w.svc, "sh")  # the applicant may form the panel now
    assert page["staff"] == [] and page["fees"] == [] and page["retention"] is None


def test_the_case_page_of_a_closed_case_for_an_expert(w: FakeWorld) -> None:
    n = run_to(w, "archived")
    page = queries.case_page(w.svc, "x1", n)
    assert page["actions"] == [] and page["pool"] == []
    assert page["retention"] is not None and page["case"]["retention_until"]
    with pytest.raises(NotFound):
        queries.case_page(w.svc, "x5", n)  # not on the panel: answered as a missing case (issue 15)


def test_who_answers_for_a_case_follows_the_deadline_table(w: FakeWorld) -> None:
    n = run_to(w, "awaiting_experts")
    assert queries.responsible(uc.show_case(w.svc, "auditor", n)) == "SH"  # T1: the applicant answers
    n = run_to(w, "convening")
    assert queries.responsible(uc.show_case(w.svc, "auditor", n)) == "JS"  # T2: the lead
    n = run_to(w, "convened")
    for i, e in enumerate(w.experts[:3], start=1):
        uc.record_opinion(w.svc, f"x{i}", n, e, opinion("uncertain", 2, 3))
    uc.decide(w.svc, "js", n)
    # Continued attention before the minutes: the tracking deadline runs, so the applicant answers for it (as its
    # reminders say), not the lead that still owes the minutes.
    assert queries.responsible(uc.show_case(w.svc, "auditor", n)) == "SH"
    n = run_to(w, "decided")
    assert queries.responsible(uc.show_case(w.svc, "auditor", n)) == "JS"  # no deadline: the state says


def test_messages_below_the_shell_name_no_flag(w: FakeWorld) -> None:
    with pytest.raises(InvalidInput) as refused:
        uc.add_user(w.svc, "admin", "new", "liaison")
    assert (refused.value.key, refused.value.field) == ("liaison_needs_institution", "institution")
    assert "--" not in refused.value.message


def test_a_new_reason_only_row_appears_among_the_actions_with_its_dry_run(w: FakeWorld, monkeypatch: Any) -> None:
    """A catalogue row and its step are all "what may this person do now" needs: no table to extend."""
    from states.commands import APPLICANT, REASON_REQUIRED, Command
    from states.status import CaseStatus
    from workflow import services

    row = Command("remind_panel", "PanelReminded", (CaseStatus.awaiting_experts,), who=frozenset({APPLICANT}),
                  reason=REASON_REQUIRED, simple=True)
    monkeypatch.setitem(COMMANDS, row.name, row)

    def step(d: services.Doing, case: Any) -> list[Any]:
        if len(case.analyses) < len(case.panel):
            raise GuardFailed(f"{case.number}: analyses are missing", key="analyses_missing",
                              missing=[e for e in case.panel if e not in case.analyses])
        return []

    monkeypatch.setitem(services.REASON_STEPS, row.name, step)
    n = run_to(w, "awaiting_experts")
    found = next(a for a in queries.available_actions(w.svc, "sh", n) if a["action"] == "remind_panel")
    assert found["needs_reason"] and found["blocked_error"] == {
        "key": "analyses_missing", "field": None, "params": {"missing": w.experts[:3]}}
    assert not any(a["action"] == "remind_panel" for a in queries.available_actions(w.svc, "js", n))
    assert "remind_panel" not in {a["action"] for a in queries.available_actions(w.svc, "sh", run_to(w, "convening"))}
