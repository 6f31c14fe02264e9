"""Domain errors. Each has a stable `code`; outer layers map codes to exit codes and HTTP statuses."""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """A value from a person or a file is wrong; the message names the field."""

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
