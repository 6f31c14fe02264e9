"""After-commit handlers: the invitation when a meeting is scheduled or changed, the minutes when they are issued.

They run after the transaction that recorded the event (ARCHITECTURE decision 7). Each message is claimed in the
ledger under a unique key before it goes out, so a retry never doubles it; a failed send is retried by the sweep.
Each delivery of the minutes is then recorded in the case's history.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from loguru import logger

from huizhen.invitations import build_ics
from huizhen.labels import beijing_text, label
from huizhen.notify import tell
from scheduler.sweep import Outgoing, Sweeper
from states.case import Event
from workflow import usecases as uc
from workflow.documents import minutes_context
from workflow.ports import Attachment, User
from workflow.usecases import Services

MINUTES = "minutes"
INVITATION = "invitation"


def _users(svc: Services, names: Sequence[str]) -> list[User]:
    with svc.uow(readonly=True) as uow:
        return [u for u in (uow.users.get(n) for n in names) if u is not None]


def invitation_recipients(svc: Services, case: dict[str, Any]) -> list[User]:
    """The panel's expert users and the institutions' staff attending (Art. 8(4))."""
    meeting = case["meeting"] or {}
    with svc.uow(readonly=True) as uow:
        experts = [u for u in uow.users.all() if u.role == "expert" and u.expert_id in case["panel"]]
    staff = _users(svc, [a["user"] for a in meeting.get("attendees", [])])
    seen: dict[str, User] = {}
    for u in experts + staff:
        seen.setdefault(u.name, u)
    return list(seen.values())


def minutes_recipients(svc: Services, case: dict[str, Any]) -> list[User]:
    """Every other institution's liaisons (抄送, Art. 8(7))."""
    cc = (case.get("minutes") or {}).get("cc", [])
    with svc.uow(readonly=True) as uow:
        return [u for code in cc for u in uow.users.liaisons_of(code)]


def render_minutes_pdf(svc: Services, number: str, issue_no: int | None = None) -> bytes:
    from huizhen.papers import render_minutes

    ctx = minutes_context(svc, uc.SYSTEM, number, issue_no)
    with tempfile.TemporaryDirectory() as tmp:
        out = render_minutes(ctx, Path(tmp) / "minutes.pdf")
        return out.read_bytes()


