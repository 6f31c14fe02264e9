"""Who may do what on which case, over SQLite and PostgreSQL: the applicant's liaisons run their case up to the
referral and track it afterwards, the lead's liaisons convene, decide, issue the minutes and archive, other
institutions do nothing on someone else's case, experts record only their own work and see only their panels,
auditors read everything and write nothing, unknown users nothing at all."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from conftest import World, load_example, opinion, run_to
from sqlalchemy import select

from storage import tables as t
from workflow import usecases as uc
from workflow.errors import NotFound, NotPermitted

UNSURE = opinion("uncertain", 2, 3, public_opinion_risk=True)

Action = Callable[[World, Any, str], Any]

# Each action, as the person acting would run it. Expert commands name the acting user's expert x1 → experts[0].
ACTIONS: dict[str, Action] = {
    "edit": lambda w, who, n: uc.edit_case(w.svc, who, n, load_example("case.yaml")),
    "submit": lambda w, who, n: uc.submit(w.svc, who, n),
    "verify": lambda w, who, n: uc.verify(w.svc, who, n, "核实无误"),
    "form_panel": lambda w, who, n: uc.form_panel(w.svc, who, n, w.experts[:3]),
    "attach": lambda w, who, n: uc.attach(w.svc, who, n, "more.txt", b"more material", "test_report"),
    "dispatch": lambda w, who, n: uc.dispatch(w.svc, who, n),
    "refer": lambda w, who, n: uc.refer(w.svc, who, n),
    "withdraw": lambda w, who, n: uc.withdraw(w.svc, who, n, "撤回申请"),
    "track": lambda w, who, n: uc.track(w.svc, who, n, "跟踪记录"),
    "conclude": lambda w, who, n: uc.conclude(w.svc, who, n, "跟踪结束"),
    "reopen": lambda w, who, n: uc.reopen(w.svc, who, n, "重新会诊"),
    "convene": lambda w, who, n: uc.convene(w.svc, who, n),
    "record_absence": lambda w, who, n: uc.record_absence(w.svc, who, n, w.experts[2], "出差"),
    "decide": lambda w, who, n: uc.decide(w.svc, who, n),
    "issue_minutes": lambda w, who, n: uc.issue_minutes(w.svc, who, n),
    "archive": lambda w, who, n: uc.archive(w.svc, who, n),
    "record_analysis": lambda w, who, n: uc.record_analysis(w.svc, who, n, w.experts[0], "分析意见"),
    "record_opinion": lambda w, who, n: uc.record_opinion(w.svc, who, n, w.experts[0], opinion()),
}
APPLICANT = ["submit", "verify", "form_panel", "attach", "dispatch", "refer", "withdraw", "track", "conclude",
             "reopen"]
LEAD = ["convene", "decide", "issue_minutes", "archive"]
EXPERT = ["record_analysis", "record_opinion"]


def ready(world: World, action: str) -> str:
    """A fresh case in which `action` would succeed for the right person: only permission can refuse it."""
    svc, ex = world.svc, world.experts
    if action == "submit":
        n = run_to(world, "drafted")
        uc.verify(svc, "sh", n, "核实无误")  # Art. 7: verified before the application
        return n
    if action == "edit":
        return run_to(world, "drafted")
    if action in ("verify", "form_panel", "attach", "withdraw"):
        return run_to(world, "preliminary_review")
    if action == "dispatch":
        n = run_to(world, "preliminary_review")
        uc.verify(svc, "sh", n, "核实无误")
        uc.form_panel(svc, "sh", n, ex[:3])
        uc.attach(svc, "sh", n, "report.txt", b"test report", "test_report")
    elif action == "record_analysis":
        return run_to(world, "awaiting_experts")
    elif action == "refer":
        n = run_to(world, "awaiting_experts")
        for i, e in enumerate(ex[:3], start=1):
            world.clock.advance(minutes=1)
            uc.record_analysis(svc, f"x{i}", n, e, "分析意见")
    elif action == "convene":
        return run_to(world, "convening")
    elif action in ("record_absence", "record_opinion"):
        return run_to(world, "convened")
    elif action == "decide":
        n = run_to(world, "convened")
        for i, e in enumerate(ex[:3], start=1):
            world.clock.advance(minutes=1)
            uc.record_opinion(svc, f"x{i}", n, e, opinion())
    elif action == "issue_minutes":
        return run_to(world, "decided")
    elif action == "archive":
        n = run_to(world, "minutes")
    elif action in ("track", "conclude", "reopen"):
        n = run_to(world, "continued_attention", opinions=[UNSURE] * 3)
        world.clock.advance(hours=1)
        uc.issue_minutes(svc, "js", n)
    else:
        raise AssertionError(action)
    return n


def db_state(world: World) -> dict[str, list[tuple[str, ...]]]:
    out: dict[str, list[tuple[str, ...]]] = {}
    with world.app.engine.connect() as conn:
        for table in (t.events, t.cases, t.deadlines, t.counters, t.blobs, t.users, t.experts):
            out[table.name] = sorted(tuple(repr(v) for v in row) for row in conn.execute(select(table)).all())
    return out


def denied(world: World, who: Any, action: str, number: str) -> str | None:
    """None when `who` is refused with NotPermitted and nothing is written; otherwise what happened."""
    before = db_state(world)
    world.clock.advance(minutes=10)
    try:
        ACTIONS[action](world, who, number)
    except NotPermitted:
        after = db_state(world)
        return None if after == before else f"{who} {action}: refused but the database changed"
    except NotFound as exc:
        # A case one may not see (another institution's draft) answers as a missing one (issue 15).
        if exc.key != "case_missing" or not uc.show_case(world.svc, "auditor", number):
            return f"{who} {action}: {exc} (wanted NotPermitted, or a hidden case)"
        after = db_state(world)
        return None if after == before else f"{who} {action}: refused but the database changed"
    except Exception as exc:  # noqa: BLE001 - reported as the wrong refusal
        return f"{who} {action}: {type(exc).__name__}: {exc} (wanted NotPermitted)"
    return f"{who} {action}: was allowed (wanted NotPermitted)"


def allowed(world: World, who: str, action: str, number: str) -> str | None:
    world.clock.advance(minutes=10)
    version = uc.show_case(world.svc, "auditor", number)["version"]
    try:
        ACTIONS[action](world, who, number)
    except Exception as exc:  # noqa: BLE001 - reported with the action's name
        return f"{who} {action}: {type(exc).__name__}: {exc} (wanted it to succeed)"
    new = [e["type"] for e in uc.history(world.svc, "auditor", number) if e["seq"] > version]
    # One event for the action; issuing the minutes is followed by one delivery event per recipient.
    if not new or any(t != "DeliveryRecorded" for t in new[1:]) or new[0] == "DeliveryRecorded":
        return f"{who} {action}: succeeded but wrote {new} (wanted one event for the action)"
    return None


# --- liaisons -------------------------------------------------------------------------------------------------


def test_applicant_liaison_runs_the_case_up_to_the_referral_and_tracks_it(world: World) -> None:
    problems = [p for a in APPLICANT + ["edit"] if (p := allowed(world, "sh", a, ready(world, a)))]
    assert problems == []


def test_applicant_liaison_may_not_convene_decide_issue_minutes_or_archive(world: World) -> None:
    problems = [p for a in LEAD + ["record_absence"] if (p := denied(world, "sh", a, ready(world, a)))]
    assert problems == []


def test_lead_liaison_convenes_decides_issues_minutes_and_archives(world: World) -> None:
    problems = [p for a in LEAD + ["record_absence"] if (p := allowed(world, "js", a, ready(world, a)))]
    assert problems == []


def test_lead_liaison_may_not_do_the_applicants_part(world: World) -> None:
    problems = [p for a in APPLICANT + ["edit"] if (p := denied(world, "js", a, ready(world, a)))]
    assert problems == []


def test_lead_may_attach_only_during_the_meeting(world: World) -> None:
    """permissions.LEAD_MAY_ATTACH: the lead adds material while convening or convened, never before."""
    assert denied(world, "js", "attach", run_to(world, "preliminary_review")) is None
    assert denied(world, "js", "attach", run_to(world, "awaiting_experts")) is None
    assert allowed(world, "js", "attach", run_to(world, "convening")) is None


def test_other_liaison_may_do_nothing_on_someone_elses_case(world: World) -> None:
    everything = APPLICANT + LEAD + EXPERT + ["edit", "record_absence"]
    problems = [p for a in everything if (p := denied(world, "zj", a, ready(world, a)))]
    assert problems == []


def test_other_liaison_sees_a_draft_only_once_it_is_submitted(world: World) -> None:
    # A case one may not see answers as a missing one (issue 15): NotFound, as for a number never issued.
    svc = world.svc
    n = run_to(world, "drafted")
    with pytest.raises(NotFound):
        uc.show_case(svc, "zj", n)
    with pytest.raises(NotFound):
        uc.history(svc, "zj", n)
    with pytest.raises(NotFound):
        uc.replay_at(svc, "zj", n, None)
    assert n not in [c["number"] for c in uc.list_cases(svc, "zj")]
    with pytest.raises(NotFound):  # nor does next year's lead: a draft has no lead yet
        uc.show_case(svc, "js", n)
    # ZJ's own draft is its own: SH does not see it.
    world.clock.advance(minutes=1)
    own = uc.new_case(svc, "zj", load_example("case.yaml")).number
    assert uc.show_case(svc, "zj", own)["applicant"] == "ZJ"
    with pytest.raises(NotFound):
        uc.show_case(svc, "sh", own)

    world.clock.advance(minutes=5)
    uc.verify(svc, "sh", n, "核实无误")
    uc.submit(svc, "sh", n)
    shown = uc.show_case(svc, "zj", n)
    assert shown["status"] == "preliminary_review"
    assert [e["type"] for e in uc.history(svc, "zj", n)] == ["CaseOpened", "VerificationRecorded", "CaseSubmitted"]
    assert uc.replay_at(svc, "zj", n, None)["status"] == "preliminary_review"
    assert n in [c["number"] for c in uc.list_cases(svc, "zj")]
    assert sorted(c["number"] for c in uc.list_cases(svc, "sh")) == [n]


# --- experts --------------------------------------------------------------------------------------------------


def test_expert_records_only_their_own_analysis_and_opinion(world: World) -> None:
    svc, ex = world.svc, world.experts
    n = run_to(world, "awaiting_experts")
    before = db_state(world)
    world.clock.advance(minutes=1)
    with pytest.raises(NotPermitted):
        uc.record_analysis(svc, "x1", n, ex[1], "替别人分析")
    assert db_state(world) == before
    uc.record_analysis(svc, "x1", n, ex[0], "我的分析")
    assert uc.show_case(svc, "x1", n)["analyses"][ex[0]]["by"] == "x1"
    for i, e in enumerate(ex[1:3], start=2):
        world.clock.advance(minutes=1)
        uc.record_analysis(svc, f"x{i}", n, e, "分析")
    world.clock.advance(days=10)
    uc.refer(svc, "sh", n)
    world.clock.advance(hours=1)
    uc.schedule_meeting(svc, "js", n, world.clock.now() + timedelta(days=1), "腾讯会议")
    uc.convene(svc, "js", n)
    before = db_state(world)
    world.clock.advance(minutes=1)
    with pytest.raises(NotPermitted):
        uc.record_opinion(svc, "x1", n, ex[1], opinion())
    with pytest.raises(NotPermitted):
        uc.record_opinion(svc, "x2", n, ex[0], opinion())
    assert db_state(world) == before
    assert uc.record_opinion(svc, "x1", n, ex[0], opinion())["defect"] == "yes"


def test_expert_may_not_run_the_case(world: World) -> None:
    problems = [p for a in APPLICANT + LEAD + ["edit", "record_absence"]
                if (p := denied(world, "x1", a, ready(world, a)))]
    assert problems == []


def test_expert_sees_only_cases_whose_panel_includes_them(world: World) -> None:
    svc, ex = world.svc, world.experts
    first = run_to(world, "convening")  # panel experts[0..2] → x1, x2, x3
    second = run_to(world, "preliminary_review")
    world.clock.advance(minutes=1)
    uc.form_panel(svc, "sh", second, [ex[1], ex[2], ex[3]])  # x2, x3, x4
    draft = run_to(world, "drafted")

    assert uc.show_case(svc, "x1", first)["number"] == first
    assert uc.show_case(svc, "x4", second)["panel"] == [ex[1], ex[2], ex[3]]
    for who, number in (("x4", first), ("x5", first), ("x1", second), ("x5", second), ("x1", draft)):
        with pytest.raises(NotFound):
            uc.show_case(svc, who, number)
        with pytest.raises(NotFound):
            uc.history(svc, who, number)
    assert [c["number"] for c in uc.list_cases(svc, "x1")] == [first]
    assert sorted(c["number"] for c in uc.list_cases(svc, "x2")) == sorted([first, second])
    assert [c["number"] for c in uc.list_cases(svc, "x4")] == [second]
    assert uc.list_cases(svc, "x5") == []


# --- auditors and strangers -----------------------------------------------------------------------------------


def test_auditor_reads_everything(world: World) -> None:
    svc = world.svc
    archived = run_to(world, "archived")
    draft = run_to(world, "drafted")
    for n in (archived, draft):
        assert uc.show_case(svc, "auditor", n)["number"] == n
        assert uc.history(svc, "auditor", n)[0]["type"] == "CaseOpened"
        assert uc.replay_at(svc, "auditor", n, None)["number"] == n
        assert uc.export_events(svc, "auditor", n)[0]["seq"] == 1
        assert uc.verify_audit(svc, "auditor", n) == []
    assert sorted(c["number"] for c in uc.list_cases(svc, "auditor")) == sorted([archived, draft])
    assert [c["number"] for c in uc.list_cases(svc, "auditor", "archived")] == [archived]
    at = datetime.fromisoformat("2026-10-09T12:00:00+08:00")
    assert uc.replay_at(svc, "auditor", archived, at)["status"] == "convening"
    assert uc.verify_audit(svc, "auditor") == []
    assert [e.id for e in uc.list_experts(svc, "auditor")] == world.experts


def test_auditor_writes_nothing(world: World) -> None:
    svc = world.svc
    problems = [p for a in APPLICANT + LEAD + EXPERT + ["edit", "record_absence"]
                if (p := denied(world, "auditor", a, ready(world, a)))]
    before = db_state(world)
    others: list[tuple[str, Callable[[], Any]]] = [
        ("new_case", lambda: uc.new_case(svc, "auditor", load_example("case.yaml"))),
        ("add_user", lambda: uc.add_user(svc, "auditor", "mallory", "admin")),
        ("add_expert", lambda: uc.add_expert(svc, "auditor", "某专家", "电气", "某院", "研究员", "SH")),
    ]
    for name, fn in others:
        try:
            fn()
            problems.append(f"auditor {name}: was allowed")
        except NotPermitted:
            pass
        except Exception as exc:  # noqa: BLE001
            problems.append(f"auditor {name}: {type(exc).__name__}: {exc}")
    assert problems == []
    assert db_state(world) == before


@pytest.mark.parametrize("who", ["nobody", None, ""])
def test_unknown_user_may_do_nothing(world: World, who: Any) -> None:
    svc = world.svc
    n = run_to(world, "convening")
    reads: list[Callable[[], Any]] = [
        lambda: uc.show_case(svc, who, n), lambda: uc.list_cases(svc, who), lambda: uc.history(svc, who, n),
        lambda: uc.replay_at(svc, who, n, None), lambda: uc.verify_audit(svc, who),
        lambda: uc.export_events(svc, who, n), lambda: uc.list_experts(svc, who),
        lambda: uc.new_case(svc, who, load_example("case.yaml")),
        lambda: uc.add_user(svc, who, "mallory", "admin"),
    ]
    for fn in reads:
        with pytest.raises(NotPermitted):
            fn()
    problems = [p for a in ("convene", "refer", "withdraw", "attach", "record_analysis")
                if (p := denied(world, who, a, n))]
    assert problems == []
