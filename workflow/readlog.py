"""The read log (issue 14): every download of a paper and every opening of a material or an expert's record is
written down — who, what, which case, when — in its own table, in the same request as the read. Reading changes no
case, so the log is not part of any case's event chain (and a purge keeps it). Auditors and admins read the log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from states.errors import InvalidInput
from workflow.permissions import require_role
from workflow.services import Services, _user

# What can be read, as the log names it (the shell words them: labels.READ_LABELS).
READ_KINDS = frozenset({
    "minutes", "form", "blank_form", "material", "expert_record", "dossier", "export", "fee_statement",
    "year_report", "destruction_list", "read_log",
})
CHANNELS = frozenset({"web", "api", "cli"})


def record_read(svc: Services, actor: str | None, what: str, number: str | None = None, item: str = "",
                channel: str = "web") -> None:
    """Write down that ACTOR has just read WHAT (of case NUMBER; ITEM: the file, expert or format). The read
    itself was permission-checked by its own use case before this is called."""
    if what not in READ_KINDS or channel not in CHANNELS:
        raise ValueError(f"unknown read {what!r} via {channel!r}")  # a programming error, never a person's input
    with svc.uow() as uow:
        user = _user(uow, actor)
        uow.reads.add({"at": svc.clock.now(), "user_name": user.name, "role": user.role, "what": what,
                       "case_number": number, "item": item[:200], "channel": channel})
        uow.commit()


def read_log(svc: Services, actor: str | None, case: str | None = None, user: str | None = None,
             since: datetime | None = None, until: datetime | None = None) -> list[dict[str, Any]]:
    """The reads, newest first, by case, person and [since, until) (aware instants). Auditors and admins."""
    if since is not None and until is not None and until <= since:
        raise InvalidInput("the end of the range must be after its start", key="range_reversed", field="until")
    with svc.uow(readonly=True) as uow:
        require_role(_user(uow, actor), "auditor", "admin")
        rows = uow.reads.list((case or "").strip() or None, (user or "").strip() or None, since, until)
    return [{**r, "at": r["at"].isoformat()} for r in rows]
