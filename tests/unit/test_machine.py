"""The state machine (states/machine.py) and the case's commands (states/casecommands.py), without a database."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings, target
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from states import case as dom
from states.case import Case, Deadline, Event, replay
from states.errors import DomainError, GuardFailed, InvalidInput, InvalidTransition
from states.events import UnreadableEvent
from states.guards import Attempt
from states.machine import TABLE, TRIGGERS, allowed_triggers, fire, mermaid
from states.status import CaseStatus, Outcome

S = CaseStatus
ACTOR = "sh-liaison"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
CALENDAR_DAYS = {"expert_analysis": 3, "convening": 5, "tracking": 20}


def plan(kind: str, start_at: datetime, deadline_id: str) -> Deadline:
    """A fake DeadlinePlanner: N calendar days (this tests the machine, not the calendar)."""
    n = CALENDAR_DAYS[kind]
    due = start_at + timedelta(days=n)
    return Deadline(id=deadline_id, kind=kind, start_at=start_at, working_days=n, due_at=due,
                    due_date=due.date().isoformat(), calendar_version="test", provisional=False,
                    explanation=f"{n} calendar days")


def draft(**product: Any) -> dict[str, Any]:
    base = {
        "name": "儿童电动滑板车", "model": "KS-200", "brand": "酷速", "producer": "某某智能科技有限公司",
        "registered_province": "SH", "production_province": "ZJ", "test_basis": "GB/T 40019-2021",
        "report_numbers": ["SH-2026-JC-0815"], "suspected_defect": "折叠机构锁止销可能脱出",
    }
    base.update(product)
    return {"product": base, "sources": ["spot_check"], "source_other": "", "basis": {}}


def opinion(kind: str) -> dict[str, Any]:
    """An opinion mapping whose derived conclusions are: investigate | attention | uncertain (defect uncertain,
    attention through public-opinion risk)."""
    yes = {"answer": True, "detail": "x"}
    no = {"answer": False, "detail": ""}
    data: dict[str, Any] = {
        "standard_noncompliance": yes, "nonstandard_danger": no, "no_standard_danger": no,
        "injury_types": {"physical": "摔伤", "chemical": None, "biological": None},
        "severity": 4, "likelihood": 8,
        "producer_cause": {"design": True, "manufacturing": False, "warning": False},
        "universality": "yes", "similar_recall": no, "public_opinion_risk": no,
    }
    if kind == "attention":
        data.update(severity=1, likelihood=1, universality="no")
    elif kind == "uncertain":
        data.update(severity=1, likelihood=1, universality="uncertain", public_opinion_risk=yes)
    elif kind == "invalid":
        data.update(likelihood=9)
    return data


PANEL = ["E1", "E2", "E3"]


class Flow:
    """One case driven through commands, keeping its events and a clock that only moves forward."""

    def __init__(self, draft_data: dict[str, Any] | None = None, number: str = "YRD-2026-0001") -> None:
        self.now = T0
        self.case, ev = dom.open_case(number, "SH", draft() if draft_data is None else draft_data, ACTOR,
                                      self.now)
        self.events: list[Event] = [ev]

    def tick(self, delta: timedelta = timedelta(hours=1)) -> datetime:
        self.now += delta
        return self.now

    def do(self, trigger: str, **kw: Any) -> Any:
        before = self.case.to_dict()
        out = COMMANDS[trigger](self.case, self.tick(), **kw)
        ev = out[0] if isinstance(out, tuple) else out
        self.events.append(ev)
        check_changes(trigger, before, self.case.to_dict())
        return out

    def run(self, *triggers: str) -> Flow:
        for t in triggers:
            self.do(t)
        return self


def _schedule(case: Case, now: datetime) -> Event:
    return dom.schedule_meeting(case, now + timedelta(days=1), "腾讯会议", None,
                                [{"institution": "SH", "name": "张三"}], list(case.panel), ACTOR, now)


# Every trigger of the table, as the domain command that fires it (with plausible inputs).
COMMANDS: dict[str, Callable[..., Any]] = {
    "edit": lambda c, now, data=None: dom.edit(c, data or draft(), ACTOR, now),
    "submit": lambda c, now: dom.submit(c, "SH", ACTOR, now),
    "verify": lambda c, now, note="初步核实：符合会诊条件": dom.verify(c, note, ACTOR, now),
    "concur": lambda c, now, institution="ZJ": dom.concur(c, institution, "同意共同开展", "zj", now),
    "form_panel": lambda c, now, experts=None, reason="": dom.form_panel(
        c, list(PANEL if experts is None else experts), reason, ACTOR, now),
    "nominate": lambda c, now, experts=("E9",), institution="SH": dom.nominate(
        c, institution, list(experts), {"E9": "SH", "E8": "JS"}, "", ACTOR, now),
    "withdraw_nomination": lambda c, now, expert="E9", institution="SH": dom.withdraw_nomination(
        c, institution, expert, ACTOR, now),
    "respond": lambda c, now, expert="E1", answer="accept", relation="none": dom.respond(
        c, expert, answer, "单位", "SH", relation, "持股" if relation == "related" else "", "", ACTOR, now),
    "keep_expert": lambda c, now, expert="E1", reason="专业所需": dom.keep_expert(c, expert, reason, ACTOR, now),
    "attach": lambda c, now: dom.attach(c, "a" * 64, "report.pdf", "test_report", 1024, ACTOR, now),
    "dispatch": lambda c, now: dom.dispatch(c, ACTOR, now, plan),
    "record_analysis": lambda c, now, expert="E1": dom.record_analysis(c, expert, "初步分析意见", ACTOR, now),
    "chase": lambda c, now, expert="E2", note="请尽快": dom.chase(c, expert, note, ACTOR, now),
    "refer": lambda c, now, reason="": dom.refer(c, reason, ACTOR, now, plan),
    "schedule": _schedule,
    "cancel_meeting": lambda c, now: dom.cancel_meeting(c, "改期", ACTOR, now),
    "convene": lambda c, now: dom.convene(c, ACTOR, now),
    "record_opinion": lambda c, now, expert="E1", kind="investigate": dom.record_opinion(
        c, expert, opinion(kind), ACTOR, now),
    "record_absence": lambda c, now, expert="E1", reason="出差": dom.record_absence(c, expert, reason, ACTOR, now),
    "decide": lambda c, now: dom.decide(c, ACTOR, now, plan),
    "issue_minutes": lambda c, now: dom.issue_minutes(c, {"document_number": "长三角会诊〔2026〕1号"}, ACTOR, now),
    "track": lambda c, now: dom.track(c, "企业已整改", ACTOR, now, plan),
    "archive": lambda c, now: dom.archive(c, ACTOR, now),
    "conclude": lambda c, now, reason="跟踪结束": dom.conclude(c, reason, ACTOR, now),
    "reopen": lambda c, now, reason="新证据": dom.reopen(c, reason, "YRD-2026-0002", ACTOR, now),
    "withdraw": lambda c, now, reason="申请撤回": dom.withdraw(c, reason, ACTOR, now),
    "recompute_deadlines": lambda c, now: dom.recompute_deadlines(c, [], "日历更新", ACTOR, now),
    "record_delivery": lambda c, now: dom.record_delivery(c, "minutes", "JS", "email", "k-1", ACTOR, now),
    # the yearly account (issue 6): fees once the panel has the materials, disposal on closed cases
    "record_fee": lambda c, now: dom.record_fee(c, c.panel[0] if c.panel else "E1", Decimal("1500.00"), None,
                                                ACTOR, now, now.date()),
    "correct_fee": lambda c, now: dom.correct_fee(c, c.panel[0] if c.panel else "E1", Decimal("1600.00"), None,
                                                  "更正", ACTOR, now, now.date()),
    "appraise_disposal": lambda c, now: dom.appraise_disposal(c, "王主任", "保管期满，同意销毁", ACTOR, now),
    "place_hold": lambda c, now: dom.place_hold(c, "诉讼保全", ACTOR, now),
    "release_hold": lambda c, now: dom.release_hold(c, "诉讼结束", ACTOR, now),
    # the meeting's records and the minutes as a draft (issue 12, Art. 8(4)–(7))
    "record_attendance": lambda c, now: dom.record_attendance(c, "SH", ["张三"], False, ["SH", "JS", "ZJ", "AH"],
                                                              ACTOR, now),
    "record_statement": lambda c, now: dom.record_statement(c, c.panel[0] if c.panel else "E1", "发言", None,
                                                            ACTOR, now),
    "draft_minutes": lambda c, now: dom.draft_minutes(c, {"summary": "讨论情况"}, ACTOR, now),
    "correct_minutes": lambda c, now: dom.correct_minutes(c, {"summary": "更正后的讨论情况"}, "笔误", ACTOR, now),
}

# What each command may change in the case's stored shape (besides its version), written from DOMAIN.md.
CLOSING = {"status", "closing_reason", "closed_at", "deadlines"}
CHANGES: dict[str, set[str]] = {
    "edit": {"product", "sources", "source_other", "basis", "cross_province"},
    "submit": {"status", "lead", "submitted_at"},
    "verify": {"verification"},
    "concur": {"concurrences"},
    "form_panel": {"panel", "panel_reason"},
    "nominate": {"nominations"},
    "withdraw_nomination": {"nominations"},
    "respond": {"responses", "kept"},
    "keep_expert": {"kept"},
    "attach": {"materials"},
    "dispatch": {"status", "deadlines"},
    "record_analysis": {"analyses"},
    "chase": {"chases"},
    "refer": {"status", "refer_reason", "deadlines"},
    "schedule": {"meeting"},
    "cancel_meeting": {"meeting"},
    "convene": {"status", "convened_at", "deadlines"},
    "record_opinion": {"opinions"},
    "record_absence": {"absences"},
    "decide": {"status", "outcome", "tally", "conclusions", "decided_at", "deadlines"},
    "issue_minutes": {"minutes"},
    "track": {"tracking", "deadlines"},
    "archive": CLOSING,
    "conclude": CLOSING,
    "reopen": CLOSING | {"linked_to"},
    "withdraw": CLOSING,
    "recompute_deadlines": {"deadlines"},
    "record_delivery": {"deliveries"},
    "record_fee": {"fees"},
    "correct_fee": {"fees"},
    "appraise_disposal": {"retention"},
    "place_hold": {"retention"},
    "release_hold": {"retention"},
    "record_attendance": {"attendance"},
    "record_statement": {"statements"},
    "draft_minutes": {"minutes_draft"},
    "correct_minutes": {"minutes_corrections"},
}


def check_changes(trigger: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    assert after["version"] == before["version"] + 1
    changed = {k for k in before if before[k] != after[k]} - {"version"}
    assert changed <= CHANGES[trigger], f"{trigger} changed {sorted(changed - CHANGES[trigger])}"
    if "status" not in CHANGES[trigger]:
        assert after["status"] == before["status"]


TO_PRELIMINARY = ("verify", "submit")  # Art. 7: verified before the application
TO_AWAITING = TO_PRELIMINARY + ("form_panel", "attach", "dispatch")


def flow_in(state: CaseStatus) -> Flow:
    """A case brought to `state` along the regulation's path."""
    f = Flow()
    if state is S.drafted:
        return f
    if state is S.withdrawn:
        return f.run("withdraw")
    if state is S.preliminary_review:
        return f.run(*TO_PRELIMINARY)
    f.run(*TO_AWAITING)
    if state is S.awaiting_experts:
        return f
    for e in PANEL:
        f.do("record_analysis", expert=e)
    f.run("refer")
    if state is S.convening:
        return f
    f.run("schedule", "convene")
    if state is S.convened:
        return f
    kind = "attention" if state is S.continued_attention else "investigate"
    for e in PANEL:
        f.do("record_opinion", expert=e, kind=kind)
    f.run("decide")
    if state in (S.decided, S.continued_attention):
        return f
    assert state is S.archived
    return f.run("issue_minutes", "archive")


