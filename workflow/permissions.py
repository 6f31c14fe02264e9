"""Who may do what on which case (the engine issue's roles).

Liaisons act for their institution: the applicant's liaisons run their own cases up to the referral and track them
afterwards; the lead's liaisons convene, decide, issue the minutes and archive. Experts record only their own
analysis and opinion. Auditors only read. Admins manage users, experts and the calendar, and dispose of records
whose retention has run out (appraisal, legal holds, purge). The applicant's liaisons enter the experts' fees
(Art. 10: the applicant pays).
"""

from __future__ import annotations

from typing import Any

from states.status import CaseStatus
from workflow.errors import NotPermitted
from workflow.ports import User

APPLICANT_ACTIONS = frozenset(
    {"edit", "submit", "verify", "form_panel", "dispatch", "refer", "withdraw", "track", "conclude", "reopen",
     "record_fee", "correct_fee"}
)
LEAD_ACTIONS = frozenset(
    {"convene", "record_absence", "decide", "issue_minutes", "archive", "schedule", "cancel_meeting"}
)
EXPERT_ACTIONS = frozenset({"record_analysis", "record_opinion"})
ADMIN_ACTIONS = frozenset({"appraise_disposal", "place_hold", "release_hold"})
LEAD_MAY_ATTACH = frozenset({CaseStatus.convening, CaseStatus.convened})


def _who(user: User) -> str:
    inst = f" of {user.institution}" if user.institution else ""
    return f"{user.name} ({user.role}{inst})"


def require_role(user: User, *roles: str) -> None:
    if user.role not in roles:
        raise NotPermitted(f"{_who(user)} may not do this; it needs the role {' or '.join(roles)}")


def can_view(user: User, case: dict[str, Any]) -> bool:
    """An institution sees its own drafts and every case it takes part in; experts only their panels."""
    if user.role in ("auditor", "admin"):
        return True
    if user.role == "liaison":
        return bool(case["applicant"] == user.institution or case["status"] != CaseStatus.drafted)
    if user.role == "expert":
        return bool(case["status"] != CaseStatus.drafted and user.expert_id in case.get("panel", []))
    return False


def require_view(user: User, case: dict[str, Any]) -> None:
    if not can_view(user, case):
        raise NotPermitted(f"{_who(user)} may not see case {case['number']}")


def may_act(user: User, action: str, case: dict[str, Any], expert: str | None = None) -> bool:
    if action in ADMIN_ACTIONS:
        return user.role == "admin"
    if user.role == "liaison":
        if action in APPLICANT_ACTIONS:
            return bool(case["applicant"] == user.institution)
        if action in LEAD_ACTIONS:
            return bool(case.get("lead") == user.institution)
        if action == "attach":
            return bool(case["applicant"] == user.institution or (
                case.get("lead") == user.institution and case["status"] in LEAD_MAY_ATTACH
            ))
        return False
    if user.role == "expert":
        return action in EXPERT_ACTIONS and expert is not None and expert == user.expert_id
    return False


def require_act(user: User, action: str, case: dict[str, Any], expert: str | None = None) -> None:
    if may_act(user, action, case, expert):
        return
    if user.role == "expert" and action in EXPERT_ACTIONS:
        raise NotPermitted(f"{_who(user)} may record only their own {action.removeprefix('record_')} "
                           f"(expert {user.expert_id}), not expert {expert}'s")
    if action in APPLICANT_ACTIONS:
        whose = f"the applicant's liaisons ({case['applicant']})"
    elif action in LEAD_ACTIONS:
        whose = f"the lead institution's liaisons ({case.get('lead') or 'not yet set'})"
    elif action in EXPERT_ACTIONS:
        whose = "the expert themself"
    elif action in ADMIN_ACTIONS:
        whose = "an admin"
    else:
        whose = "the applicant's liaisons, or the lead's during the meeting"
    raise NotPermitted(f"{_who(user)} may not {action.replace('_', ' ')} case {case['number']}: only {whose} may")


def require_self_or_admin(user: User, target: User, what: str) -> None:
    """An admin may WHAT for anyone; everyone else only for themself."""
    if user.role != "admin" and user.name != target.name:
        raise NotPermitted(f"{user.name} ({user.role}) may {what} only for themself; an admin may for anyone")