class Outbox:
    """Sends what an event asks to be sent. Every message is claimed under a key that names what it is, so sending
    the same thing again (a retry, a catch-up, a second process) is a no-op."""

    def __init__(self, sweeper_factory: Callable[[], Sweeper]) -> None:
        self.sweeper_factory = sweeper_factory

    def __call__(self, number: str, events: Sequence[Event], svc: Services) -> None:
        try:  # the person who must act is told (issue 12: huizhen.notify)
            tell(svc, self.sweeper_factory(), number, events, svc.clock.now())
        except Exception as exc:  # as below: logged, never rolls back the decision
            logger.bind(case=number, error=f"{type(exc).__name__}: {exc}").warning("notices failed")
        for ev in events:
            try:
                if ev.type in ("MeetingScheduled", "MeetingCancelled"):
                    self.invite(svc, number, ev.occurred_at)
                elif ev.type == "MinutesIssued":
                    self.send_minutes(svc, number, ev.occurred_at)
                elif ev.type == "MinutesCorrected":  # a correction is a new issue: cc'd like the first (Art. 8(7))
                    self.send_minutes(svc, number, ev.occurred_at, int(ev.payload["issue_no"]))
            except Exception as exc:  # the decision is recorded; delivery problems are logged, never roll back
                logger.bind(event=ev.type, error=f"{type(exc).__name__}: {exc}").warning("after-commit handler failed")

    def catch_up(self, svc: Services, window: timedelta = timedelta(days=30)) -> list[str]:
        """Send what a crash between commit and send left unsent (ARCHITECTURE decision 7): the minutes issued in
        the last `window`, and the invitation of every meeting still ahead. Returns the case numbers it sent for.

        It reads the pending-delivery rows (written with the event that owes the delivery), not every later-state
        case: a row is settled once nothing more can be owed (the minutes older than the window, a meeting that is
        past or no longer convening), so the catch-up costs the same whatever the archive holds."""
        now = svc.clock.now()
        with svc.uow(readonly=True) as uow:
            owed = uow.cases.owed_deliveries()
            cases = {n: uow.cases.snapshot(n) for n in sorted({row["case_number"] for row in owed})}
        caught: list[str] = []
        settled: list[dict[str, Any]] = []
        channels = self._channels_for(svc) if owed else []
        wanted_of: dict[tuple[str, str, int], set[str]] = {}
        for row in owed:
            number, case = row["case_number"], cases.get(row["case_number"])
            minutes, meeting = (case or {}).get("minutes"), (case or {}).get("meeting")
            if row["what"] == "minutes":
                # The first issue and each numbered correction (issue 12, Art. 8(7)) are owed under their own keys.
                issues = [minutes, *((case or {}).get("minutes_corrections") or [])] if minutes else []
                recent = [(n, i) for n, i in enumerate(issues, start=1)
                          if datetime.fromisoformat(i["issued_at"]) >= now - window]
                if not recent:
                    settled.append(row)
                    continue
                for issue_no, _ in recent:
                    wanted_of[(number, "minutes", issue_no)] = {
                        minutes_key(number, u.name, ch, issue_no)
                        for u in minutes_recipients(svc, case or {}) for ch in channels}
            else:
                if (case or {}).get("status") != "convening" or not meeting or \
                        datetime.fromisoformat(meeting["at"]) <= now:
                    settled.append(row)
                    continue
                wanted_of[(number, "invitation", 0)] = {
                    invitation_key(number, meeting["sequence"], u.name, ch)
                    for u in invitation_recipients(svc, case or {}) for ch in channels}
        with svc.uow(readonly=True) as uow:
            known = uow.reminders.present(k for keys in wanted_of.values() for k in keys)
        for (number, what, issue_no), wanted in wanted_of.items():
            if not wanted - known:
                continue
            case = cases[number] or {}
            try:
                if what == "minutes":
                    issued = case["minutes"] if issue_no == 1 else case["minutes_corrections"][issue_no - 2]
                    self.send_minutes(svc, number, datetime.fromisoformat(issued["issued_at"]), issue_no)
                else:
                    self.invite(svc, number, now)
                caught.append(number)
            except Exception as exc:  # one case's trouble does not stop the others; the next sweep tries again
                logger.bind(case=number, error=f"{type(exc).__name__}: {exc}").warning("outbox catch-up failed")
        if settled:
            with svc.uow() as uow:
                for row in settled:
                    uow.cases.settle_delivery(row["case_number"], row["what"], row["owed_at"])
                uow.commit()
        return caught

    def _channels_for(self, svc: Services) -> list[str]:
        return self.sweeper_factory().channel_names()

    def invite(self, svc: Services, number: str, at: datetime) -> None:
        case = snapshot(svc, number)
        meeting = case["meeting"]
        people = invitation_recipients(svc, case)
        ics = build_ics(number, case["product"].get("name", ""), meeting, svc.policy.members.get(case["lead"], ""),
                        [(u.display_name or u.name, u.email) for u in people], svc.clock.now())
        verb = "取消" if meeting.get("cancelled") else ("更新" if meeting["sequence"] else "邀请")
        subject = f"【会诊{verb}】{number} {case['product'].get('name', '')} 线上专家会诊"
        body = f"会诊时间：{beijing_text(meeting['at'])}\n平台：{meeting['platform']}\n链接：{meeting.get('link') or '—'}"
        sweeper = self.sweeper_factory()
        method = "CANCEL" if meeting.get("cancelled") else "REQUEST"
        attachment = Attachment("invite.ics", f"text/calendar; method={method}", ics)
        with sweeper.batch():  # the inbox first; mails concurrently, one timeout at most for a stalled server
            self._invite_each(sweeper, number, at, meeting, people, subject, body, attachment)

    @staticmethod
    def _invite_each(sweeper: Sweeper, number: str, at: datetime, meeting: dict[str, Any], people: list[User],
                     subject: str, body: str, attachment: Attachment) -> None:
        for person in people:
            for channel in sweeper.channel_names():
                key = invitation_key(number, meeting["sequence"], person.name, channel)
                sweeper.deliver(Outgoing(key=key, case_number=number, kind=INVITATION, scheduled_at=at,
                                         due_at=at, recipient=person, channel=channel, subject=subject,
                                         body=body, attachments=(attachment,)))

    def send_minutes(self, svc: Services, number: str, at: datetime, issue_no: int = 1) -> None:
        case = snapshot(svc, number)
        pdf = render_minutes_pdf(svc, number, issue_no)
        minutes = case["minutes"] if issue_no == 1 else case["minutes_corrections"][issue_no - 2]
        which = minutes["document_number"] + (f" 第{issue_no}号（更正第{minutes['corrects']}号）" if issue_no > 1 else "")
        subject = f"【会议纪要】{which} {case['product'].get('name', '')}"
        body = (f"{minutes['title']}（{which}）已印发，请查收附件。\n"
                f"会诊意见：{label('outcome', minutes['decision'])}\n后续工作：{minutes['follow_up']}")
        if issue_no > 1:
            body += f"\n更正理由：{minutes.get('reason', '')}"
        sweeper = self.sweeper_factory()
        attachment = Attachment(f"{number}-会议纪要.pdf", "application/pdf", pdf)
        with sweeper.batch():
            for person in minutes_recipients(svc, case):
                for channel in sweeper.channel_names():
                    sweeper.deliver(Outgoing(key=minutes_key(number, person.name, channel, issue_no),
                                             case_number=number,
                                             kind=MINUTES, scheduled_at=at, due_at=at, recipient=person,
                                             channel=channel, subject=subject, body=body,
                                             attachments=(attachment,)))


def minutes_key(number: str, recipient: str, channel: str, issue_no: int = 1) -> str:
    # The first issue keeps the key it always had (deliveries recorded before corrections existed still match).
    if issue_no == 1:
        return f"{number}|{MINUTES}|{recipient}|{channel}"
    return f"{number}|{MINUTES}|{issue_no}|{recipient}|{channel}"


def invitation_key(number: str, sequence: int, recipient: str, channel: str) -> str:
    return f"{number}|{INVITATION}|{sequence}|{recipient}|{channel}"


def record_minutes_delivery(svc: Services, row: dict[str, Any]) -> None:
    """A copy of the minutes reached an institution: the case's history says so (Art. 8(7), 抄送)."""
    if row["reminder_kind"] == MINUTES:
        uc.record_delivery(svc, row["case_number"], MINUTES, row["recipient"], row["channel"], row["key"])


def snapshot(svc: Services, number: str) -> dict[str, Any]:
    with svc.uow(readonly=True) as uow:
        snap = uow.cases.snapshot(number)
    if snap is None:
        raise LookupError(f"case {number} vanished")
    return snap
