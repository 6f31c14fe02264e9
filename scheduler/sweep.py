"""The deadline sweep: find every reminder whose time has come, claim it in the ledger, send it, record the result.

Safe to run from several processes at once and to re-run after a crash: a reminder is claimed by inserting a row
with a unique key before it is sent, in-app messages are written in the claiming transaction itself (exactly once),
and a send that failed (or whose sender died past the lease) is retried by a later sweep — never lost.

Email and webhooks are at least once: a crash after the server accepted a message and before the ledger says so
sends it again, with the same Message-ID / idempotency key, which receivers de-duplicate on. Within one sweep the
inbox goes first, each in its own transaction; mails and webhooks are then sent concurrently (a bounded pool), and a
channel that fails once in a sweep is not tried again in that sweep, so a stalled server costs one timeout per sweep.
A failed send waits an exponential back-off with jitter (capped) and is retried until the retry horizon has passed
since it was due; only then is it abandoned, for an admin to see and send again.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from scheduler.reminders import ReminderPolicy, in_working_hours, occurrences
from states.beijing import BEIJING, deadline_text
from states.status import DEADLINE_LABELS
from workflow.ports import Attachment, Channel, Clock, Message, UnitOfWorkFactory, User

INBOX = "inbox"


@dataclass(frozen=True)
class SweepSettings:
    policy: ReminderPolicy = ReminderPolicy()
    lease: timedelta = timedelta(minutes=10)  # a claim older than this whose send never finished is retried
    backoff: timedelta = timedelta(minutes=1)  # the first wait after a failed send; it doubles with each try
    backoff_cap: timedelta = timedelta(hours=1)  # ... up to this
    retry_horizon: timedelta = timedelta(days=3)  # retried this long after it was due, then abandoned
    concurrency: int = 4  # mails and webhooks in flight at once
    max_attempts: int = 1_000_000  # no count limit: the horizon decides


def backoff_delay(settings: SweepSettings, key: str, attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: base × 2^(attempts-1), capped, with jitter in [½, 1] of it
    (derived from the key, so every process computes the same instant and retries don't all come at once)."""
    base = settings.backoff.total_seconds() * 2 ** min(max(attempts - 1, 0), 30)
    full = min(base, settings.backoff_cap.total_seconds())
    jitter = int(hashlib.sha256(f"{key}|{attempts}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return timedelta(seconds=full * (0.5 + 0.5 * jitter))


@dataclass
class SweepReport:
    at: datetime
    sent: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    deferred: bool = False  # outside working hours: nothing goes out now
    skipped_recipients: list[str] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)  # "due today" found after the deadline: not sent

    def lines(self) -> list[str]:
        if self.deferred:
            return [f"{self.at.astimezone(BEIJING):%Y-%m-%d %H:%M} is outside working hours: reminders wait"]
        out = [f"sent {r['reminder_kind']} {'reminder' if r['deadline_kind'] else 'message'} for {r['case_number']} {r['deadline_kind']} to {r['recipient']} "
               f"by {r['channel']}" for r in self.sent]
        out += [f"FAILED {r['reminder_kind']} reminder for {r['case_number']} to {r['recipient']} by {r['channel']}: "
                f"{r['last_error']} (will retry)" for r in self.failed]
        out += [f"skipped {r['reminder_kind']} reminder for {r['case_number']} {r['deadline_kind']} to {r['recipient']} "
                f"by {r['channel']}: the deadline has passed" for r in self.skipped]
        return out


def _subject(kind: str, deadline_kind: str, case_number: str, due_local: str) -> str:
    label = DEADLINE_LABELS.get(deadline_kind, deadline_kind)
    if kind == "before":
        return f"【会诊提醒】{case_number} {label}今日到期（{due_local}）"
    return f"【会诊督办】{case_number} {label}已超期（{due_local}）"


def _body(d: dict[str, Any], kind: str, due_local: str, expert: bool = False) -> str:
    if expert:  # a panel expert whose preliminary analysis is not in (Art. 8(2)): what is asked of them
        status = ("今日到期，请于截止前提交您的初步分析意见" if kind == "before"
                  else "已超过期限，您的初步分析意见尚未提交，请尽快提交")
    else:
        status = "今日到期，请按时办理" if kind == "before" else "已超过期限，请尽快办理并说明情况"
    provisional = "（该期限按预估日历计算，待国务院办公厅正式通知后重算）" if d["provisional"] else ""
    return (f"案件 {d['case_number']} 的{DEADLINE_LABELS.get(d['kind'], d['kind'])}{status}。\n"
            f"截止时间：{due_local}{provisional}\n计算：{d['explanation']}")


def late_experts(snapshot: dict[str, Any] | None) -> list[str]:
    """The panel experts whose preliminary analysis is not in: only they are reminded of T1 (not those who
    answered)."""
    if not snapshot:
        return []
    return [e for e in snapshot.get("panel", []) if e not in (snapshot.get("analyses") or {})]


@dataclass(frozen=True)
class Outgoing:
    key: str
    case_number: str
    kind: str  # before | overdue | invitation | minutes
    scheduled_at: datetime
    due_at: datetime
    recipient: User
    channel: str
    subject: str
    body: str
    deadline_id: str = ""
    deadline_kind: str = ""
    attachments: tuple[Attachment, ...] = ()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _attachment_refs(attachments: Sequence[Attachment]) -> str | None:
    if not attachments:
        return None
    return json.dumps([{"filename": a.filename, "mime": a.mime, "sha256": _sha256(a.data)} for a in attachments],
                      ensure_ascii=False)


def _load_attachments(uow: Any, refs: str | None) -> tuple[Attachment, ...]:
    found = []
    for ref in json.loads(refs) if refs else []:
        data = uow.blobs.get(ref["sha256"])
        if data is None:
            raise LookupError(f"attachment {ref['filename']} ({ref['sha256'][:12]}) is missing from the blob store")
        found.append(Attachment(ref["filename"], ref["mime"], data))
    return tuple(found)


@dataclass
class _Send:
    """One mail or webhook claimed in the ledger, to be sent."""
    reminder_id: int
    channel: Channel
    row: dict[str, Any]
    person: User
    due_at: datetime
    attempts: int
    attachments: tuple[Attachment, ...] = ()


class Sweeper:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, is_workday: Callable[[date], bool],
                 channels: Sequence[Channel] = (), settings: SweepSettings | None = None,
                 log: Callable[[str, dict[str, Any]], None] | None = None) -> None:
        self.uow = uow
        self.clock = clock
        self.is_workday = is_workday
        self.channels = list(channels)
        self.settings = settings or SweepSettings()
        self.log = log or (lambda msg, ctx: None)
        self.on_delivered: Callable[[dict[str, Any]], None] = lambda row: None
        self._queue: list[_Send] | None = None
        self._delivered_lock = threading.Lock()
        self._quiet: bool | None = None  # were we outside working hours at the last sweep (logged on the change)

    @contextmanager
    def batch(self, report: SweepReport | None = None) -> Iterator[SweepReport]:
        """Claims made inside are recorded at once (the inbox delivered); mails and webhooks go out together at the
        end, concurrently, each channel tried until its first failure in this batch."""
        report = report or SweepReport(at=self.clock.now())
        if self._queue is not None:  # nested: the outer batch sends
            yield report
            return
        self._queue = []
        try:
            yield report
        finally:
            queue, self._queue = self._queue, None
            self._flush(report, queue)  # after a failure inside too: what was claimed goes out now, not after the lease

    def _flush(self, report: SweepReport, queue: list[_Send]) -> None:
        if not queue:
            return
        broken: dict[str, str] = {}  # channel name → the error that broke it in this batch

        def one(item: _Send) -> None:
            error = broken.get(item.channel.name)
            if error is not None:
                self._failed(report, item, f"not tried: {item.channel.name} failed earlier in this sweep ({error})")
                return
            if not self._send(report, item) and item.channel.name not in broken:
                broken[item.channel.name] = item.row.get("last_error") or "failed"

        workers = max(1, min(self.settings.concurrency, len(queue)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="huizhen-send") as pool:
            for future in [pool.submit(one, item) for item in queue]:
                future.result()

    def sweep(self) -> SweepReport:
        now = self.clock.now()
        report = SweepReport(at=now)
        policy = self.settings.policy
        quiet = not in_working_hours(now, self.is_workday, policy)
        if quiet != self._quiet:  # logged once per transition, not on every heartbeat
            if quiet:
                self.log("outside working hours: reminders wait", {"at": now.isoformat()})
            elif self._quiet is not None:
                self.log("working hours: reminders go out", {"at": now.isoformat()})
            self._quiet = quiet
        if quiet:
            report.deferred = True  # reminders wait for working hours; failed invitations and minutes don't
            with self.batch(report):
                self._retry(report, now)
            return report
        with self.batch(report):
            self._due(report, now)
            self._corrections(report)
            self._retry(report, now)
        return report

    def _due(self, report: SweepReport, now: datetime) -> None:
        with self.uow(readonly=True) as uow:
            armed = uow.deadlines.armed(due_before=now + timedelta(days=3))
            liaisons: dict[str, list[User]] = {}
            for d in armed:
                for code in (d["applicant"], d["lead"]):
                    if code and code not in liaisons:
                        liaisons[code] = uow.users.liaisons_of(code)
            # T1 is the experts' own deadline: the late ones (analysis not in) are reminded too.
            experts: dict[str, list[User]] = {}
            expert_users = [u for u in uow.users.all() if u.role == "expert"] if any(
                d["kind"] == "expert_analysis" for d in armed) else []
            for d in armed:
                if d["kind"] == "expert_analysis":
                    late = late_experts(uow.cases.snapshot(d["case_number"]))
                    experts[d["id"]] = [u for e in late for u in expert_users if u.expert_id == e]
            # Every reminder these deadlines may owe now, by its exact key; the ledger says which it holds already
            # (lookups in its unique index: the cost follows the reminders due, not the ledger's size).
            planned = list(self._planned(report, armed, liaisons, experts, now))
            known = uow.reminders.present(p[1] for p in planned)
        for d, key, occ, person, channel, due_local in planned:
            if key in known:
                continue
            # A "due today" reminder found only after its deadline has passed (a late or first sweep) is recorded
            # as skipped, never sent: the overdue one says what is true now.
            if occ.kind == "before" and now >= d["due_at"]:
                self._skip(report, d, key, occ.kind, occ.scheduled_at, person, channel, due_local)
            else:
                self._one(report, d, key, occ.kind, occ.scheduled_at, person, channel, due_local)

    def _planned(self, report: SweepReport, armed: list[dict[str, Any]], liaisons: dict[str, list[User]],
                 experts: dict[str, list[User]], now: datetime) -> Iterator[tuple[Any, ...]]:
        policy = self.settings.policy
        channels = [INBOX] + [c.name for c in self.channels]
        for d in armed:
            due_local = deadline_text(d["due_at"])
            found = occurrences(d["kind"], d["due_at"], date.fromisoformat(d["due_date"]), now, self.is_workday, policy)
            for occ in found:
                people: list[User] = []
                for role in occ.audience:
                    code = d["applicant"] if role == "applicant" else d["lead"]
                    people.extend(u for u in liaisons.get(code or "", []) if u not in people)
                if not people:
                    report.skipped_recipients.append(f"{d['case_number']}: no liaison to remind for {occ.audience}")
                people.extend(u for u in experts.get(d["id"], []) if u not in people)
                for person in people:
                    for channel in channels:
                        key = f"{d['id']}|{occ.kind}|{occ.local_date.isoformat()}|{person.name}|{channel}"
                        yield d, key, occ, person, channel, due_local

    def _corrections(self, report: SweepReport) -> None:
        """A deadline moved later after its overdue reminder went out: the same people, by the same channels, are
        told that reminder no longer holds (once: the key names the old deadline)."""
        with self.uow(readonly=True) as uow:
            owed = uow.deadlines.corrections_owed()
            known = uow.reminders.present(f"{row['old_id']}|correction|{row['recipient']}|{row['channel']}"
                                          for row in owed)
            people = {name: uow.users.get(name) for name in {row["recipient"] for row in owed}}
        for row in owed:
            key = f"{row['old_id']}|correction|{row['recipient']}|{row['channel']}"
            person = people.get(row["recipient"])
            if key in known or person is None:
                continue
            due_local = row["due_at"].astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
            label = DEADLINE_LABELS.get(row["kind"], row["kind"])
            subject = f"【会诊更正】{row['case_number']} {label}期限已顺延至{due_local}"
            body = (f"案件 {row['case_number']} 的{label}期限因日历调整已顺延，截止时间改为{due_local}（北京时间）。"
                    f"\n此前发出的超期督办不再适用，请以新的截止时间为准。")
            now = self.clock.now()
            self.deliver(Outgoing(key=key, case_number=row["case_number"], deadline_id=row["old_id"],
                                  deadline_kind=row["kind"], kind="correction", scheduled_at=now,
                                  due_at=row["due_at"], recipient=person, channel=row["channel"],
                                  subject=subject, body=body), report)

    def _channel(self, name: str) -> Channel | None:
        return next((c for c in self.channels if c.name == name), None)

    def channel_names(self) -> list[str]:
        return [INBOX] + [c.name for c in self.channels]

    def _skip(self, report: SweepReport, d: dict[str, Any], key: str, kind: str, scheduled_at: datetime,
              person: User, channel_name: str, due_local: str) -> None:
        """Record a reminder that came too late to be true as `skipped`: claimed under its key, so no later sweep
        sends it, and listed in `reminders list` with that status."""
        now = self.clock.now()
        row = dict(key=key, case_number=d["case_number"], deadline_id=d["id"], deadline_kind=d["kind"],
                   reminder_kind=kind, scheduled_at=scheduled_at, recipient=person.name, channel=channel_name,
                   subject=_subject(kind, d["kind"], d["case_number"], due_local),
                   body=_body(d, kind, due_local, person.role == "expert"), claimed_at=now, attachments=None,
                   status="skipped", attempts=0, last_error="the deadline had passed when the sweep found it")
        with self.uow() as uow:
            if uow.reminders.claim(row) is not None:
                report.skipped.append(row)
            uow.commit()

    def _one(self, report: SweepReport, d: dict[str, Any], key: str, kind: str, scheduled_at: datetime,
             person: User, channel_name: str, due_local: str) -> None:
        subject = _subject(kind, d["kind"], d["case_number"], due_local)
        body = _body(d, kind, due_local, person.role == "expert")
        self.deliver(Outgoing(key=key, case_number=d["case_number"], deadline_id=d["id"], deadline_kind=d["kind"],
                              kind=kind, scheduled_at=scheduled_at, due_at=d["due_at"], recipient=person,
                              channel=channel_name, subject=subject, body=body), report)

    def deliver(self, out: Outgoing, report: SweepReport | None = None) -> bool:
        """Claim one outgoing message in the ledger, then deliver it: the inbox inside the claiming transaction,
        other channels right after. False when it was already claimed (by anyone) or the channel can't reach
        the person."""
        report = report or SweepReport(at=self.clock.now())
        channel = self._channel(out.channel)
        if out.channel != INBOX and (channel is None or not channel.accepts(out.recipient)):
            return False
        now = self.clock.now()
        row = dict(key=out.key, case_number=out.case_number, deadline_id=out.deadline_id,
                   deadline_kind=out.deadline_kind, reminder_kind=out.kind, scheduled_at=out.scheduled_at,
                   recipient=out.recipient.name, channel=out.channel, subject=out.subject, body=out.body,
                   claimed_at=now, attachments=_attachment_refs(out.attachments))
        with self.uow() as uow:
            for a in out.attachments:
                uow.blobs.put(_sha256(a.data), a.data)
            reminder_id = uow.reminders.claim(row)
            if reminder_id is None:
                return False  # someone (another process, an earlier sweep) already has it
            if channel is None:  # the in-app inbox: delivered in the claiming transaction, exactly once
                uow.inbox.deliver(out.key, out.recipient.name, out.case_number, out.subject, out.body, now)
                uow.reminders.mark_sent(reminder_id, now)
            uow.commit()
        if channel is None:
            self._sent(report, row | {"sent_at": now})
            return True
        item = _Send(reminder_id, channel, row, out.recipient, out.due_at, 1, out.attachments)
        if self._queue is not None:
            self._queue.append(item)
            return True
        return self._send(report, item)

    def _sent(self, report: SweepReport, row: dict[str, Any]) -> None:
        report.sent.append(row)
        self.log("message sent", {"case": row["case_number"], "key": row["key"]})
        with self._delivered_lock:  # the senders run in a pool; the case's history is written one at a time
            self.on_delivered(row)

    def _send(self, report: SweepReport, item: _Send) -> bool:
        row = item.row
        message = Message(key=row["key"], recipient=item.person, case_number=row["case_number"],
                          subject=row["subject"], body=row["body"], deadline_kind=row["deadline_kind"],
                          reminder_kind=row["reminder_kind"], due_at=item.due_at, attachments=item.attachments)
        try:
            item.channel.send(message)
        except Exception as exc:  # any failure of a channel is recorded and retried, never raised past the sweep
            self._failed(report, item, f"{type(exc).__name__}: {exc}")
            return False
        sent_at = self.clock.now()
        with self.uow() as uow:
            uow.reminders.mark_sent(item.reminder_id, sent_at)
            uow.commit()
        self._sent(report, row | {"sent_at": sent_at})
        return True

    def _failed(self, report: SweepReport, item: _Send, error: str) -> None:
        now, row = self.clock.now(), item.row
        give_up = now - row["scheduled_at"] >= self.settings.retry_horizon
        with self.uow() as uow:
            uow.reminders.mark_failed(item.reminder_id, error, give_up=give_up)
            uow.commit()
        row["last_error"] = error
        report.failed.append(row | {"last_error": error, "abandoned": give_up})
        self.log("message abandoned" if give_up else "message failed",
                 {"case": row["case_number"], "key": row["key"], "error": error, "attempts": item.attempts,
                  "next_try": None if give_up else (now + backoff_delay(self.settings, row["key"], item.attempts))
                  .isoformat()})

    def _retry(self, report: SweepReport, now: datetime) -> None:
        stale_before = now - self.settings.lease
        retry_before = now - self.settings.backoff / 2
        with self.uow(readonly=True) as uow:
            candidates = uow.reminders.retry_candidates(stale_before, self.settings.max_attempts, retry_before,
                                                        with_times=True)
        for reminder_id, key, status, attempts, claimed_at in candidates:
            if status == "failed" and claimed_at + backoff_delay(self.settings, key, attempts) > now:
                continue  # still backing off
            self._retry_one(report, reminder_id, now, stale_before, retry_before)

    def _retry_one(self, report: SweepReport, reminder_id: int, now: datetime, stale_before: datetime,
                   retry_before: datetime) -> bool:
        with self.uow() as uow:
            row = uow.reminders.reclaim(reminder_id, now, stale_before, self.settings.max_attempts, retry_before)
            person = uow.users.get(row["recipient"]) if row else None
            attachments = _load_attachments(uow, row["attachments"]) if row else ()
            uow.commit()
        if row is None or person is None:
            return False
        channel = self._channel(row["channel"])
        if channel is None:
            return False
        item = _Send(reminder_id, channel, row, person, row["scheduled_at"], row["attempts"], attachments)
        if self._queue is not None:
            self._queue.append(item)
            return True
        return self._send(report, item)

    def retry_abandoned(self, ids: Sequence[int] | None = None) -> SweepReport:
        """Send abandoned messages again now (all of them, or those ids): each gets one more try; one that fails
        again goes back to abandoned with its new error."""
        now = self.clock.now()
        report = SweepReport(at=now)
        with self.uow() as uow:
            revived = uow.reminders.revive(ids, now)
            uow.commit()
        with self.batch(report):
            for reminder_id in revived:
                self._retry_one(report, reminder_id, now, now, now)
        return report

    def next_wakeup(self, after: datetime) -> datetime | None:
        """The next instant a reminder may fall due: the next deadline, or the next 'before' time."""
        with self.uow(readonly=True) as uow:
            nxt = uow.deadlines.next_due_after(after)
        return nxt
