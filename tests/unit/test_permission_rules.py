"""The permission matrix over the command catalogue: every command × every kind of person (the applicant's
liaison, the lead's, another institution's, the expert for themself and for a colleague, the auditor, the admin,
the system), and who sees which case. Pure: no database, no unit of work."""

from __future__ import annotations

from typing import Any

import pytest

from states.commands import COMMANDS
from states.status import CaseStatus
from workflow.actors import SYSTEM, Actor
from workflow.errors import NotFound, NotPermitted
from workflow.permissions import (
    ADMIN_ACTIONS,
    APPLICANT_ACTIONS,
    EXPERT_ACTIONS,
    LEAD_ACTIONS,
    can_view,
    may_act,
    require_act,
    require_role,
    require_view,
)

S = CaseStatus
SH = Actor("sh", "liaison", "SH")
JS = Actor("js", "liaison", "JS")
ZJ = Actor("zj", "liaison", "ZJ")
X1 = Actor("x1", "expert", expert_id="E0001")
AUDITOR = Actor("auditor", "auditor")
ADMIN = Actor("admin", "admin")

# Who is who on the case below (SH applies, JS leads): (actor, the expert id the command names).
PEOPLE: dict[str, tuple[Actor, str | None]] = {
    "applicant": (SH, None), "lead": (JS, None), "other_institution": (ZJ, None), "expert_self": (X1, "E0001"),
    "expert_for_colleague": (X1, "E0002"), "auditor": (AUDITOR, None), "admin": (ADMIN, None),
    "system": (SYSTEM, None),
}
APPLICANT_ONLY = {"applicant"}
LEAD_ONLY = {"lead"}
# The oracle, written out (not derived from the catalogue): who may run each command.
EXPECTED: dict[str, set[str]] = {
    "edit": APPLICANT_ONLY, "submit": APPLICANT_ONLY, "verify": APPLICANT_ONLY, "form_panel": APPLICANT_ONLY,
    "attach": {"applicant", "lead"},  # the lead: only while it runs the meeting (below)
    "dispatch": APPLICANT_ONLY, "refer": APPLICANT_ONLY, "chase": APPLICANT_ONLY, "withdraw": APPLICANT_ONLY, "track": APPLICANT_ONLY,
    "conclude": APPLICANT_ONLY, "reopen": APPLICANT_ONLY, "record_fee": APPLICANT_ONLY,
    "correct_fee": APPLICANT_ONLY,
    "schedule": LEAD_ONLY, "cancel_meeting": LEAD_ONLY, "convene": LEAD_ONLY, "record_absence": LEAD_ONLY,
    "decide": LEAD_ONLY, "issue_minutes": LEAD_ONLY, "archive": LEAD_ONLY,
    # issue 12 (Art. 8(4)–(7)): the lead records the meeting and words the minutes
    "record_attendance": LEAD_ONLY, "record_statement": LEAD_ONLY, "draft_minutes": LEAD_ONLY,
    "correct_minutes": LEAD_ONLY,
    "record_analysis": {"expert_self"}, "record_opinion": {"expert_self"},
    "appraise_disposal": {"admin"}, "place_hold": {"admin"}, "release_hold": {"admin"},
    "recompute_deadlines": {"system", "admin"}, "record_delivery": {"system"},
    # Art. 4(3): any liaison of another institution than the applicant (on this case JS leads, ZJ takes part).
    "concur": {"lead", "other_institution"},
    # Art. 8(1) (issue 12): every institution nominates; the expert answers for themself; the applicant keeps.
    "nominate": {"applicant", "lead", "other_institution"}, "respond": {"expert_self"},
    "withdraw_nomination": {"applicant", "lead", "other_institution"},
    "keep_expert": APPLICANT_ONLY,
}


def test_a_draft_whose_only_basis_is_a_joint_decision_is_shown_to_the_other_liaisons() -> None:
    """docs/decisions.md: other institutions are asked to concur (Art. 4(3)), so they see that draft; a draft on
    another basis stays the applicant's own. Experts never see a draft."""
    joint = case(S.drafted, lead=None) | {"basis": {"joint_decision": "联席会议决定"}, "cross_province": False}
    cross = case(S.drafted, lead=None) | {"basis": {"joint_decision": "联席会议决定"}, "cross_province": True}
    assigned = joint | {"basis": {"joint_decision": "决定", "samr_assignment": "交办函"}}
    assert [can_view(p, joint) for p in (SH, JS, ZJ, X1)] == [True, True, True, False]
    for other in (cross, assigned):
        assert [can_view(p, other) for p in (SH, JS, ZJ, X1)] == [True, False, False, False]
    assert may_act(ZJ, "concur", joint) and not may_act(SH, "concur", joint)


