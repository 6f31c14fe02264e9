"""The papers' one error: a wrong --out, or something the renderer needs that is not installed."""

from __future__ import annotations

from states.errors import DomainError


class PaperError(DomainError):
    code = "paper_error"
