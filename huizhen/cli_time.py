"""Time on the command line: the working-day calendar, the scheduler, reminders and the inbox."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import typer
from rich.table import Table

from huizhen.calendars import build_calendar, stored_years
from huizhen.cli import JsonOpt, actor, emit_json, err, get_app, local, out
from huizhen.clock import clock_from_env, parse_instant
from huizhen.config import load_settings
from huizhen.logs import log_event
from scheduler.calendar import YEAR_BOOK, WorkingCalendar
from states.beijing import beijing_day
from states.errors import InvalidInput
from states.status import DEADLINE_LABELS

calendar_app = typer.Typer(no_args_is_help=True, help="The Chinese working-day calendar (工作日).")
scheduler_app = typer.Typer(no_args_is_help=True, help="The deadline sweep and its daemon.")
reminders_app = typer.Typer(no_args_is_help=True, help="The reminder ledger.")
commands = typer.Typer()  # top-level commands (the inbox); huizhen/cli/main.py registers all four


def _timekeeping() -> ModuleType:
    """The use cases of time, imported by the commands that run them (not by `calendar due`: a quick start)."""
    from workflow import timekeeping

    return timekeeping


def _calendar_without_login() -> WorkingCalendar:
    """The package, the shipped and configured year files, and the database's years when there is a database."""
    settings = load_settings()
    stored = stored_years(settings.sqlalchemy_url())
    return build_calendar(settings, stored)


def _date(text: str, field: str) -> date:
    text = text.strip()
    if len(text) == 10:
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    else:
        return beijing_day(parse_instant(text, field))
    raise InvalidInput(f"{field}: {text!r} is not a date (YYYY-MM-DD)", key="date_invalid", field=field.lower(),
                       value=text)


def _due_json(due: Any) -> dict[str, Any]:
    return {
        "start": due.start.isoformat(),
        "working_days": due.working_days,
        "due": due.due.isoformat(),
        "due_at": due.due_at.isoformat(),
        "provisional": due.provisional,
        "skipped": [{"date": d.isoformat(), "reason": why} for d, why in due.skipped],
        "explanation": due.explain(),
        "calendar_version": due.calendar_version,
    }


@calendar_app.command("due")
def calendar_due(start: Annotated[str, typer.Argument(metavar="START")],
                 n: Annotated[int, typer.Argument(metavar="N", help="working days")], as_json: JsonOpt = False) -> None:
    """The due date N working days after START (the start day never counts). Needs no database."""
    if n < 1 or n > 1000:
        raise InvalidInput(f"N: must be from 1 to 1000, not {n}", key="working_days_out_of_range",
                           field="working_days", working_days=n, first=1, last=1000)
    due = _calendar_without_login().add_working_days(_date(start, "START"), n)
    if as_json:
        return emit_json(_due_json(due))
    out.print(f"{due.due.isoformat()}")
    out.print(due.explain())


@calendar_app.command("is-workday")
def calendar_is_workday(day: Annotated[str, typer.Argument(metavar="DATE")], as_json: JsonOpt = False) -> None:
    """Whether DATE is a working day, and why. Needs no database."""
    d = _date(day, "DATE")
    workday, reason, provisional = _calendar_without_login().day_kind(d)
    if as_json:
        return emit_json({"date": d.isoformat(), "workday": workday, "reason": reason, "provisional": provisional})
    flag = "（预估）" if provisional else ""
    out.print(f"{'yes' if workday else 'no'}  {d.isoformat()} {reason}{flag}")


@calendar_app.command("status")
def calendar_status() -> None:
    """What the calendar knows, and a warning when next year's official arrangement is missing."""
    today = beijing_day(clock_from_env().now())
    cal = _calendar_without_login()
    for line in cal.status(today):
        (err if line.startswith("WARNING") else out).print(line)


@calendar_app.command("load")
def calendar_load(file: Annotated[Path, typer.Argument(metavar="FILE")], as_json: JsonOpt = False,
                  preview: Annotated[bool, typer.Option("--preview", help="List the deadlines it would move; "
                                                        "write nothing.")] = False) -> None:
    """Load a year's official arrangement (admin); open deadlines it moves are recomputed and recorded."""
    a = get_app()
    try:
        content = file.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"FILE: {file} not found", key="file_not_found", field="file", path=str(file)) from None
    except OSError as exc:
        raise InvalidInput(f"FILE: {file}: cannot read: {exc.strerror or exc}", key="file_unreadable",
                           field="file", path=str(file)) from None
    report = _timekeeping().load_calendar_year(a.services, actor(), content, str(file), YEAR_BOOK,
                                               preview=preview)
    if as_json:
        return emit_json(report.__dict__ | {"preview": preview})
    done = "checked (preview: nothing written)" if preview else "loaded"
    out.print(f"calendar {report.year} {done} ({report.notice}); calendar version {report.calendar_version}")
    for m in report.moved:
        out.print(f"  {m['case']} {DEADLINE_LABELS.get(m['kind'], m['kind'])}: {local(m['old_due_at'])} → "
                  f"{local(m['new_due_at'])}{'（预估）' if m['provisional'] else ''}")
    out.print(f"{len(report.moved)} open deadline(s) {'would move' if preview else 'moved'}")