def case(status: CaseStatus = S.convening, applicant: str = "SH", lead: str | None = "JS") -> dict[str, Any]:
    return {"number": "YRD-2026-0001", "applicant": applicant, "lead": lead, "status": status,
            "panel": ["E0001", "E0002"]}


def test_the_matrix_names_every_command_of_the_catalogue() -> None:
    assert set(EXPECTED) == set(COMMANDS)


@pytest.mark.parametrize("command", sorted(EXPECTED))
@pytest.mark.parametrize("who", sorted(PEOPLE))
def test_who_may_run_each_command(command: str, who: str) -> None:
    actor, expert = PEOPLE[who]
    allowed = who in EXPECTED[command]
    assert may_act(actor, command, case(S.convening), expert) is allowed
    if allowed:
        require_act(actor, command, case(S.convening), expert)
    else:
        with pytest.raises(NotPermitted) as refused:
            require_act(actor, command, case(S.convening), expert)
        assert refused.value.key in ("command_not_permitted", "not_own_record")
        assert refused.value.params["command"] == command
        assert refused.value.params["number"] == "YRD-2026-0001"


@pytest.mark.parametrize("status", list(CaseStatus))
def test_the_lead_attaches_only_while_it_runs_the_meeting(status: CaseStatus) -> None:
    assert may_act(JS, "attach", case(status)) is (status in (S.convening, S.convened))
    assert may_act(SH, "attach", case(status))  # the applicant: whenever the command exists (the state decides)
    assert not may_act(ZJ, "attach", case(status))


def test_an_institution_that_applies_and_leads_holds_both_parts() -> None:
    both = case(S.convened, applicant="JS", lead="JS")
    assert may_act(JS, "refer", both) and may_act(JS, "decide", both)
    assert not may_act(SH, "refer", both) and not may_act(SH, "decide", both)


def test_before_the_submission_nobody_leads() -> None:
    draft = case(S.drafted, lead=None)
    assert not may_act(JS, "convene", draft)
    with pytest.raises(NotPermitted, match="not yet set"):
        require_act(JS, "convene", draft)


def test_a_person_whose_name_is_system_is_not_the_system() -> None:
    impostor = Actor("system", "admin")
    assert not impostor.is_system
    assert not may_act(impostor, "record_delivery", case())
    assert SYSTEM.is_system and may_act(SYSTEM, "record_delivery", case())


def test_the_system_holds_no_role_and_runs_no_person_s_command() -> None:
    for command in COMMANDS:
        assert may_act(SYSTEM, command, case()) is (command in ("record_delivery", "recompute_deadlines"))
    with pytest.raises(NotPermitted) as refused:
        require_role(SYSTEM, "admin")
    assert refused.value.key == "role_required"


def test_the_exported_sets_come_from_the_catalogue() -> None:
    assert {c for c, who in EXPECTED.items() if "applicant" in who} == APPLICANT_ACTIONS
    assert {c for c, who in EXPECTED.items() if who == LEAD_ONLY or c == "attach"} == LEAD_ACTIONS
    assert {"record_analysis", "record_opinion", "respond"} == EXPERT_ACTIONS
    assert {c for c, who in EXPECTED.items() if "admin" in who} == ADMIN_ACTIONS


VIEW: dict[str, tuple[bool, bool]] = {  # who: (sees the draft, sees the submitted case)
    "applicant": (True, True), "lead": (False, True), "other_institution": (False, True),
    "expert_self": (False, True), "auditor": (True, True), "admin": (True, True), "system": (True, True),
}


@pytest.mark.parametrize("who", sorted(VIEW))
def test_who_sees_which_case(who: str) -> None:
    actor, _ = PEOPLE[who]
    draft, submitted = VIEW[who]
    assert can_view(actor, case(S.drafted, lead=None)) is draft
    assert can_view(actor, case(S.awaiting_experts)) is submitted


def test_an_expert_sees_only_the_panels_they_sit_on() -> None:
    outsider = Actor("x9", "expert", expert_id="E0009")
    assert not can_view(outsider, case(S.awaiting_experts))
    # Answered as a case that does not exist (issue 15): nothing tells the outsider the number is taken.
    with pytest.raises(NotFound) as refused:
        require_view(outsider, case(S.awaiting_experts))
    assert refused.value.key == "case_missing" and refused.value.params == {"number": "YRD-2026-0001"}