# --- which trigger exists in which state (hand-written from DOMAIN.md's lifecycle and machine.TABLE) ---------
EVERYWHERE_OPEN = {"recompute_deadlines", "record_delivery"}
FEES = {"record_fee", "correct_fee"}  # once the panel has the materials (Art. 10), also after closing
DISPOSAL = {"appraise_disposal", "place_hold", "release_hold"}  # closed cases only (Art. 9)
MEETING = {"record_attendance", "record_statement"}  # Art. 8(4)–(5): from the meeting until the minutes are issued
MINUTES = {"draft_minutes", "correct_minutes"}  # Art. 8(7): edited before issuing, corrected after
EXPECTED: dict[CaseStatus, set[str]] = {
    S.drafted: {"edit", "verify", "concur", "submit", "attach", "withdraw"} | EVERYWHERE_OPEN,
    S.preliminary_review: {"verify", "form_panel", "nominate", "withdraw_nomination", "respond", "keep_expert",
                           "attach", "dispatch", "withdraw"} | EVERYWHERE_OPEN,
    S.awaiting_experts: {"attach", "respond", "keep_expert", "record_analysis", "chase", "refer", "withdraw"}
    | EVERYWHERE_OPEN | FEES,
    S.convening: {"attach", "schedule", "cancel_meeting", "convene"} | EVERYWHERE_OPEN | FEES,
    S.convened: {"attach", "record_opinion", "record_absence", "decide"} | EVERYWHERE_OPEN | FEES | MEETING,
    S.decided: {"issue_minutes", "archive"} | EVERYWHERE_OPEN | FEES | MEETING | MINUTES,
    S.continued_attention: {"issue_minutes", "track", "conclude", "reopen"} | EVERYWHERE_OPEN | FEES | MEETING
    | MINUTES,
    S.archived: {"record_delivery"} | FEES | DISPOSAL,
    S.withdrawn: FEES | DISPOSAL,
}
CLOSED_TRIGGERS = {"record_delivery"} | FEES | DISPOSAL
PAIRS = [(s, t) for s in CaseStatus for t in TRIGGERS]


