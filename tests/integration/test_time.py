"""Deadlines as rows, reminders that fire exactly once, the calendar past 2026 — over SQLite and PostgreSQL,
with a real SMTP server and a real HTTP server on loopback."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import yaml
from conftest import World, load_example, run_to
from sqlalchemy import select

from scheduler.calendar import YEAR_BOOK
from states.beijing import BEIJING
from states.errors import InvalidInput
from storage import tables as t
from workflow import timekeeping
from workflow import usecases as uc
from workflow.errors import NotPermitted


def sweep_at(world: World, iso: str, app: Any = None) -> Any:
    world.clock.set(iso)
    return (app or world.app).sweeper().sweep()


def ledger(world: World) -> list[dict[str, Any]]:
    with world.app.engine.connect() as conn:
        rows = conn.execute(select(t.reminders).order_by(t.reminders.c.id)).mappings()
        return [dict(r) for r in rows]


def test_deadline_rows_and_show(world: World) -> None:
    case = run_to(world, "awaiting_experts")
    shown = uc.show_case(world.svc, "sh", case)
    (t1,) = shown["deadlines"]
    assert t1["kind"] == "expert_analysis"
    assert t1["status"] == "armed" and t1["provisional"] is False and t1["overdue"] is False
    assert datetime.fromisoformat(t1["due_at"]) == datetime(2026, 10, 9, 16, 0, tzinfo=UTC)  # 10-10 00:00 Beijing
    assert "国庆节" in t1["explanation"]
    world.clock.set("2026-10-10T00:00:00+08:00")
    assert uc.show_case(world.svc, "sh", case)["deadlines"][0]["overdue"] is True
    with world.app.engine.connect() as conn:
        row = conn.execute(select(t.deadlines).where(t.deadlines.c.case_number == case)).mappings().one()
    assert row["status"] == "armed" and row["working_days"] == 3 and row["due_date"] == "2026-10-09"


def test_reminders_before_due_overdue_and_only_in_working_hours(world: World) -> None:
    case = run_to(world, "awaiting_experts")  # T1 due 2026-10-10 00:00 Beijing; applicant SH, lead JS
    assert sweep_at(world, "2026-10-09T08:30:00+08:00").deferred  # before working hours
    report = sweep_at(world, "2026-10-09T09:30:00+08:00")
    # The applicant's liaison and the late experts (issue 12: none of the panel has answered yet).
    assert sorted((r["reminder_kind"], r["recipient"], r["channel"]) for r in report.sent) == [
        ("before", "sh", "inbox"), ("before", "x1", "inbox"), ("before", "x2", "inbox"), ("before", "x3", "inbox")]
    assert sweep_at(world, "2026-10-09T16:00:00+08:00").sent == []  # claimed once, never again
    # 2026-10-10 is a Saturday worked in lieu (调休): the overdue reminder goes to both institutions at 09:00.
    assert sweep_at(world, "2026-10-10T08:59:00+08:00").deferred
    report = sweep_at(world, "2026-10-10T09:00:00+08:00")
    assert sorted((r["reminder_kind"], r["recipient"]) for r in report.sent) == [
        ("overdue", "js"), ("overdue", "sh"), ("overdue", "x1"), ("overdue", "x2"), ("overdue", "x3")]
    assert sweep_at(world, "2026-10-11T10:00:00+08:00").deferred  # Sunday: no reminders
    inbox = timekeeping.inbox(world.svc, "sh")
    assert [i["subject"].startswith("【会诊提醒】") for i in inbox] == [True, False]
    assert all(case in i["subject"] for i in inbox)


def test_scheduler_down_three_working_days_catches_up_each_reminder_once_in_order(world: World) -> None:
    run_to(world, "awaiting_experts")
    sweep_at(world, "2026-10-09T09:30:00+08:00")  # the 'before' reminder, then the scheduler stops
    # Down over 10-10 (Sat, worked), 10-12 and 10-13; restarted on 10-14 at 10:00.
    report = sweep_at(world, "2026-10-14T10:00:00+08:00")
    sent = [(r["reminder_kind"], r["scheduled_at"].astimezone(UTC), r["recipient"]) for r in report.sent
            if not r["recipient"].startswith("x")]  # the late experts' own reminders: test_notices
    days = [s[1].date() for s in sent]
    assert days == sorted(days), "catch-up must go out oldest first"
    expected_days = {date(2026, 10, 10), date(2026, 10, 12), date(2026, 10, 13), date(2026, 10, 14)}
    assert {s[1].astimezone(BEIJING).date() for s in sent} == expected_days
    assert len(sent) == 8  # four working days × two institutions' liaisons
    assert sweep_at(world, "2026-10-14T10:05:00+08:00").sent == []
    keys = [r["key"] for r in ledger(world) if r["deadline_id"]]  # the reminders (not issue 12's notices)
    assert len(keys) == len(set(keys)) == 9 + 3 * 5  # and the three late experts' 1 + 4 each


def test_met_deadline_stops_reminders(world: World) -> None:
    case = run_to(world, "awaiting_experts")
    sweep_at(world, "2026-10-09T09:30:00+08:00")
    world.clock.set("2026-10-09T11:00:00+08:00")
    for i, e in enumerate(world.experts[:3], start=1):
        uc.record_analysis(world.svc, f"x{i}", case, e, "分析")
    world.clock.set("2026-10-09T11:30:00+08:00")
    uc.refer(world.svc, "sh", case)
    report = sweep_at(world, "2026-10-12T10:00:00+08:00")
    assert all(r["deadline_kind"] != "expert_analysis" for r in report.sent)
    shown = uc.show_case(world.svc, "sh", case)
    assert [(d["kind"], d["status"]) for d in shown["deadlines"]] == [("expert_analysis", "met"), ("convening", "armed")]


def test_concurrent_sweeps_send_nothing_twice(world: World) -> None:
    for _ in range(3):
        run_to(world, "awaiting_experts")
    world.clock.set("2026-10-14T10:00:00+08:00")
    sweepers = [world.app.sweeper() for _ in range(4)]
    barrier = threading.Barrier(len(sweepers))
    reports: list[Any] = []
    errors: list[BaseException] = []

    def go(s: Any) -> None:
        try:
            barrier.wait()
            reports.append(s.sweep())
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(s,)) for s in sweepers]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    sent = [r["key"] for rep in reports for r in rep.sent]
    # Each case: four overdue days × (two liaisons + three late experts); the "due today" one came after the
    # deadline and is skipped (issue 12).
    assert len(sent) == len(set(sent)) == 3 * 4 * 5
    assert {r["reminder_kind"] for rep in reports for r in rep.skipped} == {"before"}
    with world.app.engine.connect() as conn:  # and each case's six notices (panel, dispatch) from before
        assert len(conn.execute(select(t.inbox)).all()) == 3 * (4 * 5 + 6)


YEAR_2027 = {
    "year": 2027,
    "notice": "测试用：国务院办公厅关于2027年部分节假日安排的通知",
    "holidays": [{"from": "2027-01-01", "to": "2027-01-04", "name": "元旦"}],
    "workdays": [],
}


def test_loading_a_year_moves_open_deadlines_supersedes_and_records(world: World) -> None:
    svc, clk = world.svc, world.clock
    clk.set("2026-12-24T10:00:00+08:00")
    case = uc.new_case(svc, "sh", load_example("case.yaml")).number
    uc.verify(svc, "sh", case, "核实")
    uc.submit(svc, "sh", case)
    uc.form_panel(svc, "sh", case, world.experts[:3])
    uc.attach(svc, "sh", case, "r.txt", b"report", "test_report")
    clk.set("2026-12-29T10:00:00+08:00")
    uc.dispatch(svc, "sh", case)
    (before,) = uc.show_case(svc, "sh", case)["deadlines"]
    assert before["provisional"] is True and before["due_date"] == "2027-01-04"
    version = uc.show_case(svc, "sh", case)["version"]

    content = yaml.safe_dump(YEAR_2027, allow_unicode=True)
    clk.set("2026-12-30T09:00:00+08:00")
    with pytest.raises(NotPermitted):  # the role is checked before the file is even read
        timekeeping.load_calendar_year(svc, "sh", "not: [a year file", "test-2027.yaml", YEAR_BOOK)
    with pytest.raises(InvalidInput) as bad:  # nothing is written when the file is wrong
        timekeeping.load_calendar_year(svc, "admin", content.replace("2027-01-04", "2026-01-04"), "bad.yaml", YEAR_BOOK)
    assert (bad.value.key, bad.value.field) == ("year_file_invalid", "holidays[0].to")
    assert uc.show_case(svc, "sh", case)["version"] == version and timekeeping.calendar_years(svc) == []
    report = timekeeping.load_calendar_year(svc, "admin", content.encode("utf-8"), "test-2027.yaml", YEAR_BOOK)
    assert (report.year, report.calendar_version) == (2027, svc.calendar.version)
    assert [(m["case"], m["kind"]) for m in report.moved] == [(case, "expert_analysis")]

    shown = uc.show_case(svc, "sh", case)
    old, new = shown["deadlines"]
    assert old["status"] == "superseded" and new["status"] == "armed"
    assert new["due_date"] == "2027-01-05" and new["provisional"] is False and new["supersedes"] == old["id"]
    assert shown["version"] == version + 1
    last = uc.history(svc, "auditor", case)[-1]
    assert last["type"] == "DeadlinesRecomputed" and "2027" in last["payload"]["reason"]
    with world.app.engine.connect() as conn:
        rows = {r.id: r.status for r in conn.execute(select(t.deadlines).where(t.deadlines.c.case_number == case))}
    assert rows == {old["id"]: "superseded", new["id"]: "armed"}
    assert uc.verify_audit(svc, "auditor") == []
    assert [r["year"] for r in timekeeping.calendar_years(svc)] == [2027]
    # loading the same year again moves nothing: the calendar already counts with it
    again = timekeeping.load_calendar_year(svc, "admin", content, "test-2027.yaml", YEAR_BOOK)
    assert again.moved == [] and again.calendar_version == report.calendar_version


# --- channels on loopback -----------------------------------------------------------------------------------


@pytest.fixture
def smtp_server() -> Any:
    from aiosmtpd.controller import Controller

    class Collect:
        def __init__(self) -> None:
            self.messages: list[Any] = []

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            self.messages.append(envelope)
            return "250 OK"

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, handler
    controller.stop()


class Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    fail_first = 0

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Hook.fail_first > 0:
            Hook.fail_first -= 1
            self.send_response(503)
            self.end_headers()
            return
        Hook.received.append({"body": json.loads(body), "key": self.headers["X-Huizhen-Reminder-Key"]})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook_server() -> Any:
    Hook.received = []
    Hook.fail_first = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def with_channels(world: World, smtp_port: int | None = None, hook_url: str | None = None) -> Any:
    from huizhen.bootstrap import App

    s = world.app.settings
    n = s.notifications
    email = n.email.model_copy(update={"enabled": smtp_port is not None, "port": smtp_port or 25})
    hook = n.webhook.model_copy(update={"enabled": hook_url is not None, "url": hook_url})
    settings = s.model_copy(update={"notifications": n.model_copy(update={"email": email, "webhook": hook})})
    return App(settings=settings, engine=world.app.engine, services=world.app.services)


def test_email_goes_through_a_real_smtp_server(world: World, smtp_server: Any) -> None:
    controller, handler = smtp_server
    app = with_channels(world, smtp_port=controller.port)
    case = run_to(world, "awaiting_experts")
    report = sweep_at(world, "2026-10-09T09:30:00+08:00", app)
    # The applicant's liaison (and, issue 12, the three late experts: tests/unit/test_notices.py).
    assert sorted(r["channel"] for r in report.sent if r["recipient"] == "sh") == ["email", "inbox"]
    (mail,) = [m for m in handler.messages if m.rcpt_tos == ["sh@example.org"]]
    text = mail.content.decode("utf-8", "replace")
    assert "X-Huizhen-Reminder-Key" in text
    assert sweep_at(world, "2026-10-09T10:30:00+08:00", app).sent == []
    assert len(handler.messages) == 4
    rows = timekeeping.reminders(world.svc, "auditor", case)
    assert {(r["channel"], r["status"]) for r in rows} == {("email", "sent"), ("inbox", "sent")}


def test_failed_webhook_is_retried_and_never_lost_or_doubled(world: World, webhook_server: Any) -> None:
    url = f"http://127.0.0.1:{webhook_server.server_address[1]}/hook"
    app = with_channels(world, hook_url=url)
    case = run_to(world, "awaiting_experts")
    for i, e in enumerate(world.experts[:3], start=1):  # the panel answered: only the applicant is reminded
        uc.record_analysis(world.svc, f"x{i}", case, e, "分析")
    Hook.fail_first = 1
    report = sweep_at(world, "2026-10-09T09:30:00+08:00", app)
    assert [r["channel"] for r in report.failed] == ["webhook"]
    assert Hook.received == []
    report = sweep_at(world, "2026-10-09T09:31:00+08:00", app)  # the next sweep retries it
    assert [r["channel"] for r in report.sent] == ["webhook"]
    assert len(Hook.received) == 1 and Hook.received[0]["body"]["reminder_kind"] == "before"
    sweep_at(world, "2026-10-09T09:40:00+08:00", app)
    assert len(Hook.received) == 1
    (row,) = [r for r in ledger(world) if r["channel"] == "webhook"]
    assert row["status"] == "sent" and row["attempts"] == 2


def test_daemon_catches_up_at_start(world: World) -> None:
    run_to(world, "awaiting_experts")
    world.clock.set("2026-10-12T10:00:00+08:00")
    reports: list[Any] = []
    stop = threading.Event()
    daemon = world.app.daemon(on_report=lambda r: (reports.append(r), stop.set()))
    logged: list[tuple[str, dict[str, Any]]] = []
    daemon.log = lambda message, context: logged.append((message, context))
    runner = threading.Thread(target=daemon.run, args=(stop,), daemon=True)
    runner.start()
    assert stop.wait(20), "the catch-up sweep did not run at start"
    runner.join(10)
    assert daemon.sweeps >= 1
    assert [m for m in logged if "failed" in m[0]] == []
    # Started after the deadline: the overdue reminders go out, the "due today" one is skipped (issue 12).
    assert {r["reminder_kind"] for r in reports[0].sent} == {"overdue"}
    assert {r["reminder_kind"] for r in reports[0].skipped} == {"before"}
