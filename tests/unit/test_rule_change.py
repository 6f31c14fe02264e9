"""Events are facts: a rule tightened today refuses new commands and leaves every stored case replaying as it was.

The regulation is a trial (试行) and will be amended while its records are kept for five years. Here the panel
minimum goes from 3 to 5 and the product section demands a field that did not exist; histories written under the
old rules must replay to the same state and snapshot, while the same commands are refused from now on.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from states import case as dom
from states import guards
from states.aggregate import Case, Deadline
from states.errors import GuardFailed
from states.events import Event
from states.guards import Attempt
from states.status import CaseStatus

ACTOR = "sh-liaison"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
PANEL = ["E1", "E2", "E3"]


def plan(kind: str, start_at: datetime, deadline_id: str) -> Deadline:
    due = start_at + timedelta(days=3)
    return Deadline(id=deadline_id, kind=kind, start_at=start_at, working_days=3, due_at=due,
                    due_date=due.date().isoformat(), calendar_version="test", provisional=False,
                    explanation="3 calendar days")


def draft() -> dict[str, Any]:
    product = {
        "name": "儿童电动滑板车", "model": "KS-200", "brand": "酷速", "producer": "某某智能科技有限公司",
        "registered_province": "SH", "production_province": "ZJ", "test_basis": "GB/T 40019-2021",
        "report_numbers": ["SH-2026-JC-0815"], "suspected_defect": "折叠机构锁止销可能脱出",
    }
    return {"product": product, "sources": ["spot_check"], "source_other": "", "basis": {}}


def opinion() -> dict[str, Any]:
    yes, no = {"answer": True, "detail": "x"}, {"answer": False, "detail": ""}
    return {
        "standard_noncompliance": yes, "nonstandard_danger": no, "no_standard_danger": no,
        "injury_types": {"physical": "摔伤", "chemical": None, "biological": None},
        "severity": 4, "likelihood": 8, "producer_cause": {"design": True, "manufacturing": False, "warning": False},
        "universality": "yes", "similar_recall": no, "public_opinion_risk": no,
    }


def history() -> tuple[Case, list[Event]]:
    """A case taken to its archive under today's rules: a panel of three, the product section as it is."""
    clock = iter(T0 + timedelta(hours=h) for h in range(100))
    case, opened = dom.open_case("YRD-2026-0001", "SH", draft(), ACTOR, next(clock))
    events = [opened]
    events.append(dom.verify(case, "符合会诊条件", ACTOR, next(clock)))
    events.append(dom.submit(case, "SH", ACTOR, next(clock)))
    events.append(dom.form_panel(case, PANEL, "", ACTOR, next(clock)))
    events.append(dom.attach(case, "a" * 64, "report.pdf", "test_report", 1024, ACTOR, next(clock)))
    events.append(dom.dispatch(case, ACTOR, next(clock), plan))
    for e in PANEL:
        events.append(dom.record_analysis(case, e, "初步分析", ACTOR, next(clock)))
    events.append(dom.refer(case, "", ACTOR, next(clock), plan))
    when = next(clock)
    events.append(dom.schedule_meeting(case, when + timedelta(days=1), "腾讯会议", None, [], list(PANEL), ACTOR, when))
    events.append(dom.convene(case, ACTOR, next(clock)))
    for e in PANEL:
        events.append(dom.record_opinion(case, e, opinion(), ACTOR, next(clock))[0])
    events.append(dom.decide(case, ACTOR, next(clock), plan))
    events.append(dom.issue_minutes(case, {"document_number": "长三角会诊〔2026〕1号"}, ACTOR, next(clock)))
    events.append(dom.archive(case, ACTOR, next(clock)))
    return case, events


def tighten(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tomorrow's rules: a panel of at least five, and the product section must name the batch."""
    monkeypatch.setattr(guards, "PANEL_MINIMUM", 5)
    complete = guards.GUARDS["product_complete"]

    def product_complete_with_batch(case: Case, attempt: Attempt) -> None:
        complete(case, attempt)
        if not case.product.get("batch"):
            raise GuardFailed(f"{case.number}: the product section is incomplete: product.batch missing",
                              key="product_incomplete", field="product.batch", number=case.number)

    monkeypatch.setitem(guards.GUARDS, "product_complete", product_complete_with_batch)


def test_old_cases_replay_unchanged_under_tightened_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    case, events = history()
    stored = case.to_dict()
    assert case.status is CaseStatus.archived and len(case.panel) == 3
    tighten(monkeypatch)
    again = dom.replay(events)
    assert again is not None
    assert again.to_dict() == stored
    # every prefix too: `audit verify` and `replay_at` fold a history up to any instant
    for i, ev in enumerate(events, start=1):
        partial = dom.replay(events, until=ev.occurred_at)
        assert partial is not None and partial.version == i


def test_the_tightened_rules_refuse_new_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    tighten(monkeypatch)
    case, _ = dom.open_case("YRD-2026-0002", "SH", draft(), ACTOR, T0)
    with pytest.raises(GuardFailed) as info:
        dom.submit(case, "SH", ACTOR, T0 + timedelta(hours=1))
    assert info.value.field == "product.batch"
    assert case.status is CaseStatus.drafted and case.version == 1
    # the stored submission of yesterday still folds: the guard is not the fold's business
    dom.apply(case, Event("CaseSubmitted", {"lead": "SH"}, ACTOR, T0 + timedelta(hours=2)))
    assert case.status is CaseStatus.preliminary_review
    with pytest.raises(GuardFailed) as info:
        dom.form_panel(case, PANEL, "", ACTOR, T0 + timedelta(hours=3))
    assert (info.value.key, info.value.params["minimum"]) == ("panel_too_small", 5)


def test_a_case_convened_without_a_meeting_under_the_earlier_rule_replays(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 12 (Art. 5 / 8(4)): convening needs a scheduled meeting today; histories stored before that rule,
    convened without one, still fold to the same case, and new commands on them go on."""
    with monkeypatch.context() as earlier:
        earlier.setitem(guards.GUARDS, "meeting_scheduled", lambda case, attempt: None)
        clock = iter(T0 + timedelta(hours=h) for h in range(100))
        case, opened = dom.open_case("YRD-2026-0003", "SH", draft(), ACTOR, next(clock))
        events = [opened, dom.verify(case, "核实", ACTOR, next(clock)), dom.submit(case, "SH", ACTOR, next(clock)),
                  dom.form_panel(case, PANEL, "", ACTOR, next(clock)),
                  dom.attach(case, "a" * 64, "r.pdf", "test_report", 10, ACTOR, next(clock)),
                  dom.dispatch(case, ACTOR, next(clock), plan)]
        events += [dom.record_analysis(case, e, "分析", ACTOR, next(clock)) for e in PANEL]
        events += [dom.refer(case, "", ACTOR, next(clock), plan), dom.convene(case, ACTOR, next(clock))]
    assert case.meeting is None and case.status is CaseStatus.convened
    again = dom.replay(events)
    assert again is not None and again.to_dict() == case.to_dict()
    dom.record_opinion(again, PANEL[0], opinion(), ACTOR, next(clock))  # the case goes on under today's rules
    fresh, _ = dom.open_case("YRD-2026-0004", "SH", draft(), ACTOR, T0)
    fresh.status, fresh.last_event_at = CaseStatus.convening, T0
    with pytest.raises(GuardFailed) as info:
        dom.convene(fresh, ACTOR, T0 + timedelta(hours=1))
    assert info.value.key == "meeting_not_scheduled"