def test_the_tables_cover_every_state_and_trigger() -> None:
    assert set(EXPECTED) == set(CaseStatus)
    assert set(COMMANDS) == set(TRIGGERS)
    assert set().union(*EXPECTED.values()) == set(TRIGGERS)


@pytest.mark.parametrize("state", list(CaseStatus))
def test_flow_in_reaches_the_state(state: CaseStatus) -> None:
    f = flow_in(state)
    assert f.case.status is state
    assert f.case.version == len(f.events)


@pytest.mark.parametrize(("state", "trigger"), PAIRS)
def test_allowed_triggers_match_the_lifecycle(state: CaseStatus, trigger: str) -> None:
    assert (trigger in allowed_triggers(state)) is (trigger in EXPECTED[state])


@pytest.mark.parametrize(("state", "trigger"), [(s, t) for s, t in PAIRS if t not in EXPECTED[s]])
def test_a_trigger_that_does_not_exist_is_refused_and_changes_nothing(state: CaseStatus, trigger: str) -> None:
    f = flow_in(state)
    before = f.case.to_dict()
    with pytest.raises(InvalidTransition) as info:
        COMMANDS[trigger](f.case, f.tick())
    assert f.case.to_dict() == before
    assert f.case.status is state
    assert f.case.number in info.value.message and str(state) in info.value.message
    assert trigger.replace("_", " ") in info.value.message
    assert info.value.key == "not_in_this_state"
    # the machine itself refuses too, whatever the attempt says
    probe = copy.deepcopy(f.case)
    with pytest.raises(InvalidTransition):
        fire(probe, trigger, Attempt(at=f.tick(), reason="r", outcome="investigate"))
    assert probe.to_dict() == before


@pytest.mark.parametrize(("state", "trigger"), [(s, t) for s, t in PAIRS if t in EXPECTED[s]])
def test_a_trigger_that_exists_is_not_refused_as_a_transition(state: CaseStatus, trigger: str) -> None:
    f = flow_in(state)
    try:
        COMMANDS[trigger](f.case, f.tick())
    except InvalidTransition as exc:
        pytest.fail(f"{trigger} refused as a transition in {state}: {exc}")
    except (GuardFailed, InvalidInput):
        pass  # a rule of the regulation may still say no: that is the guards' business


# Each command given inputs it would refuse anyway: in a state where it does not exist, the state is named first.
BAD_INPUTS: dict[str, Callable[[Case, datetime], Any]] = {
    "verify": lambda c, now: dom.verify(c, " ", ACTOR, now),
    "form_panel": lambda c, now: dom.form_panel(c, ["E1"], "", ACTOR, now),
    "record_analysis": lambda c, now: dom.record_analysis(c, "E9", " ", ACTOR, now),
    "record_opinion": lambda c, now: dom.record_opinion(c, "E9", {"severity": 0}, ACTOR, now),
    "record_absence": lambda c, now: dom.record_absence(c, "E9", " ", ACTOR, now),
    "chase": lambda c, now: dom.chase(c, "E9", "", ACTOR, now),
    "track": lambda c, now: dom.track(c, " ", ACTOR, now, plan),
    "schedule": lambda c, now: dom.schedule_meeting(c, now.replace(tzinfo=None), " ", None, [], ["E9"], ACTOR,
                                                    now),
    "cancel_meeting": lambda c, now: dom.cancel_meeting(c, "", ACTOR, now),
    "issue_minutes": lambda c, now: dom.issue_minutes(c, {}, ACTOR, now),
    "conclude": lambda c, now: dom.conclude(c, " ", ACTOR, now),
    "reopen": lambda c, now: dom.reopen(c, " ", "", ACTOR, now),
    "withdraw": lambda c, now: dom.withdraw(c, " ", ACTOR, now),
    "recompute_deadlines": lambda c, now: dom.recompute_deadlines(
        c, [(f"{c.number}/D1", plan("expert_analysis", now, f"{c.number}/D9"))], "日历更新", ACTOR, now),
    "record_fee": lambda c, now: dom.record_fee(c, "E9", Decimal("1"), None, ACTOR, now, now.date()),
    "correct_fee": lambda c, now: dom.correct_fee(c, "E9", None, None, " ", ACTOR, now, now.date()),
    "appraise_disposal": lambda c, now: dom.appraise_disposal(c, " ", " ", ACTOR, now),
    "place_hold": lambda c, now: dom.place_hold(c, " ", ACTOR, now),
    "release_hold": lambda c, now: dom.release_hold(c, " ", ACTOR, now),
    "record_attendance": lambda c, now: dom.record_attendance(c, "XX", [], False, ["SH"], ACTOR, now),
    "record_statement": lambda c, now: dom.record_statement(c, "E9", " ", None, ACTOR, now),
    "draft_minutes": lambda c, now: dom.draft_minutes(c, {}, ACTOR, now),
    "correct_minutes": lambda c, now: dom.correct_minutes(c, {}, " ", ACTOR, now),
}


