"""Events: the stored envelope, one registered spec per event type, its schema version and its upcasters.

An event is a fact. Once stored it is folded whatever today's rules say (states.fold); what may change over the
years is only the shape of a payload, and that is what a spec's upcasters are for: a stored payload of version N
is lifted to version N+1 by `upcasters[N]`, and so on up to the spec's `version`. The stored JSON is never rewritten
(the audit chain hashes the stored events), so an old payload keeps its exact bytes on disk and is upcast on load.

Load time is also where a stored event that today's code cannot read is named: an unknown event type or a payload
without a field its fold needs raises `UnreadableEvent` from `upcast`, before the fold sees it. An auditor running
`audit verify` then gets one finding naming the case and the event ("replay breaks: ..."), never a silently
skipped event and never a case that replays into a different state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from states.errors import InvalidInput

if TYPE_CHECKING:
    from states.aggregate import Case


class UnreadableEvent(InvalidInput):
    """A stored event today's code cannot fold: its type is unknown, or its payload lacks a field."""

    code = "unreadable_event"


@dataclass(frozen=True)
class Event:
    """The stored envelope of a domain event: what happened to a case, by whom, when, with everything needed to
    replay it. `payload` is the JSON object stored as it was written (its `schema_version` says which shape)."""

    type: str
    payload: dict[str, Any]
    actor: str
    occurred_at: datetime
    schema_version: int = 1

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")
        # Stored in UTC, shown in Asia/Shanghai: one canonical form keeps replay and hashes exact.
        object.__setattr__(self, "occurred_at", self.occurred_at.astimezone(UTC))


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
Fold = Callable[["Case", Event], None]


@dataclass
class EventSpec:
    """One event type: the payload fields its fold reads, the version written today, how older payloads are lifted,
    and its fold (set by states.fold, or by `states.commands.register` for a test-only command)."""

    name: str
    fields: tuple[str, ...] = ()
    version: int = 1
    upcasters: dict[int, Upcaster] = field(default_factory=dict)  # from version N to N+1
    fold: Fold | None = None


# Every event type there is, filled by states.fold (`@folds(name, fields=...)`: each spec is declared beside its fold)
# and by states.commands.register for a test-only command.
SPECS: dict[str, EventSpec] = {}


def spec(name: str) -> EventSpec:
    found = SPECS.get(name)
    if found is None:
        raise UnreadableEvent(f"event type {name!r} is unknown", key="event_type_unknown", type=name)
    return found


def schema_version(name: str) -> int:
    """The version a new event of this type is written with."""
    return spec(name).version


def upcast(event: Event) -> Event:
    """The event with its payload lifted to today's version of its type; raises UnreadableEvent (load time)."""
    found = spec(event.type)
    payload, version = event.payload, event.schema_version
    while version < found.version:
        step = found.upcasters.get(version)
        if step is None:
            raise UnreadableEvent(f"event type {event.type!r} has no upcaster from version {version}",
                                  key="event_version_unknown", type=event.type, version=version)
        payload = step(payload)
        version += 1
    missing = [f for f in found.fields if f not in payload]
    if missing:
        raise UnreadableEvent(f"event {event.type} lacks {', '.join(missing)}", key="event_field_missing",
                              type=event.type, fields=missing)
    if version == event.schema_version:
        return event
    return Event(event.type, payload, event.actor, event.occurred_at, version)
