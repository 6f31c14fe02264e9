"""Use cases of time: loading a year's official holiday arrangement (and moving the deadlines it touches),
reading the reminder ledger and one's inbox."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any, Protocol

from states import case as domain
from states.case import Deadline
from workflow.errors import NotFound
from workflow.permissions import require_role
from workflow.ports import WorkingCalendarPort
from workflow.usecases import Services, _user


class YearFile(Protocol):
    """A year's official arrangement as loading needs it (read-only: the calendar room's are frozen)."""

    @property
    def year(self) -> int: ...

    @property
    def notice(self) -> str: ...

    @property
    def source(self) -> str: ...

    @property
    def digest(self) -> str: ...

    def canonical(self) -> str: ...


class YearBookPort(Protocol):
    """The calendar room's side of loading a year (``scheduler.calendar.YEAR_BOOK``)."""

    def read(self, content: bytes | str, source: str) -> YearFile:
        """Validate a year file's content; raise InvalidInput naming the place in the file."""
        ...

    def stored(self, row: Mapping[str, Any]) -> YearFile:
        """A year kept in the database, back as an arrangement."""
        ...

    def calendar_with(self, base: WorkingCalendarPort, years: Iterable[YearFile]) -> WorkingCalendarPort:
        """`base` with these official years loaded over its own."""
        ...


@dataclass
class Recomputed:
    year: int
    notice: str
    calendar_version: str
    moved: list[dict[str, Any]] = field(default_factory=list)  # one entry per superseded deadline


def load_calendar_year(svc: Services, actor: str | None, content: bytes | str, source: str,
                       book: YearBookPort, *, preview: bool = False) -> Recomputed:
    """Load a year's official holiday arrangement (admins only): validate the file, keep it, recompute every open
    deadline it moves, supersede the old rows and append the change to each case's history — in one transaction.

    The new calendar is the current one with every stored year and this one over it, so a year another process
    loaded meanwhile is not lost. `source` names the file in messages and in the stored row. With `preview`, the
    same checks and the same list of moved deadlines, and nothing is written: the admin sees what would move first.
    """
    with svc.uow(readonly=preview) as uow:
        user = _user(uow, actor)
        require_role(user, "admin")
        year = book.read(content, source)
        stored = [book.stored(r) for r in uow.calendar_years.all() if r["year"] != year.year]
        new_calendar = book.calendar_with(svc.calendar, [*stored, year])
        report = Recomputed(year.year, year.notice, new_calendar.version)
        now = svc.clock.now()
        if not preview:
            uow.calendar_years.put(year.year, year.notice, year.digest, year.canonical(), year.source, user.name,
                                   now)
        for number in uow.deadlines.open_cases():
            case = uow.cases.load(number, lock=not preview)
            if case is None:
                raise NotFound(f"case {number} has deadlines but no case row", key="case_row_missing",
                               number=number)
            replacements: list[tuple[str, Deadline]] = []
            count = len(case.deadlines)
            for d in case.open_deadlines():
                due = new_calendar.due_from(d.start_at, d.working_days)
                due_at = due.due_at.astimezone(UTC)
                if due_at == d.due_at and due.provisional == d.provisional:
                    continue
                count += 1
                new = Deadline(
                    id=f"{number}/D{count}", kind=d.kind, start_at=d.start_at, working_days=d.working_days,
                    due_at=due_at, due_date=due.due.isoformat(), calendar_version=due.calendar_version,
                    provisional=due.provisional, explanation=due.explain(), supersedes=d.id,
                )
                replacements.append((d.id, new))
                report.moved.append({"case": number, "kind": d.kind, "old_id": d.id, "new_id": new.id,
                                     "old_due_at": d.due_at.isoformat(), "new_due_at": due_at.isoformat(),
                                     "provisional": due.provisional})
            if replacements and not preview:
                version = case.version
                reason = f"日历更新：{year.year}年 {year.notice}"
                event = domain.recompute_deadlines(case, replacements, reason, user.name, now)
                uow.cases.save(case, [event], version)
        if preview:
            return report
        uow.users.log_action(now, user.name, "calendar_load", str(year.year),
                             {"notice": year.notice, "digest": year.digest, "source": year.source,
                              "moved": len(report.moved)})
        uow.commit()
    svc.calendar = new_calendar
    return report


def calendar_years(svc: Services) -> list[dict[str, Any]]:
    with svc.uow(readonly=True) as uow:
        return uow.calendar_years.all()


def reminders(svc: Services, actor: str | None, case_number: str | None = None,
              status: str | None = None) -> list[dict[str, Any]]:
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        rows = uow.reminders.list(case_number, status)
        if user.role not in ("admin", "auditor"):
            rows = [r for r in rows if r["recipient"] == user.name]
        return rows


def abandoned_deliveries(svc: Services, actor: str | None) -> list[dict[str, Any]]:
    """Mails and webhooks given up after the retry horizon (admin): each with its last error, to send again."""
    with svc.uow(readonly=True) as uow:
        require_role(_user(uow, actor), "admin")
        return uow.reminders.list(None, "abandoned")


def may_retry_deliveries(svc: Services, actor: str | None) -> None:
    """Sending abandoned deliveries again is an admin's (the shell then asks the scheduler's sweeper to send)."""
    with svc.uow(readonly=True) as uow:
        require_role(_user(uow, actor), "admin")


def inbox(svc: Services, actor: str | None, mark_read: bool = False) -> list[dict[str, Any]]:
    with svc.uow() as uow:
        user = _user(uow, actor)
        items = uow.inbox.of(user.name)
        if mark_read:
            uow.inbox.mark_read(user.name, svc.clock.now())
        uow.commit()
        return items


def notification_prefs(svc: Services, actor: str | None, name: str | None = None) -> dict[str, Any]:
    """A person's notification preferences (issue 12): theirs, or anyone's for an admin."""
    from workflow.web_usecases import _target

    with svc.uow(readonly=True) as uow:
        me = _user(uow, actor)
    target = _target(svc, actor, name or me.name, "see notification preferences")
    return {"name": target.name, "email": target.email_notices, "inbox": True, "address": target.email}


def set_email_notices(svc: Services, actor: str | None, name: str, on: bool) -> dict[str, Any]:
    """Mail on or off for NAME (the person themself, or an admin); the in-app inbox stays on."""
    from workflow.web_usecases import _target

    target = _target(svc, actor, name, "change notification preferences")
    with svc.uow() as uow:
        uow.users.set_email_notices(target.name, on)
        uow.commit()
    return notification_prefs(svc, actor, target.name)