@pytest.mark.parametrize(("state", "trigger"), [(s, t) for s, t in PAIRS if t in BAD_INPUTS and t not in EXPECTED[s]])
def test_the_state_is_checked_before_the_inputs(state: CaseStatus, trigger: str) -> None:
    f = flow_in(state)
    before = f.case.to_dict()
    with pytest.raises(InvalidTransition):
        BAD_INPUTS[trigger](f.case, f.tick())
    assert f.case.to_dict() == before


def test_terminal_states() -> None:
    """A closed case only takes history: deliveries of the minutes, fees, and its disposal record."""
    assert allowed_triggers(S.archived) == ["record_delivery", "record_fee", "correct_fee", "appraise_disposal",
                                            "place_hold", "release_hold"]
    assert allowed_triggers(S.withdrawn) == ["record_fee", "correct_fee", "appraise_disposal", "place_hold",
                                             "release_hold"]


# --- the diagram --------------------------------------------------------------------------------------------

TRANSITIONS = {
    ("drafted", "preliminary_review", "submit"),
    ("preliminary_review", "awaiting_experts", "dispatch"),
    ("awaiting_experts", "convening", "refer"),
    ("convening", "convened", "convene"),
    ("convened", "decided", "decide"),
    ("convened", "continued_attention", "decide"),
    ("decided", "archived", "archive"),
    ("continued_attention", "archived", "conclude"),
    ("continued_attention", "archived", "reopen"),
    ("drafted", "withdrawn", "withdraw"),
    ("preliminary_review", "withdrawn", "withdraw"),
    ("awaiting_experts", "withdrawn", "withdraw"),
}


def test_the_table_moves_exactly_as_the_lifecycle_says() -> None:
    moves = set()
    for row in TABLE:
        if row["dest"] is None:
            continue
        moves |= {(str(s), str(row["dest"]), row["trigger"]) for s in row["source"]}
    assert moves == TRANSITIONS


def test_mermaid_shows_every_transition_and_no_internal_trigger() -> None:
    text = mermaid()
    lines = text.splitlines()
    assert lines[0] == "stateDiagram-v2"
    assert "    [*] --> drafted" in lines
    for src, dest, trigger in TRANSITIONS:
        assert f"    {src} --> {dest}: {trigger}" in lines
    internal = {row["trigger"] for row in TABLE if row["dest"] is None}
    for line in lines:
        if ": " in line:
            assert line.rsplit(": ", 1)[1] not in internal
    assert sum(1 for line in lines if ": " in line) == len(TRANSITIONS)
    assert "    archived --> [*]" in lines and "    withdrawn --> [*]" in lines


# --- guards -------------------------------------------------------------------------------------------------


def refused(f: Flow, trigger: str, error: type[DomainError] = GuardFailed, **kw: Any) -> str:
    before = f.case.to_dict()
    with pytest.raises(error) as info:
        COMMANDS[trigger](f.case, f.tick(), **kw)
    assert f.case.to_dict() == before
    return info.value.message


def test_submit_needs_an_art4_basis() -> None:
    same = draft(registered_province="SH", production_province="SH")
    f = Flow(same)
    msg = refused(f, "submit")
    assert "Art. 4" in msg
    assert f.case.status is S.drafted


@pytest.mark.parametrize("basis", ["samr_assignment", "joint_decision"])
def test_submit_with_a_samr_assignment_or_joint_decision(basis: str) -> None:
    data = draft(registered_province="SH", production_province="SH")
    data["basis"] = {basis: "市监质监函〔2026〕12号"}
    f = Flow(data).run("verify")
    if basis == "joint_decision":  # Art. 4(3): another institution concurs first
        f.run("concur")
    f.run("submit")
    assert f.case.status is S.preliminary_review
    assert f.case.lead == "SH"
    assert f.case.submitted_at == f.now


def test_submit_cross_province_alone_is_a_basis() -> None:
    f = Flow().run("verify", "submit")
    assert f.case.cross_province and f.case.status is S.preliminary_review


@pytest.mark.parametrize("field", ["name", "model", "brand", "producer", "registered_province",
                                   "production_province", "test_basis", "report_numbers", "suspected_defect"])
def test_submit_names_the_missing_product_field(field: str) -> None:
    data = draft(**{field: [] if field == "report_numbers" else ""})
    data["basis"] = {"joint_decision": "四方商定"}
    msg = refused(Flow(data), "submit")
    assert "product section is incomplete" in msg
    assert f"product.{field}" in msg


def test_submit_names_missing_sources() -> None:
    data = draft()
    data["sources"] = []
    assert "sources missing" in refused(Flow(data), "submit")
    data["sources"] = ["other"]
    assert "source_other missing" in refused(Flow(data), "submit")
    data["source_other"] = "消费者投诉"
    assert Flow(data).run("verify", "submit").case.status is S.preliminary_review


def test_an_edit_can_complete_the_draft() -> None:
    f = Flow(draft(brand=""))
    refused(f, "submit")
    f.do("edit", data=draft())
    f.run("verify", "submit")
    assert f.case.product["brand"] == "酷速"


def test_submit_needs_the_verification_first() -> None:
    """Art. 7: "申请前…应当进行过初步核实判断": the draft is verified before it is submitted."""
    f = Flow()
    with pytest.raises(GuardFailed) as info:
        dom.submit(f.case, "SH", ACTOR, f.tick())
    assert info.value.key == "verification_missing"
    assert f.case.status is S.drafted and f.case.verification is None
    f.run("verify", "submit")
    assert f.case.status is S.preliminary_review
    assert f.case.verification is not None and f.case.verification["note"] == "初步核实：符合会诊条件"


