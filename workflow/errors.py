"""Errors of the use-case layer, with stable codes like the domain's."""

from __future__ import annotations

from states.errors import DomainError


class NotPermitted(DomainError):
    code = "not_permitted"


class NotFound(DomainError):
    code = "not_found"
