"""The simple commands (states.commands.simple_commands(): only the case and perhaps a reason) run the same way
from the CLI, the pages and the API: the use case of the command's name, with the reason when the row takes one."""

from __future__ import annotations

from typing import Any

from states.commands import REASON_NONE, Command
from workflow import usecases as uc


def run_simple(cmd: Command, svc: Any, actor: str | None, number: str, reason: str = "") -> Any:
    """Run the simple command CMD on case NUMBER as ACTOR: its own use case `workflow.usecases.<name>` where one
    exists (some return more than the case), else the generic one for any reason-only catalogue row."""
    use_case = getattr(uc, cmd.name, None)
    if use_case is None:
        return uc.run_simple(svc, actor, number, cmd.name, reason)
    if cmd.reason == REASON_NONE:
        return use_case(svc, actor, number)
    return use_case(svc, actor, number, reason)