def joint_draft() -> dict[str, Any]:
    data = draft(registered_province="SH", production_province="SH")
    data["basis"] = {"joint_decision": "长三角联席会议 2026 年第 3 次会议决定"}
    return data


def test_a_joint_decision_alone_needs_another_institution_s_concurrence() -> None:
    """Art. 4(3): "各省（市）召回技术机构认为有必要共同开展": not one institution alone."""
    f = Flow(joint_draft()).run("verify")
    assert f.case.joint_only()
    with pytest.raises(GuardFailed) as info:
        dom.submit(f.case, "SH", ACTOR, f.tick())
    assert (info.value.key, info.value.field) == ("concurrence_missing", "basis.joint_decision")
    with pytest.raises(InvalidInput) as bad:
        dom.concur(f.case, "SH", "自己同意", ACTOR, f.tick())
    assert bad.value.key == "concurrence_own_institution"
    with pytest.raises(InvalidInput) as empty:
        dom.concur(f.case, "ZJ", "  ", ACTOR, f.tick())
    assert (empty.value.key, empty.value.field) == ("note_empty", "note")
    f.run("concur")
    with pytest.raises(InvalidInput) as again:
        dom.concur(f.case, "ZJ", "再次同意", ACTOR, f.tick())
    assert again.value.key == "concurrence_already_recorded"
    f.run("submit")
    assert f.case.status is S.preliminary_review
    assert [(c["institution"], c["by"]) for c in f.case.concurrences] == [("ZJ", "zj")]
    assert replay(f.events).to_dict() == f.case.to_dict()


@pytest.mark.parametrize("basis", [{"samr_assignment": "市监质监函〔2026〕12号", "joint_decision": "决定"}, None])
def test_no_concurrence_when_the_joint_decision_is_not_the_only_basis(basis: dict[str, str] | None) -> None:
    data = draft()  # cross-province
    if basis is not None:
        data = draft(registered_province="SH", production_province="SH")
        data["basis"] = basis
    f = Flow(data).run("verify")
    assert not f.case.joint_only()
    assert refused(f, "concur") and f.case.concurrences == []
    f.run("submit")
    assert f.case.status is S.preliminary_review


def test_verification_added_to_in_preliminary_review_keeps_the_first() -> None:
    f = Flow().run("verify", "submit")
    f.do("verify", note="补充：另有两起同型号投诉")
    assert f.case.verification is not None
    assert f.case.verification["note"] == "初步核实：符合会诊条件"
    assert [a["note"] for a in f.case.verification["additions"]] == ["补充：另有两起同型号投诉"]
    assert [e.payload["addition"] for e in f.events if e.type == "VerificationRecorded"] == [False, True]
    assert replay(f.events).to_dict() == f.case.to_dict()


def test_a_case_submitted_before_its_verification_under_the_earlier_order_replays_and_dispatches() -> None:
    """Stored cases of the earlier release were submitted, then verified (version 1 payloads, no "addition"):
    events are facts, so they replay; such a case still in review verifies and dispatches."""
    f = Flow()
    old = [Event("CaseSubmitted", {"lead": "SH"}, ACTOR, f.tick()),
           Event("VerificationRecorded", {"note": "核实无误"}, ACTOR, f.tick(), 1),
           Event("VerificationRecorded", {"note": "核实无误（更新）"}, ACTOR, f.tick(), 1)]
    for ev in old:
        dom.apply(f.case, ev)
        f.events.append(ev)
    assert f.case.status is S.preliminary_review
    assert f.case.verification is not None and f.case.verification["note"] == "核实无误（更新）"
    assert "additions" not in f.case.verification
    f.run("form_panel", "attach", "dispatch")
    assert f.case.status is S.awaiting_experts
    assert replay(f.events).to_dict() == f.case.to_dict()


def test_dispatch_needs_a_panel() -> None:
    f = Flow().run("verify", "submit", "attach")
    assert "panel: 0 expert(s)" in refused(f, "dispatch")


def _force_panel(f: Flow, experts: list[str], reason: str = "") -> None:
    """A PanelFormed event as a stored history might hold it (the command refuses such a panel itself)."""
    ev = Event("PanelFormed", {"experts": experts, "reason": reason}, ACTOR, f.tick())
    dom.apply(f.case, ev)
    f.events.append(ev)


def test_dispatch_refuses_a_panel_of_two() -> None:
    f = Flow().run("verify", "submit", "attach")
    _force_panel(f, ["E1", "E2"])
    assert "panel: 2 expert(s); a panel needs at least 3" in refused(f, "dispatch")


def test_dispatch_refuses_a_duplicate_expert() -> None:
    f = Flow().run("verify", "submit", "attach")
    _force_panel(f, ["E1", "E2", "E1"])
    assert "named twice" in refused(f, "dispatch")


def test_dispatch_refuses_an_even_panel_without_reason() -> None:
    f = Flow().run("verify", "submit", "attach")
    _force_panel(f, ["E1", "E2", "E3", "E4"])
    assert "even number" in refused(f, "dispatch")
    _force_panel(f, ["E1", "E2", "E3", "E4"], "一名专家回避")
    f.run("dispatch")
    assert f.case.status is S.awaiting_experts


def test_form_panel_refuses_what_dispatch_would() -> None:
    f = Flow().run("verify", "submit")
    assert "at least 3" in refused(f, "form_panel", experts=["E1", "E2"])
    assert "named twice" in refused(f, "form_panel", experts=["E1", "E2", "E2"])
    assert "even number" in refused(f, "form_panel", experts=["E1", "E2", "E3", "E4"])
    assert "even number" in refused(f, "form_panel", experts=["E1", "E2", "E3", "E4"], reason="   ")
    f.do("form_panel", experts=["E1", "E2", "E3", "E4"], reason="  一名专家回避 ")
    assert f.case.panel == ["E1", "E2", "E3", "E4"]
    assert f.case.panel_reason == "一名专家回避"


def test_dispatch_needs_materials() -> None:
    f = Flow().run("verify", "submit", "form_panel")
    assert "no materials" in refused(f, "dispatch")


