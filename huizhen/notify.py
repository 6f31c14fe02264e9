"""The notices of workflow.notices, composed in Chinese (huizhen.labels) and sent after the commit: the inbox
always, email and webhook as configured (and as the person's preference allows: the channel decides). Each notice
is claimed in the ledger under its key and channel, so the inbox holds it exactly once and a retry never doubles it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from huizhen.labels import notice_text
from scheduler.sweep import Outgoing, Sweeper
from states.case import Event
from workflow.notices import NOTICE_EVENTS, Notice, notices
from workflow.usecases import Services

NOTICE = "notice"


def who_is_told(svc: Services, number: str, events: Sequence[Event]) -> list[Notice]:
    if not any(ev.type in NOTICE_EVENTS for ev in events):
        return []  # no transaction for a command that tells nobody (most of them: issue 17)
    with svc.uow(readonly=True) as uow:
        snap = uow.cases.snapshot(number)
        users = uow.users.all() if snap else []
    return notices(snap, events, users) if snap else []


def tell(svc: Services, sweeper: Sweeper, number: str, events: Sequence[Event], at: datetime) -> int:
    """Send the notices these events ask for; how many messages went out."""
    sent = 0
    for n in who_is_told(svc, number, events):
        subject, body = notice_text(n.kind, **n.params)
        for channel in sweeper.channel_names():
            sent += sweeper.deliver(Outgoing(key=f"{n.key}|{channel}", case_number=number, kind=NOTICE,
                                             scheduled_at=at, due_at=at, recipient=n.recipient, channel=channel,
                                             subject=subject, body=body))
    return sent
