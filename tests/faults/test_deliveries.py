"""Findings 1, 2, 5 and 7 of issue 16: deliveries outlast an SMTP outage (back-off with jitter up to an hour, retried
until the horizon, then abandoned, listed and retried by an admin); a stalled SMTP server costs one timeout per
sweep and the inbox never waits for it; each mail keeps one Message-ID on every try. Over SQLite and PostgreSQL,
everything on loopback."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from conftest import World, run_to
from faultkit import SmtpSink, StallingSmtp, refusing_port
from sqlalchemy import select

from scheduler.sweep import SweepSettings, backoff_delay
from storage import tables as t
from workflow import timekeeping
from workflow.errors import NotPermitted

DUE_DAY = "2026-10-09T09:30:00+08:00"  # the 'before' reminder of a case run to awaiting_experts


def mailing_app(world: World, port: int, timeout: float = 1.0, **reminders: Any) -> Any:
    from huizhen.bootstrap import App

    s = world.app.settings
    email = s.notifications.email.model_copy(update={"enabled": True, "port": port, "timeout_seconds": timeout})
    notifications = s.notifications.model_copy(update={"email": email})
    settings = s.model_copy(update={"notifications": notifications,
                                    "reminders": s.reminders.model_copy(update=reminders)})
    return App(settings=settings, engine=world.app.engine, services=world.app.services)


def ledger(world: World) -> list[dict[str, Any]]:
    with world.app.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(t.reminders).order_by(t.reminders.c.id)).mappings()]


def inbox_keys(world: World) -> list[str]:
    with world.app.engine.connect() as conn:
        return list(conn.execute(select(t.inbox.c.key)).scalars())


def liaison_reminder(row: dict[str, Any]) -> bool:
    """The due-day reminder to the applicant's liaison: one per case and channel. Since issue 12 the panel experts
    are also told (put on the panel, dispatch, the same reminder), so a test about one mail per case picks this."""
    return row["reminder_kind"] == "before" and row["recipient"] == "sh"


def liaison_inbox_keys(world: World) -> list[str]:
    return [k for k in inbox_keys(world) if "|before|" in k and k.endswith("|sh|inbox")]


def cases(world: World, n: int) -> list[str]:
    return [run_to(world, "awaiting_experts") for _ in range(n)]


def test_backoff_doubles_with_jitter_and_is_capped_at_an_hour() -> None:
    settings = SweepSettings()
    waits = [backoff_delay(settings, "k", n) for n in range(1, 20)]
    assert timedelta(seconds=30) <= waits[0] <= timedelta(minutes=1)
    assert all(w <= timedelta(hours=1) for w in waits)
    assert waits[12] >= timedelta(minutes=30)  # capped, not shrinking
    assert backoff_delay(settings, "k", 3) == backoff_delay(settings, "k", 3)  # every process agrees
    assert len({backoff_delay(settings, f"k{i}", 3) for i in range(20)}) > 10  # but keys spread out


def test_a_stalled_smtp_server_costs_one_timeout_per_sweep_and_the_inbox_never_waits(world: World) -> None:
    numbers = cases(world, 4)
    stalled = StallingSmtp()
    try:
        app = mailing_app(world, stalled.port, timeout=1.0, send_concurrency=2)
        world.clock.set(DUE_DAY)
        started = time.monotonic()
        report = app.sweeper().sweep()
        took = time.monotonic() - started
    finally:
        stalled.close()
    assert took < 1.0 * 2 + 1.5, f"the sweep waited {took:.1f} s for a stalled server"
    inbox = [r for r in report.sent if r["channel"] == "inbox"]
    assert sorted(r["case_number"] for r in inbox if liaison_reminder(r)) == sorted(numbers)
    assert len(liaison_inbox_keys(world)) == 4
    keys = inbox_keys(world)
    assert len(keys) == len(set(keys)) == len([r for r in ledger(world) if r["channel"] == "inbox"])  # once each
    mails = [r for r in ledger(world) if r["channel"] == "email"]
    assert len([r for r in mails if liaison_reminder(r)]) == 4 and {r["status"] for r in mails} == {"failed"}
    assert stalled.connections <= 2  # one per worker of the pool; the rest waited for the next sweep


def test_an_smtp_outage_of_hours_loses_nothing_and_each_mail_keeps_one_message_id(world: World) -> None:
    numbers = cases(world, 3)
    port = refusing_port()
    app = mailing_app(world, port)
    world.clock.set(DUE_DAY)
    app.sweeper().sweep()
    sweeper = app.sweeper()
    for _ in range(12):  # six hours of outage, a sweep every half hour (the day's quiet hours included)
        world.clock.advance(minutes=30)
        sweeper.sweep()
    rows = [r for r in ledger(world) if r["channel"] == "email"]
    assert {r["status"] for r in rows} == {"failed"}, "abandoned within hours: the horizon is days"
    assert all(2 <= r["attempts"] <= 12 for r in rows)
    sink = SmtpSink(port=port)
    try:
        world.clock.advance(hours=1, minutes=1)  # past the longest back-off
        report = sweeper.sweep()
        assert sorted(r["case_number"] for r in report.sent if r["channel"] == "email" and liaison_reminder(r)) == \
            sorted(numbers)
        world.clock.advance(hours=2)
        sweeper.sweep()
        owed = [r for r in ledger(world) if r["channel"] == "email"]
        assert {r["status"] for r in owed} == {"sent"}, "nothing lost"
        assert sorted(sink.keys()) == sorted(r["key"] for r in owed)  # each owed mail arrived once
        assert len(set(sink.message_ids())) == len(sink.messages)  # one Message-ID per mail
        assert len([k for k in sink.keys() if "|before|" in k and k.endswith("|sh|email")]) == 3
    finally:
        sink.close()
    keys = inbox_keys(world)
    assert len(keys) == len(set(keys)) == len([r for r in ledger(world) if r["channel"] == "inbox"])
    assert len(liaison_inbox_keys(world)) == 3  # the inbox: exactly once


def test_past_the_horizon_a_mail_is_abandoned_listed_and_an_admin_sends_it_again(world: World) -> None:
    (number,) = cases(world, 1)
    port = refusing_port()
    app = mailing_app(world, port, retry_horizon_days=1.0)
    world.clock.set(DUE_DAY)
    sweeper = app.sweeper()
    sweeper.sweep()
    for _ in range(30):
        world.clock.advance(hours=1, minutes=5)
        sweeper.sweep()
    abandoned = timekeeping.reminders(world.svc, "admin", number, "abandoned")
    assert abandoned and {r["channel"] for r in abandoned} == {"email"}
    (row,) = [r for r in abandoned if liaison_reminder(r)]
    assert row["channel"] == "email" and "refused" in (row["last_error"] or "").lower()
    with pytest.raises(NotPermitted):
        timekeeping.may_retry_deliveries(world.svc, "sh")
    sink = SmtpSink(port=port)
    try:
        report = sweeper.retry_abandoned([row["id"]])
        assert [r["key"] for r in report.sent] == [row["key"]]
        assert sink.keys() == [row["key"]]
    finally:
        sink.close()
    assert [r["id"] for r in timekeeping.reminders(world.svc, "admin", number, "abandoned")] == [
        r["id"] for r in abandoned if r["id"] != row["id"]]  # only what the admin chose left the list
    (again,) = [r for r in ledger(world) if r["id"] == row["id"]]
    assert again["status"] == "sent"
    assert Counter(r["status"] for r in ledger(world) if r["channel"] == "inbox") == Counter(
        {"sent": len([r for r in ledger(world) if r["channel"] == "inbox"])})


def test_quiet_hours_are_logged_once_per_transition(world: World) -> None:
    cases(world, 1)
    sweeper = world.app.sweeper()
    logged: list[str] = []
    sweeper.log = lambda message, context: logged.append(message)
    world.clock.set("2026-10-08T20:00:00+08:00")
    for _ in range(5):  # a night of heartbeats
        sweeper.sweep()
        world.clock.advance(minutes=1)
    world.clock.set(DUE_DAY)
    sweeper.sweep()
    world.clock.set("2026-10-09T18:00:00+08:00")
    sweeper.sweep()
    sweeper.sweep()
    quiet = [m for m in logged if "outside working hours" in m]
    assert len(quiet) == 2 and logged.count("working hours: reminders go out") == 1


def test_a_deadline_moved_later_after_its_overdue_mail_sends_a_correction_to_the_same_people(world: World) -> None:
    import yaml
    from conftest import load_example

    from scheduler.calendar import YEAR_BOOK
    from workflow import usecases as uc

    svc, clk = world.svc, world.clock
    clk.set("2026-12-24T10:00:00+08:00")
    case = uc.new_case(svc, "sh", load_example("case.yaml")).number
    uc.verify(svc, "sh", case, "核实")  # Art. 7: the preliminary verification before the application
    uc.submit(svc, "sh", case)
    uc.form_panel(svc, "sh", case, world.experts[:3])
    uc.attach(svc, "sh", case, "r.txt", b"report", "test_report")
    clk.set("2026-12-29T10:00:00+08:00")
    uc.dispatch(svc, "sh", case)
    clk.set("2027-01-05T09:30:00+08:00")  # the estimate says it was due at 00:00 today: overdue
    world.app.sweeper().sweep()
    told = sorted({r["recipient"] for r in ledger(world) if r["reminder_kind"] == "overdue"})
    assert told
    year = {"year": 2027, "notice": "测试用通知", "holidays": [{"from": "2027-01-01", "to": "2027-01-04", "name": "元旦"}],
            "workdays": []}
    timekeeping.load_calendar_year(svc, "admin", yaml.safe_dump(year, allow_unicode=True), "2027.yaml", YEAR_BOOK)
    clk.set("2027-01-05T10:00:00+08:00")
    report = world.app.sweeper().sweep()
    corrections = [r for r in report.sent if r["reminder_kind"] == "correction"]
    assert sorted(r["recipient"] for r in corrections) == told
    assert all("顺延" in r["subject"] and "2027-01-06" in r["subject"] for r in corrections)
    clk.set("2027-01-05T11:00:00+08:00")
    assert [r for r in world.app.sweeper().sweep().sent if r["reminder_kind"] == "correction"] == []