def test_dispatch_arms_t1_from_the_dispatch() -> None:
    f = Flow().run(*TO_AWAITING)
    (t1,) = f.case.deadlines
    assert (t1.kind, t1.status, t1.start_at, t1.due_at) == ("expert_analysis", "armed", f.now,
                                                            f.now + timedelta(days=3))
    assert t1.id == f"{f.case.number}/D1"


def test_verify_needs_a_note() -> None:
    f = Flow().run("verify", "submit")
    with pytest.raises(InvalidInput) as info:
        dom.verify(f.case, "  ", ACTOR, f.tick())
    assert (info.value.key, info.value.field) == ("note_empty", "note")


def test_refer_waits_for_the_analyses_until_t1_runs_out() -> None:
    f = Flow().run(*TO_AWAITING)
    due = f.case.deadlines[0].due_at
    f.do("record_analysis", expert="E1")
    msg = refused(f, "refer", reason="等不及")
    assert "waiting for the preliminary analysis of E2, E3" in msg
    assert due.isoformat() in msg


def test_refer_after_t1_needs_a_reason() -> None:
    f = Flow().run(*TO_AWAITING)
    f.do("record_analysis", expert="E2")
    f.tick(timedelta(days=3))
    msg = refused(f, "refer")
    assert "analyses missing from E1, E3" in msg and "a reason is needed" in msg
    f.do("refer", reason="  E1、E3 逾期未回复 ")
    assert f.case.status is S.convening
    assert f.case.refer_reason == "E1、E3 逾期未回复"
    t1, t2 = f.case.deadlines
    assert (t1.kind, t1.status, t1.resolved_at) == ("expert_analysis", "missed", f.now)
    assert (t2.kind, t2.status, t2.due_at) == ("convening", "armed", f.now + timedelta(days=5))
    assert f.events[-1].payload["missing_analyses"] == ["E1", "E3"]


def test_refer_with_every_analysis_in_meets_t1() -> None:
    f = Flow().run(*TO_AWAITING)
    for e in PANEL:
        f.do("record_analysis", expert=e)
    f.run("refer")
    assert f.case.status is S.convening
    assert f.case.deadlines[0].status == "met"


def test_refer_at_the_instant_t1_runs_out_is_consistent() -> None:
    """At exactly T1's due instant the guard treats T1 as run out (a reason is required, as the overdue view and
    the reminders do); the deadline it resolves must then be recorded missed, not met."""
    f = Flow().run(*TO_AWAITING)
    due = f.case.deadlines[0].due_at
    before = f.case.to_dict()
    with pytest.raises(GuardFailed, match="a reason is needed"):
        dom.refer(f.case, "", ACTOR, due, plan)
    assert f.case.to_dict() == before
    dom.refer(f.case, "逾期", ACTOR, due, plan)
    assert f.case.status is S.convening
    assert f.case.deadlines[0].status == "missed"


def test_record_analysis_rules() -> None:
    f = Flow().run(*TO_AWAITING)
    assert "not on the panel" in refused(f, "record_analysis", expert="E9")
    f.do("record_analysis", expert="E1")
    assert "already submitted" in refused(f, "record_analysis", expert="E1")


def _convened(panel: list[str] | None = None) -> Flow:
    f = Flow().run("verify", "submit")
    f.do("form_panel", experts=panel or PANEL, reason="偶数" if panel and len(panel) % 2 == 0 else "")
    f.run("attach", "dispatch")
    for e in f.case.panel:
        f.do("record_analysis", expert=e)
    return f.run("refer", "schedule", "convene")


def test_decide_waits_for_every_expert() -> None:
    f = _convened()
    assert "no expert has submitted" in refused(f, "decide")
    f.do("record_opinion", expert="E1")
    f.do("record_absence", expert="E2")
    assert "no form and no recorded absence for E3" in refused(f, "decide")


def test_decide_needs_a_quorum() -> None:
    f = _convened()
    f.do("record_opinion", expert="E2")
    f.do("record_absence", expert="E1")
    f.do("record_absence", expert="E3")
    assert "no quorum — 1 of 3" in refused(f, "decide")


def test_decide_two_of_four_is_no_quorum() -> None:
    f = _convened(["E1", "E2", "E3", "E4"])
    f.do("record_opinion", expert="E1")
    f.do("record_opinion", expert="E2")
    f.do("record_absence", expert="E3")
    f.do("record_absence", expert="E4")
    assert "no quorum — 2 of 4" in refused(f, "decide")


def test_decide_by_the_vote_investigate() -> None:
    f = _convened()
    f.do("record_opinion", expert="E1", kind="investigate")
    f.do("record_opinion", expert="E2", kind="investigate")
    f.do("record_absence", expert="E3")
    f.run("decide")
    assert f.case.status is S.decided
    assert f.case.outcome is Outcome.investigate
    assert f.case.conclusions == {"defect": "yes", "investigate": True, "attention": False}
    assert f.events[-1].payload["absent"] == {"E3": "出差"}
    assert [d.kind for d in f.case.deadlines if d.status == "armed"] == []


def test_decide_by_the_vote_continued_attention() -> None:
    f = _convened()
    f.do("record_opinion", expert="E1", kind="attention")
    f.do("record_opinion", expert="E2", kind="attention")
    f.do("record_opinion", expert="E3", kind="investigate")
    f.run("decide")
    assert f.case.status is S.continued_attention
    assert f.case.outcome is Outcome.continued_attention
    armed = [d for d in f.case.deadlines if d.status == "armed"]
    assert [(d.kind, d.due_at) for d in armed] == [("tracking", f.now + timedelta(days=20))]


def test_decide_an_uncertain_defect_alone_goes_to_continued_attention() -> None:
    # 2 defect-yes/investigate forms, 2 defect-uncertain/attention forms: no majority on anything, defect uncertain
    f = _convened(["E1", "E2", "E3", "E4"])
    f.do("record_opinion", expert="E1", kind="investigate")
    f.do("record_opinion", expert="E2", kind="investigate")
    f.do("record_opinion", expert="E3", kind="uncertain")
    f.do("record_opinion", expert="E4", kind="uncertain")
    f.run("decide")
    assert f.case.conclusions == {"defect": "uncertain", "investigate": False, "attention": False}
    assert f.case.tally["defect"] == {"yes": 2, "no": 0, "uncertain": 2}
    assert f.case.status is S.continued_attention
    assert f.case.outcome is Outcome.continued_attention


