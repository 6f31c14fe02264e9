"""The clock port's implementations. HUIZHEN_NOW freezes the clock for one command."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

from states.errors import InvalidInput


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    at: datetime

    def now(self) -> datetime:
        return self.at.astimezone(UTC)


def parse_instant(text: str, field: str) -> datetime:
    """An ISO 8601 instant with its offset; a naive time is refused (whose 09:00?)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{field}: {text!r} is not an ISO 8601 instant (e.g. 2026-10-09T09:00:00+08:00)") from None
    if value.tzinfo is None:
        raise InvalidInput(f"{field}: {text!r} has no UTC offset; write e.g. {text}+08:00")
    return value.astimezone(UTC)


def clock_from_env() -> SystemClock | FixedClock:
    raw = os.environ.get("HUIZHEN_NOW")
    if raw:
        return FixedClock(parse_instant(raw, "HUIZHEN_NOW"))
    return SystemClock()
