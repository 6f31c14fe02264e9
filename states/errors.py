"""Domain errors: what went wrong, as data. The shell chooses the words.

Below the shell an error carries:
- its kind (the class, with a stable `code`: invalid_input, guard_failed, ...); the shell declares each kind's exit
  code and HTTP status once;
- `key`: which sentence it is (a key into the shell's labels module, e.g. "verification_missing");
- `field`: the neutral path of the input it is about ("product.name", "reason", "panel", "experts"), if any;
- `params`: the values the sentence needs (case number, expert ids, dates, limits).
`message` is a neutral English sentence for logs and the command line. It never names a CLI flag, a command or an
environment variable: the CLI adds `--reason` from `field`, the web page says 理由 from the labels module.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str, *, key: str | None = None, field: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.key = key or self.code
        self.field = field
        self.params = params


class InvalidInput(DomainError):
    """A value from a person or a file is wrong; `field` names it."""

    code = "invalid_input"


class InvalidTransition(DomainError):
    """The trigger is not allowed from the case's current state."""

    code = "invalid_transition"


class GuardFailed(DomainError):
    """The trigger exists from this state but a rule of the regulation is not met yet."""

    code = "guard_failed"


class Conflict(DomainError):
    """Someone else changed the case first; nothing was written."""

    code = "conflict"
