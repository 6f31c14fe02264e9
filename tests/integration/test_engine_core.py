"""The engine's acceptance core over SQLite and PostgreSQL: the whole lifecycle, a tampered log named by the
audit, and two OS processes racing one transition."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import CONFIG, World, opinion, run_to
from sqlalchemy import delete, select, update

from states.errors import Conflict, GuardFailed, InvalidTransition
from storage import tables as t
from workflow import usecases as uc
from workflow.errors import NotPermitted

HZ = str(Path(sys.executable).with_name("huizhen"))


def count_events(world: World) -> int:
    with world.app.engine.connect() as conn:
        return len(conn.execute(select(t.events.c.id)).all())


def test_lifecycle_draft_to_archive(world: World) -> None:
    case = run_to(world, "archived")
    shown = uc.show_case(world.svc, "auditor", case)
    assert shown["status"] == "archived" and shown["outcome"] == "investigate"
    assert (shown["applicant"], shown["lead"]) == ("SH", "JS")
    assert shown["panel"] == world.experts[:3]
    assert shown["conclusions"] == {"defect": "yes", "investigate": True, "attention": False}
    assert [(d["kind"], d["status"]) for d in shown["deadlines"]] == [("expert_analysis", "met"), ("convening", "met")]
    types = [e["type"] for e in uc.history(world.svc, "auditor", case)]
    assert types[0] == "CaseOpened" and types[-1] == "CaseArchived" and len(types) == shown["version"]
    assert shown["minutes"]["cc"] == ["SH", "ZJ", "AH"]
    assert uc.verify_audit(world.svc, "auditor") == []


def test_continued_attention_then_conclude_and_reopen(world: World) -> None:
    unsure = [opinion("uncertain", 2, 3, public_opinion_risk=True)] * 3
    case = run_to(world, "continued_attention", opinions=unsure)
    shown = uc.show_case(world.svc, "sh", case)
    assert shown["status"] == "continued_attention" and shown["outcome"] == "continued_attention"
    assert shown["deadlines"][-1]["kind"] == "tracking" and shown["deadlines"][-1]["status"] == "armed"
    with pytest.raises(GuardFailed, match="minutes"):
        uc.conclude(world.svc, "sh", case, "跟踪结束")
    world.clock.advance(hours=1)
    uc.issue_minutes(world.svc, "js", case)
    world.clock.advance(days=3)
    uc.track(world.svc, "sh", case, "企业已整改")
    with pytest.raises(InvalidTransition):
        uc.archive(world.svc, "js", case)
    world.clock.advance(days=1)
    old, new = uc.reopen(world.svc, "sh", case, "出现新伤害报告")
    assert old.status == "archived" and old.linked_to == new.number
    reopened = uc.show_case(world.svc, "sh", new.number)
    assert reopened["status"] == "drafted" and reopened["linked_from"] == case
    assert reopened["product"] == shown["product"]
    assert uc.verify_audit(world.svc, "auditor") == []


def test_refusals_write_nothing(world: World) -> None:
    case = run_to(world, "convening")
    before = count_events(world), uc.show_case(world.svc, "auditor", case)
    with pytest.raises(InvalidTransition):
        uc.decide(world.svc, "js", case)
    with pytest.raises(NotPermitted):
        uc.convene(world.svc, "sh", case)
    with pytest.raises(NotPermitted):
        uc.convene(world.svc, "auditor", case)
    with pytest.raises(Conflict):
        uc.act(world.svc, "js", case, "convene", lambda u, c, usr, now: [], expected_version=1)
    assert (count_events(world), uc.show_case(world.svc, "auditor", case)) == before


def tamper(world: World, stmt: Any) -> None:
    with world.app.engine.begin() as conn:
        conn.execute(stmt)


def findings(world: World) -> list[str]:
    return uc.verify_audit(world.svc, "auditor")


def test_audit_names_edited_deleted_and_reordered_events(world: World) -> None:
    case = run_to(world, "convened")
    other = run_to(world, "preliminary_review")
    assert findings(world) == []
    ev = t.events.c
    with world.app.engine.connect() as conn:
        payload = conn.execute(select(ev.payload).where(ev.case_number == case, ev.seq == 4)).scalar_one()
    tamper(world, update(t.events).where(ev.case_number == case, ev.seq == 4)
           .values(payload=payload.replace("E0003", "E0005")))
    found = findings(world)
    assert any(f.startswith(f"{case} event 4") and "edited" in f for f in found), found
    tamper(world, update(t.events).where(ev.case_number == case, ev.seq == 4).values(payload=payload))
    assert findings(world) == []

    tamper(world, update(t.events).where(ev.case_number == other, ev.seq == 1).values(actor="js"))
    assert any(f.startswith(f"{other} event 1") for f in findings(world))
    tamper(world, update(t.events).where(ev.case_number == other, ev.seq == 1).values(actor="sh"))

    tamper(world, delete(t.events).where(ev.case_number == case, ev.seq == 6))
    found = findings(world)
    assert any(f.startswith(f"{case} event 6") and "missing" in f for f in found), found


def test_audit_names_reordering_a_deleted_last_event_and_a_doctored_case_row(world: World) -> None:
    case = run_to(world, "convening")
    ev = t.events.c
    tamper(world, update(t.events).where(ev.case_number == case, ev.seq == 2).values(seq=-2))
    tamper(world, update(t.events).where(ev.case_number == case, ev.seq == 3).values(seq=2))
    tamper(world, update(t.events).where(ev.case_number == case, ev.seq == -2).values(seq=3))
    found = findings(world)
    assert any(f.startswith(f"{case} event 2") for f in found), found
    assert any(f.startswith(f"{case} event 3") for f in found), found

    other = run_to(world, "awaiting_experts")
    last = uc.show_case(world.svc, "auditor", other)["version"]
    tamper(world, delete(t.events).where(ev.case_number == other, ev.seq == last))
    assert any(f.startswith(f"{other} event {last}") for f in findings(world))

    third = run_to(world, "preliminary_review")
    with world.app.engine.connect() as conn:
        snap = json.loads(conn.execute(select(t.cases.c.snapshot).where(t.cases.c.number == third)).scalar_one())
    snap["lead"] = "AH"
    tamper(world, update(t.cases).where(t.cases.c.number == third).values(snapshot=json.dumps(snap)))
    assert any(third in f and "lead" in f for f in findings(world))


def test_replay_at_past_instants(world: World) -> None:
    case = run_to(world, "archived")
    at = uc.replay_at(world.svc, "auditor", case, __import__("datetime").datetime.fromisoformat("2026-10-09T12:00:00+08:00"))
    assert at["status"] == "convening" and at["lead"] == "JS"
    assert uc.replay_at(world.svc, "auditor", case, None)["status"] == "archived"


def _env(db_url: str, user: str, now: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUIZHEN_")}
    env.update(HUIZHEN_CONFIG=str(CONFIG), HUIZHEN_DATABASE_URL=db_url, HUIZHEN_USER=user, HUIZHEN_NOW=now)
    return env


@pytest.mark.parametrize("command", [("convene", "js"), ("refer", "sh")])
def test_two_processes_race_one_transition_exactly_one_wins(world: World, db_url: str,
                                                            command: tuple[str, str]) -> None:
    trigger, user = command
    target = "convening" if trigger == "convene" else "awaiting_experts"
    for _round in range(3):
        case = run_to(world, target)
        if trigger == "refer":
            for i, e in enumerate(world.experts[:3], start=1):
                world.clock.advance(minutes=1)
                uc.record_analysis(world.svc, f"x{i}", case, e, "分析")
        env = _env(db_url, user, "2026-10-20T10:00:00+08:00")
        procs = [subprocess.Popen([HZ, "case", trigger, case], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
        codes = sorted(code for code, _ in results)
        assert codes == [0, 6], results
        loser = next(text for code, text in results if code == 6)
        assert "conflict" in loser and loser.strip().count("\n") == 0
        wanted = uc.EVENT_OF[trigger]
        types = [e["type"] for e in uc.history(world.svc, "auditor", case)]
        assert types.count(wanted) == 1
    assert findings(world) == []
