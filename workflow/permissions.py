"""Who may do what on which case, from the command catalogue's `who` column (states.commands).

Liaisons act for their institution: the applicant's liaisons run their own cases up to the referral and track them
afterwards; the lead's liaisons convene, decide, issue the minutes and archive. Experts record only their own
analysis and opinion. Auditors only read. Admins manage users, experts and the calendar, and dispose of records
whose retention has run out (appraisal, legal holds, purge). The applicant's liaisons enter the experts' fees
(Art. 10: the applicant pays). The system runs only the commands the catalogue gives it (deliveries, recomputed
deadlines); it is an `Actor` object, never a name.

The one rule the catalogue's row does not carry: the lead's liaisons attach material only while they run the
meeting (convening, convened); the applicant's at any time the command exists.
"""

from __future__ import annotations

from typing import Any, Protocol

from states.aggregate import joint_only
from states.commands import (
    ADMIN,
    APPLICANT,
    COMMANDS,
    LEAD,
    OTHER_MEMBER,
    PANEL_EXPERT,
    SYSTEM,
    commands_with,
)
from states.status import CaseStatus
from workflow.errors import NotFound, NotPermitted

# Kept for the modules that read them; computed from the catalogue at import (a command registered later by a
# test is seen by may_act, which reads the catalogue itself).
APPLICANT_ACTIONS = commands_with(APPLICANT)
LEAD_ACTIONS = commands_with(LEAD)
EXPERT_ACTIONS = commands_with(PANEL_EXPERT)
ADMIN_ACTIONS = commands_with(ADMIN)
SYSTEM_ACTIONS = commands_with(SYSTEM)
LEAD_MAY_ATTACH = frozenset({CaseStatus.convening, CaseStatus.convened})


class Someone(Protocol):
    """A person Actor, a stored User (the web's signed-in viewer) or the system Actor: what a rule reads."""

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def institution(self) -> str | None: ...

    @property
    def expert_id(self) -> str | None: ...


def _is_system(who: Someone) -> bool:
    return bool(getattr(who, "is_system", False))


def _who(user: Someone) -> dict[str, Any]:
    return {"name": user.name, "role": user.role, "institution": user.institution}


def _label(user: Someone) -> str:
    inst = f" of {user.institution}" if user.institution else ""
    return f"{user.name} ({user.role}{inst})"


def require_role(user: Someone, *roles: str) -> None:
    if _is_system(user) or user.role not in roles:
        raise NotPermitted(f"{_label(user)} may not do this; it needs the role {' or '.join(roles)}",
                           key="role_required", roles=list(roles), **_who(user))


def can_view(user: Someone, case: dict[str, Any]) -> bool:
    """An institution sees its own drafts and every case it takes part in; experts only their panels; the system
    sees every case it works on. A draft whose only basis is a joint decision (Art. 4(3)) is shown to the other
    institutions' liaisons, who are asked to concur (docs/decisions.md)."""
    if _is_system(user) or user.role in ("auditor", "admin"):
        return True
    if user.role == "liaison":
        return bool(case["applicant"] == user.institution or case["status"] != CaseStatus.drafted
                    or joint_only(case.get("basis") or {}, bool(case.get("cross_province"))))
    if user.role == "expert":
        return bool(case["status"] != CaseStatus.drafted and user.expert_id in case.get("panel", []))
    return False


def require_view(user: Someone, case: dict[str, Any]) -> None:
    """A case one may not see answers exactly as a case that does not exist (issue 15): the same kind, key and
    words, so neither its status nor its body tells which case numbers exist."""
    if not can_view(user, case):
        raise NotFound(f"case {case['number']} does not exist", key="case_missing", number=case["number"])


def capacities(user: Someone, case: dict[str, Any], expert: str | None = None) -> frozenset[str]:
    """The catalogue's `who` values USER holds on CASE: applicant, lead, panel_expert (for EXPERT), admin, system."""
    if _is_system(user):
        return frozenset({SYSTEM})
    held: set[str] = set()
    if user.role == "admin":
        held.add(ADMIN)
    elif user.role == "liaison" and user.institution:
        if case["applicant"] == user.institution:
            held.add(APPLICANT)
        else:
            held.add(OTHER_MEMBER)
        if case.get("lead") == user.institution:
            held.add(LEAD)
    elif user.role == "expert" and expert is not None and expert == user.expert_id:
        held.add(PANEL_EXPERT)
    return frozenset(held)


def may_act(user: Someone, action: str, case: dict[str, Any], expert: str | None = None) -> bool:
    row = COMMANDS.get(action)
    if row is None:
        return False
    held = capacities(user, case, expert) & row.who
    if action == "attach" and held == {LEAD}:
        return case["status"] in LEAD_MAY_ATTACH
    return bool(held)


def _whose(action: str, case: dict[str, Any]) -> str:
    who = COMMANDS[action].who if action in COMMANDS else frozenset()
    if who == {APPLICANT, LEAD}:
        return "the applicant's liaisons, or the lead's during the meeting"
    parts = []
    if APPLICANT in who:
        parts.append(f"the applicant's liaisons ({case['applicant']})")
    if LEAD in who:
        parts.append(f"the lead institution's liaisons ({case.get('lead') or 'not yet set'})")
    if PANEL_EXPERT in who:
        parts.append("the expert themself")
    if OTHER_MEMBER in who:
        parts.append(f"another institution's liaisons (not {case['applicant']})")
    if ADMIN in who:
        parts.append("an admin")
    if SYSTEM in who and not parts:
        parts.append("the system itself")
    return " or ".join(parts) or "nobody"


def require_act(user: Someone, action: str, case: dict[str, Any], expert: str | None = None) -> None:
    if may_act(user, action, case, expert):
        return
    number = case["number"]
    if user.role == "expert" and action in commands_with(PANEL_EXPERT):
        raise NotPermitted(f"{user.name} may record only their own {action.removeprefix('record_')} "
                           f"(expert {user.expert_id}), not expert {expert}'s", key="not_own_record",
                           command=action, number=number, own=user.expert_id, expert=expert, **_who(user))
    whose = _whose(action, case)
    raise NotPermitted(f"{_label(user)} may not {action.replace('_', ' ')} case {number}: only {whose} may",
                       key="command_not_permitted", command=action, number=number,
                       allowed=sorted(COMMANDS[action].who) if action in COMMANDS else [], **_who(user))


def require_self_or_admin(user: Someone, target: Someone, what: str) -> None:
    """An admin may WHAT for anyone; everyone else only for themself."""
    if _is_system(user) or (user.role != "admin" and user.name != target.name):
        raise NotPermitted(f"{user.name} ({user.role}) may {what} only for themself; an admin may for anyone",
                           key="self_or_admin", what=what, target=target.name, **_who(user))
