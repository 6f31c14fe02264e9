"""Who acts (ARCHITECTURE decision 12): a person resolved from the users table, or huizhen itself.

The edge (CLI, web) hands a use case the acting person's *name*; the use case resolves it once, inside its unit of
work, into a person `Actor`. The system's own work (recording a delivery, rendering the minutes it mails,
recomputing deadlines) holds the one `SYSTEM` object and goes through functions of its own: no name is special, so
typing "system" gets the same refusal as any unknown name. The events the system writes keep the stored actor string
"system" (old events must still verify); nothing compares a name a person typed against it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from workflow.errors import NotPermitted
from workflow.ports import UnitOfWork, User

PERSON, SYSTEM_KIND = "person", "system"
SYSTEM_NAME = "system"  # the actor string of the system's events in the log; never looked up as a user
# Names no person may have: their events would read like the system's own.
RESERVED_NAMES = frozenset({"system", "系统"})


def is_reserved(name: str) -> bool:
    """A reserved name in any letter case or Unicode width (SYSTEM, ｓｙｓｔｅｍ, 系统)."""
    folded = unicodedata.normalize("NFKC", name or "").strip().casefold()
    return folded in RESERVED_NAMES


@dataclass(frozen=True)
class Actor:
    """A person (name, role, institution, expert id) or the system (kind "system", role "system")."""

    name: str
    role: str  # liaison | expert | auditor | admin; "system" for the system only
    institution: str | None = None
    expert_id: str | None = None
    display_name: str = ""
    email: str | None = None
    kind: str = PERSON

    @property
    def is_system(self) -> bool:
        return self.kind == SYSTEM_KIND

    @classmethod
    def person(cls, user: User) -> Actor:
        return cls(name=user.name, role=user.role, institution=user.institution, expert_id=user.expert_id,
                   display_name=user.display_name, email=user.email)


SYSTEM = Actor(name=SYSTEM_NAME, role=SYSTEM_KIND, kind=SYSTEM_KIND)


def resolve(uow: UnitOfWork, name: str | None) -> Actor:
    """The person acting, from their name: no name, a reserved name or an unknown one is not permitted."""
    if not name:
        raise NotPermitted("nobody is named as the acting person", key="actor_missing")
    if is_reserved(name):
        raise NotPermitted(f"user {name!r} does not exist", key="user_unknown", name=name)
    user = uow.users.get(name)
    if user is None:
        raise NotPermitted(f"user {name!r} does not exist", key="user_unknown", name=name)
    if not user.active:
        raise NotPermitted(f"user {name!r} is disabled", key="user_disabled", name=name)
    return Actor.person(user)
