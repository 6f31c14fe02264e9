"""The daily checkpoint (issue 15): on each working day, the scheduler's first sweep in working hours signs one
checkpoint, keeps it in `audit.checkpoint_dir` (outside the database) and sends it to its witnesses — every
institution's liaisons and the auditors — by the inbox (with the download link), by mail as each person's preference
allows (the file attached) and by webhook as configured.

Once a day only, across restarts and several schedulers: the day's checkpoint is recorded in the ledger under the
key `checkpoint|<date>|issued` (its body names the kept file) before anything is sent, and each delivery is claimed
under `checkpoint|<date>|<person>|<channel>`, so a sweep after a crash sends only what is missing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from huizhen import checkpoints
from scheduler.reminders import in_working_hours
from scheduler.sweep import Outgoing, Sweeper
from states.beijing import BEIJING
from workflow.actors import SYSTEM_NAME
from workflow.ports import Attachment, User

KIND = "checkpoint"  # the ledger's reminder_kind of a checkpoint's rows
LEDGER = "ledger"  # the channel name of the "issued" row: recorded, never sent


def _key(day: date, tail: str) -> str:
    return f"checkpoint|{day.isoformat()}|{tail}"


def witnesses(app: Any) -> list[User]:
    """Who receives each checkpoint: every institution's liaisons and the auditors."""
    with app.services.uow(readonly=True) as uow:
        return [u for u in uow.users.all() if u.role in ("liaison", "auditor")]


def issued_today(app: Any, day: date) -> str | None:
    with app.services.uow(readonly=True) as uow:
        if _key(day, "issued") not in uow.reminders.known_keys(_key(day, "issued")):
            return None
    return _kept_name_of(app, day)


def _kept_name_of(app: Any, day: date) -> str | None:
    stamp = day.strftime("%Y%m%d")
    names = [c["name"] for c in checkpoints.kept(app) if c["name"].startswith(f"checkpoint-{stamp}")]
    return names[-1] if names else None


def _issue(app: Any, day: date, now: datetime) -> str | None:
    """Sign and keep the day's checkpoint and record it in the ledger; None when another process recorded one
    first (its file is then the day's, and this one is removed)."""
    checkpoint = checkpoints.make(app, None, now, by_system=True)
    name = checkpoints.keep(app, checkpoint)
    row = dict(key=_key(day, "issued"), case_number="", deadline_id="checkpoint", deadline_kind="checkpoint",
               reminder_kind=KIND, scheduled_at=now, recipient=SYSTEM_NAME, channel=LEDGER,
               subject=f"检查点 {day.isoformat()}", body=name, claimed_at=now, attachments=None, status="sent",
               sent_at=now)
    with app.services.uow() as uow:
        won = uow.reminders.claim(row) is not None
        uow.commit()
    if not won:
        (app.settings.resolve(app.settings.audit.checkpoint_dir) / name).unlink(missing_ok=True)
        return None
    return name


def run(app: Any, log: Callable[[str, dict[str, Any]], None]) -> str | None:
    """`catch_up` for the scheduler: a failure here is logged and tried again next sweep, never stops reminders."""
    try:
        return catch_up(app)
    except Exception as exc:  # the daily checkpoint must not take the sweep down with it
        log("daily checkpoint failed", {"error": f"{type(exc).__name__}: {exc}"})
        return None


def catch_up(app: Any, sweeper: Sweeper | None = None) -> str | None:
    """Issue today's checkpoint if it is due and not issued yet, and send it to whoever has not had it; the kept
    file's name when there is one today."""
    if not app.settings.audit.daily_checkpoint:
        return None
    sweeper = sweeper or app.sweeper()
    now = app.services.clock.now()
    svc = app.services
    if not in_working_hours(now, lambda d: svc.calendar.is_workday(d), sweeper.settings.policy):
        return None
    day = now.astimezone(BEIJING).date()
    name = issued_today(app, day) or _issue(app, day, now) or issued_today(app, day)
    if name is None:
        return None
    data = checkpoints.read_kept(app, name)
    if data is None:
        return name  # the kept copy was removed by hand: the ledger still says it was issued
    people = witnesses(app)
    with svc.uow(readonly=True) as uow:  # exact keys (the ledger's unique index), not a scan by prefix
        known = uow.reminders.present(_key(day, f"{p.name}|{ch}") for p in people for ch in sweeper.channel_names())
    subject = f"【检查点】{day.isoformat()} 审计检查点"
    body = (f"系统已于 {now.astimezone(BEIJING):%Y-%m-%d %H:%M}（北京时间）签发今日的审计检查点，"
            f"记录每个案件的链头、销毁记录链头与案件编号计数器。\n"
            f"请下载并在本机构保存：/audit/checkpoints/{name}\n"
            "日后可由审计人员在审计页面“核对检查点”，核对数据库是否仍延续该检查点；"
            "离线核验签名所用的公钥见 /audit/public-key。")
    attachment = Attachment(name, "application/json", data)
    for person in people:
        for channel in sweeper.channel_names():
            key = _key(day, f"{person.name}|{channel}")
            if key in known:
                continue
            sweeper.deliver(Outgoing(key=key, case_number="", kind=KIND, scheduled_at=now, due_at=now,
                                     recipient=person, channel=channel, subject=subject, body=body,
                                     attachments=(attachment,)))
    return name