def test_decide_two_two_tie_is_no_investigation() -> None:
    f = _convened(["E1", "E2", "E3", "E4"])
    f.do("record_opinion", expert="E1", kind="investigate")
    f.do("record_opinion", expert="E2", kind="investigate")
    f.do("record_opinion", expert="E3", kind="attention")
    # E4's form: a defect with low risk — attention from the matrix, defect yes
    data = opinion("investigate")
    data.update(severity=1, likelihood=1)
    f.events.append(dom.record_opinion(f.case, "E4", data, ACTOR, f.tick())[0])
    f.run("decide")
    assert f.case.tally["investigate"] == {"yes": 2, "no": 2}
    assert f.case.tally["attention"] == {"yes": 2, "no": 2}
    assert f.case.status is S.decided
    assert f.case.outcome is Outcome.no_investigation


def test_record_opinion_rules() -> None:
    f = _convened()
    msg = refused(f, "record_opinion", InvalidInput, expert="E1", kind="invalid")
    assert msg.startswith("likelihood:")
    assert "not on the panel" in refused(f, "record_opinion", expert="E7")
    f.do("record_absence", expert="E2")
    assert "recorded absent" in refused(f, "record_opinion", expert="E2")
    f.do("record_opinion", expert="E1")
    assert "signed once" in refused(f, "record_opinion", expert="E1")
    assert "cannot be recorded absent" in refused(f, "record_absence", expert="E1")
    with pytest.raises(InvalidInput) as info:
        dom.record_absence(f.case, "E3", " ", ACTOR, f.tick())
    assert info.value.field == "reason"


def test_archive_needs_the_minutes() -> None:
    f = flow_in(S.decided)
    assert "minutes are not issued" in refused(f, "archive")
    f.run("issue_minutes")
    assert "issued once" in refused(f, "issue_minutes")
    f.run("archive")
    assert f.case.status is S.archived
    assert f.case.closed_at == f.now


@pytest.mark.parametrize("trigger", ["conclude", "reopen"])
def test_conclude_and_reopen_need_minutes_and_a_reason(trigger: str) -> None:
    f = flow_in(S.continued_attention)
    assert "minutes are not issued" in refused(f, trigger)
    f.run("issue_minutes")
    for blank in ("", "   "):
        with pytest.raises(GuardFailed) as info:
            COMMANDS[trigger](f.case, f.tick(), reason=blank)
        assert (info.value.key, info.value.field) == ("reason_required", "reason")
    f.do(trigger, reason=" 跟踪完毕 ")
    assert f.case.status is S.archived
    assert f.case.closing_reason == "跟踪完毕"
    tracking = [d for d in f.case.deadlines if d.kind == "tracking"]
    assert [d.status for d in tracking] == ["met"]
    if trigger == "reopen":
        assert f.case.linked_to == "YRD-2026-0002"


def test_track_rearms_the_follow_up() -> None:
    f = flow_in(S.continued_attention)
    f.run("track")
    assert [(d.kind, d.status) for d in f.case.deadlines if d.kind == "tracking"] == [
        ("tracking", "met"), ("tracking", "armed")]


@pytest.mark.parametrize("state", [S.drafted, S.preliminary_review, S.awaiting_experts])
def test_withdraw_needs_a_reason(state: CaseStatus) -> None:
    f = flow_in(state)
    msg = refused(f, "withdraw", reason="  ")
    assert "a reason is required" in msg
    f.do("withdraw", reason="申请机构撤回")
    assert f.case.status is S.withdrawn
    assert f.case.closing_reason == "申请机构撤回"
    assert all(d.status == "cancelled" for d in f.case.deadlines)


def test_an_event_older_than_the_last_is_refused() -> None:
    f = Flow()
    before = f.case.to_dict()
    with pytest.raises(InvalidInput, match="before the case's last event"):
        dom.verify(f.case, "核实", ACTOR, f.now - timedelta(seconds=1))
    assert f.case.to_dict() == before


def test_a_stored_event_folds_without_its_guards() -> None:
    # Events are facts: a submission stored from an incomplete draft (a rule of a later day) still folds.
    f = Flow(draft(brand=""))
    dom.apply(f.case, Event("CaseSubmitted", {"lead": "SH"}, ACTOR, f.tick()))
    assert f.case.status is S.preliminary_review and f.case.version == 2


def test_a_payload_without_a_field_its_fold_needs_is_named_at_load() -> None:
    f = Flow()
    before = f.case.to_dict()
    with pytest.raises(UnreadableEvent) as info:
        dom.apply(f.case, Event("CaseSubmitted", {}, ACTOR, f.tick()))
    assert info.value.params["fields"] == ["lead"]
    assert f.case.to_dict() == before


def test_an_unknown_event_type_is_refused() -> None:
    f = Flow()
    with pytest.raises(UnreadableEvent, match="'CaseExploded' is unknown"):
        dom.apply(f.case, Event("CaseExploded", {}, ACTOR, f.tick()))
    assert f.case.version == 1


def test_replay_reproduces_the_full_path() -> None:
    f = flow_in(S.archived)
    again = replay(f.events)
    assert again is not None
    assert again.to_dict() == f.case.to_dict()
    halfway = replay(f.events, until=f.events[5].occurred_at)
    assert halfway is not None and halfway.version == 6


# --- random walks -------------------------------------------------------------------------------------------

EXPERTS = ["E1", "E2", "E3", "E4", "E5"]
experts_st = st.sampled_from(EXPERTS)
reasons_st = st.sampled_from(["", "  ", "有理由"])
valid_kinds_st = st.sampled_from(["investigate", "attention", "uncertain"])
kinds_st = st.sampled_from(["investigate", "attention", "uncertain", "invalid"])
steps_st = st.sampled_from([timedelta(0), timedelta(minutes=5), timedelta(hours=6), timedelta(days=1),
                            timedelta(days=3)])
CLOSED = (S.archived, S.withdrawn)
DEPTH = {S.drafted: 0, S.withdrawn: 1, S.preliminary_review: 1, S.awaiting_experts: 2, S.convening: 3,
         S.convened: 4, S.decided: 5, S.continued_attention: 5, S.archived: 6}


