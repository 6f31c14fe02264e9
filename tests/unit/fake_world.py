"""A small world on the fake unit of work (workflow.testing): admin, one liaison per institution (sh applies, js
leads in 2026), an auditor, five experts with their users; and a driver that takes a case to a state.
No database: every use case here runs in memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from states.errors import DomainError
from workflow import usecases as uc
from workflow.services import Services
from workflow.testing import FakeClock, FakeStore, WeekdayCalendar, policy

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass
class FakeWorld:
    svc: Services
    store: FakeStore
    clock: FakeClock
    experts: list[str]


def fake_world() -> FakeWorld:
    store, clock = FakeStore(), FakeClock()
    svc = Services(uow=store, clock=clock, calendar=WeekdayCalendar(), policy=policy())
    uc.add_user(svc, None, "admin", "admin", bootstrap=True)
    for code in ("SH", "JS", "ZJ", "AH"):
        uc.add_user(svc, "admin", code.lower(), "liaison", code, email=f"{code.lower()}@example.org")
    uc.add_user(svc, "admin", "auditor", "auditor")
    ids = []
    for i, prov in enumerate(["SH", "JS", "ZJ", "AH", "SH"], start=1):
        ex = uc.add_expert(svc, "admin", f"专家{i}", "机械安全", f"单位{i}", "高级工程师", prov)
        uc.add_user(svc, "admin", f"x{i}", "expert", expert_id=ex.id)
        ids.append(ex.id)
    return FakeWorld(svc, store, clock, ids)


def case_file() -> Any:
    return yaml.safe_load((EXAMPLES / "case.yaml").read_text(encoding="utf-8"))


def opinion(defect: str = "yes", severity: int = 4, likelihood: int = 8) -> dict[str, Any]:
    """An opinion file: 'yes' with 4×8 derives an investigation."""
    safety = defect in ("yes", "uncertain")
    return {
        "standard_noncompliance": {"answer": safety, "detail": "不符合第5.3条" if safety else ""},
        "nonstandard_danger": {"answer": False, "detail": ""},
        "no_standard_danger": {"answer": False, "detail": ""},
        "injury_types": {"physical": "摔伤", "chemical": None, "biological": None},
        "severity": severity,
        "likelihood": likelihood,
        "producer_cause": {"design": safety, "manufacturing": False, "warning": False},
        "universality": defect,
        "similar_recall": {"answer": False, "detail": ""},
        "public_opinion_risk": {"answer": False, "detail": ""},
    }


STEPS = ("drafted", "preliminary_review", "awaiting_experts", "convening", "convened", "decided", "minutes",
         "archived")


def run_to(w: FakeWorld, target: str, panel: int = 3) -> str:
    """Drive a fresh case (SH applies; JS leads in 2026) to TARGET; returns its number."""
    svc, clk = w.svc, w.clock
    clk.set("2026-09-24T10:00:00+08:00")
    n = uc.new_case(svc, "sh", case_file()).number
    if target == "drafted":
        return n
    clk.advance(minutes=5)
    uc.verify(svc, "sh", n, "核实无误")  # Art. 7: before the application
    uc.submit(svc, "sh", n)
    if target == "preliminary_review":
        return n
    uc.form_panel(svc, "sh", n, w.experts[:panel])
    uc.attach(svc, "sh", n, "report.txt", b"test report", "test_report")
    clk.set("2026-09-29T10:00:00+08:00")
    uc.dispatch(svc, "sh", n)
    if target == "awaiting_experts":
        return n
    for i, e in enumerate(w.experts[:panel], start=1):
        clk.advance(minutes=1)
        uc.record_analysis(svc, f"x{i}", n, e, "分析意见")
    clk.set("2026-10-09T09:00:00+08:00")
    uc.refer(svc, "sh", n)
    # Art. 5 / 8(4): convening needs a scheduled online meeting.
    clk.set("2026-10-09T10:00:00+08:00")
    uc.schedule_meeting(svc, "js", n, datetime.fromisoformat("2026-10-14T14:00:00+08:00"), "腾讯会议")
    if target == "convening":
        return n
    clk.set("2026-10-14T14:00:00+08:00")
    uc.convene(svc, "js", n)
    if target == "convened":
        return n
    for i, e in enumerate(w.experts[:panel], start=1):
        clk.advance(minutes=1)
        uc.record_opinion(svc, f"x{i}", n, e, opinion())
    clk.advance(minutes=10)
    uc.decide(svc, "js", n)
    if target == "decided":
        return n
    clk.advance(hours=1)
    uc.issue_minutes(svc, "js", n)
    if target == "minutes":
        return n
    clk.advance(hours=1)
    uc.archive(svc, "js", n)
    return n


def stored(w: FakeWorld, n: str) -> list[str]:
    """The event types stored for case N, in order."""
    return [s.event.type for s in w.store.data.events.get(n, [])]


def unchanged(w: FakeWorld, n: str, fn: Any, error: type[DomainError]) -> DomainError:
    """Run FN, expect ERROR, and show nothing was written: no commit, same events, same case."""
    before = (w.store.commits, stored(w, n), w.store.data.cases[n].to_dict())
    with pytest.raises(error) as refused:
        fn()
    assert (w.store.commits, stored(w, n), w.store.data.cases[n].to_dict()) == before
    return refused.value