def _report_rows(report: Any) -> list[dict[str, Any]]:
    return [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items() if k != "body"}
            for r in report.sent]


@scheduler_app.command("sweep")
def scheduler_sweep(as_json: JsonOpt = False) -> None:
    """One sweep at the clock's now (HUIZHEN_NOW to freeze it); prints what it sent."""
    a = get_app()
    caught = a.outbox.catch_up(a.services)
    from huizhen import daily_checkpoint

    daily_checkpoint.run(a, log_event)
    report = a.sweeper().sweep()
    if as_json:
        return emit_json({"at": report.at.isoformat(), "deferred": report.deferred, "sent": _report_rows(report),
                          "failed": [r["key"] for r in report.failed], "caught_up": caught})
    lines = [f"caught up: invitations or minutes of {n} that had not gone out" for n in caught] + report.lines()
    for line in lines:
        out.print(line)
    if not lines:
        out.print("nothing due")


@scheduler_app.command("run")
def scheduler_run() -> None:
    """The daemon: sweeps on a heartbeat and at each due instant; catches up at start. Ctrl-C stops it."""
    from huizhen.logs import setup_logging

    a = get_app()
    log_file = a.settings.resolve(a.settings.log_file) if a.settings.log_file else None
    setup_logging(log_file, level="INFO")
    from loguru import logger

    def show(report: Any) -> None:
        for line in report.lines():
            logger.info(line)

    daemon = a.daemon(on_report=show)
    logger.bind(heartbeat=a.settings.reminders.heartbeat_seconds, pid=os.getpid()).info("scheduler started")
    try:
        daemon.run()
    except (KeyboardInterrupt, SystemExit):
        logger.info("scheduler stopped")


STATUSES = ("claimed", "sent", "failed", "abandoned")


@reminders_app.command("list")
def reminders_list(case: Annotated[str | None, typer.Option("--case", metavar="CASE")] = None,
                   status: Annotated[str | None, typer.Option(
                       "--status", metavar="STATUS",
                       help="claimed, sent, failed (retrying) or abandoned (past the retry horizon)")] = None,
                   as_json: JsonOpt = False) -> None:
    """Reminders, invitations and minutes in the ledger (yours; all of them for admins and auditors)."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"the status must be one of {', '.join(STATUSES)}", key="delivery_status_unknown",
                           field="status", choices=", ".join(STATUSES))
    rows = _timekeeping().reminders(get_app().services, actor(), case, status)
    shown = [{"id": r["id"],
        "case": r["case_number"], "deadline_kind": r["deadline_kind"], "reminder_kind": r["reminder_kind"],
        "recipient": r["recipient"], "channel": r["channel"],
        "scheduled_at": r["scheduled_at"].isoformat(), "status": r["status"], "attempts": r["attempts"],
        "sent_at": r["sent_at"].isoformat() if r["sent_at"] else None, "last_error": r["last_error"],
    } for r in rows]
    if as_json:
        return emit_json(shown)
    table = Table("ID", "案件", "期限", "提醒", "收件人", "渠道", "发送时间", "状态", "尝试", "最近错误")
    for r in shown:
        table.add_row(str(r["id"]), r["case"], DEADLINE_LABELS.get(r["deadline_kind"], r["deadline_kind"]),
                      r["reminder_kind"], r["recipient"], r["channel"], local(r["sent_at"]), r["status"],
                      str(r["attempts"]), (r["last_error"] or "")[:60])
    out.print(table)


@reminders_app.command("retry")
def reminders_retry(ids: Annotated[list[int] | None, typer.Argument(metavar="[ID...]")] = None,
                    as_json: JsonOpt = False) -> None:
    """Send abandoned deliveries again now (all of them, or those IDs from `reminders list --status abandoned`);
    admin. One that fails again goes back to abandoned with its new error."""
    a = get_app()
    _timekeeping().may_retry_deliveries(a.services, actor())
    report = a.sweeper().retry_abandoned(ids or None)
    if as_json:
        return emit_json({"sent": [r["key"] for r in report.sent], "failed": [r["key"] for r in report.failed]})
    for line in report.lines():
        out.print(line)
    out.print(f"{len(report.sent)} sent, {len(report.failed)} failed again")


@commands.command("inbox")
def inbox(as_json: JsonOpt = False,
          mark_read: Annotated[bool, typer.Option("--mark-read", help="Mark everything read.")] = False) -> None:
    """Your in-app messages (reminders)."""
    items = _timekeeping().inbox(get_app().services, actor(), mark_read)
    shown = [{"case": i["case_number"], "subject": i["subject"], "body": i["body"],
              "created_at": i["created_at"].isoformat(), "read": i["read_at"] is not None} for i in items]
    if as_json:
        return emit_json(shown)
    for i in shown:
        out.print(f"{'  ' if i['read'] else '● '}{local(i['created_at'])}  {i['subject']}")
    err.print(f"{len(shown)} message(s), {sum(not i['read'] for i in shown)} unread")