def _progress_rule() -> Any:
    @rule(step=steps_st, kind=valid_kinds_st)
    def progress(self: CaseWalk, step: timedelta, kind: str) -> None:
        self._progress(step, kind)

    return progress


class CaseWalk(RuleBasedStateMachine):
    """Random commands, valid or not, on one case; the invariants hold after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.flow: Flow
        self.deepest = 0

    @initialize(complete=st.booleans())
    def open(self, complete: bool) -> None:
        self.flow = Flow(draft() if complete else draft(brand=""))

    def attempt(self, trigger: str, step: timedelta, **kw: Any) -> None:
        f = self.flow
        f.now += step
        before, status = f.case.to_dict(), f.case.status
        try:
            out = COMMANDS[trigger](f.case, f.now, **kw)
        except DomainError:
            assert f.case.to_dict() == before, f"{trigger} was refused but changed the case"
            return
        f.events.append(out[0] if isinstance(out, tuple) else out)
        check_changes(trigger, before, f.case.to_dict())
        event(f"reached {f.case.status}")
        self.deepest = max(self.deepest, DEPTH[f.case.status])
        assert trigger in EXPECTED[status], f"{trigger} ran in {status}"
        if status in CLOSED:
            assert trigger in CLOSED_TRIGGERS and f.case.status is status

    @rule(step=steps_st, trigger=st.sampled_from(sorted(set(TRIGGERS) - {
        "edit", "verify", "form_panel", "record_analysis", "refer", "record_opinion", "record_absence",
        "conclude", "reopen", "withdraw"})))
    def plain(self, step: timedelta, trigger: str) -> None:
        self.attempt(trigger, step)

    @rule(step=steps_st, complete=st.booleans())
    def edit(self, step: timedelta, complete: bool) -> None:
        self.attempt("edit", step, data=draft() if complete else draft(model=""))

    @rule(step=steps_st, note=reasons_st)
    def verify(self, step: timedelta, note: str) -> None:
        self.attempt("verify", step, note=note)

    @rule(step=steps_st, experts=st.lists(experts_st, max_size=5), reason=reasons_st)
    def form_panel(self, step: timedelta, experts: list[str], reason: str) -> None:
        self.attempt("form_panel", step, experts=experts, reason=reason)

    @rule(step=steps_st, expert=experts_st)
    def record_analysis(self, step: timedelta, expert: str) -> None:
        self.attempt("record_analysis", step, expert=expert)

    @rule(step=steps_st, reason=reasons_st)
    def refer(self, step: timedelta, reason: str) -> None:
        self.attempt("refer", step, reason=reason)

    @rule(step=steps_st, expert=experts_st, kind=kinds_st)
    def record_opinion(self, step: timedelta, expert: str, kind: str) -> None:
        self.attempt("record_opinion", step, expert=expert, kind=kind)

    @rule(step=steps_st, expert=experts_st, reason=reasons_st)
    def record_absence(self, step: timedelta, expert: str, reason: str) -> None:
        self.attempt("record_absence", step, expert=expert, reason=reason)

    @rule(step=steps_st, trigger=st.sampled_from(["conclude", "reopen", "withdraw"]), reason=reasons_st)
    def close(self, step: timedelta, trigger: str, reason: str) -> None:
        self.attempt(trigger, step, reason=reason)

    def _next(self) -> tuple[str, dict[str, Any]]:
        """The command the regulation's path would run next (so that random walks get deep)."""
        c = self.flow.case
        if c.status is S.drafted:
            if c.missing_product_fields():
                return "edit", {"data": draft()}
            return ("submit", {}) if c.verification else ("verify", {})
        if c.status is S.preliminary_review:
            if not c.panel:
                return "form_panel", {}
            return ("attach", {}) if not c.materials else ("dispatch", {})
        if c.status is S.awaiting_experts:
            missing = [e for e in c.panel if e not in c.analyses]
            return ("record_analysis", {"expert": missing[0]}) if missing else ("refer", {})
        if c.status is S.convening:
            return ("convene", {}) if c.meeting and not c.meeting.get("cancelled") else ("schedule", {})
        if c.status is S.convened:
            pending = [e for e in c.panel if e not in c.opinions and e not in c.absences]
            return ("record_opinion", {"expert": pending[0]}) if pending else ("decide", {})
        if c.status in (S.decided, S.continued_attention) and not c.minutes:
            return "issue_minutes", {}
        if c.status is S.decided:
            return "archive", {}
        if c.status is S.continued_attention:
            return "track", {}
        return "record_delivery", {}

    def _progress(self, step: timedelta, kind: str) -> None:
        trigger, kw = self._next()
        if trigger == "record_opinion":
            kw["kind"] = kind
        self.attempt(trigger, step, **kw)

    # several rules that follow the path, so that random walks get past the first states more often than not
    progress_1 = _progress_rule()
    progress_2 = _progress_rule()
    progress_3 = _progress_rule()
    progress_4 = _progress_rule()
    progress_5 = _progress_rule()
    progress_6 = _progress_rule()
    progress_7 = _progress_rule()
    progress_8 = _progress_rule()
    progress_9 = _progress_rule()
    progress_10 = _progress_rule()

    def teardown(self) -> None:
        target(float(self.deepest), label="deepest state reached")  # steer the walks towards the later states

    @invariant()
    def status_is_a_status(self) -> None:
        assert isinstance(self.flow.case.status, CaseStatus)

    @invariant()
    def version_counts_the_events(self) -> None:
        assert self.flow.case.version == len(self.flow.events)

    @invariant()
    def replay_reproduces_the_case(self) -> None:
        again = replay(self.flow.events)
        assert again is not None
        assert again.to_dict() == self.flow.case.to_dict()

    @invariant()
    def closed_cases_accept_only_deliveries(self) -> None:
        if self.flow.case.status in CLOSED:
            assert set(allowed_triggers(self.flow.case.status)) <= CLOSED_TRIGGERS


CaseWalk.TestCase.settings = settings(
    max_examples=50, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_case_walk = CaseWalk.TestCase
