"""The rules printed on the 会诊表 and the panel's majority vote (states/rules.py), checked against DOMAIN.md."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from states.errors import InvalidInput
from states.rules import (
    Answer,
    Conclusions,
    Opinion,
    derive_attention,
    derive_conclusions,
    derive_defect,
    derive_investigate,
    in_attention_matrix,
    in_investigate_matrix,
    majority_vote,
    parse_opinion,
    quorum_met,
)
from states.status import Defect, Outcome

# --- the severity × likelihood grid, written out by hand from DOMAIN.md -------------------------------------
# I = investigate (likelihood ≥ 6/4/3/2 for severity 1/2/3/4), A = attention (likelihood ≤ 5/3/2/1).
#                 likelihood: 1    2    3    4    5    6    7    8
GRID: dict[int, str] = {
    1: "A A A A A I I I",
    2: "A A A I I I I I",
    3: "A A I I I I I I",
    4: "A I I I I I I I",
}
CELLS = [
    (severity, likelihood, mark)
    for severity, row in GRID.items()
    for likelihood, mark in enumerate(row.split(), start=1)
]


def test_the_grid_has_32_cells() -> None:
    assert len(CELLS) == 32
    assert {(s, lk) for s, lk, _ in CELLS} == {(s, lk) for s in range(1, 5) for lk in range(1, 9)}


@pytest.mark.parametrize(("severity", "likelihood", "mark"), CELLS)
def test_matrix_cell(severity: int, likelihood: int, mark: str) -> None:
    investigate = in_investigate_matrix(severity, likelihood)
    attention = in_attention_matrix(severity, likelihood)
    assert investigate is (mark == "I")
    assert attention is (mark == "A")
    # the two matrices partition the grid: each cell is in exactly one
    assert investigate != attention


# --- building opinions --------------------------------------------------------------------------------------


def raw(**over: Any) -> dict[str, Any]:
    """A valid opinion mapping (as YAML would give it) with no safety issue, no cause, low risk; override fields."""
    base: dict[str, Any] = {
        "standard_noncompliance": {"answer": False, "detail": ""},
        "nonstandard_danger": {"answer": False, "detail": ""},
        "no_standard_danger": {"answer": False, "detail": ""},
        "injury_types": {"physical": None, "chemical": None, "biological": None},
        "severity": 1,
        "likelihood": 1,
        "producer_cause": {"design": False, "manufacturing": False, "warning": False},
        "universality": "no",
        "similar_recall": {"answer": False, "detail": ""},
        "public_opinion_risk": {"answer": False, "detail": ""},
    }
    base.update(over)
    return base


def op(
    *,
    standard: bool = False,
    nonstandard: bool = False,
    no_standard: bool = False,
    design: bool = False,
    manufacturing: bool = False,
    warning: bool = False,
    universality: Defect = Defect.yes,
    severity: int = 1,
    likelihood: int = 1,
    similar_recall: bool = False,
    public_opinion_risk: bool = False,
) -> Opinion:
    return Opinion(
        standard_noncompliance=Answer(standard),
        nonstandard_danger=Answer(nonstandard),
        no_standard_danger=Answer(no_standard),
        similar_recall=Answer(similar_recall),
        public_opinion_risk=Answer(public_opinion_risk),
        injury_types={"physical": None, "chemical": None, "biological": None},
        severity=severity,
        likelihood=likelihood,
        producer_cause={"design": design, "manufacturing": manufacturing, "warning": warning},
        universality=universality,
    )


# --- derive_defect ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["standard", "nonstandard", "no_standard"])
def test_each_safety_question_alone_with_a_cause_and_universality_makes_a_defect(question: str) -> None:
    assert derive_defect(op(**{question: True}, design=True)) is Defect.yes


def test_no_safety_question_means_no_defect() -> None:
    assert derive_defect(op(design=True, manufacturing=True, warning=True)) is Defect.no


@pytest.mark.parametrize("cause", ["design", "manufacturing", "warning"])
def test_each_producer_cause_alone_is_enough(cause: str) -> None:
    assert derive_defect(op(standard=True, **{cause: True})) is Defect.yes


def test_no_producer_cause_means_no_defect() -> None:
    assert derive_defect(op(standard=True, nonstandard=True, no_standard=True)) is Defect.no


@pytest.mark.parametrize(
    ("universality", "expected"),
    [(Defect.yes, Defect.yes), (Defect.no, Defect.no), (Defect.uncertain, Defect.uncertain)],
)
def test_universality_decides_once_safety_and_cause_hold(universality: Defect, expected: Defect) -> None:
    assert derive_defect(op(nonstandard=True, warning=True, universality=universality)) is expected


def test_uncertain_universality_without_a_cause_is_no() -> None:
    assert derive_defect(op(standard=True, universality=Defect.uncertain)) is Defect.no
    assert derive_defect(op(design=True, universality=Defect.uncertain)) is Defect.no


# --- derive_investigate -------------------------------------------------------------------------------------


def test_investigate_from_the_matrix() -> None:
    assert derive_investigate(op(severity=3, likelihood=3)) is True
    assert derive_investigate(op(severity=3, likelihood=2)) is False


def test_investigate_from_a_similar_recall_outside_the_matrix() -> None:
    assert derive_investigate(op(severity=1, likelihood=1, similar_recall=True)) is True
    assert derive_investigate(op(severity=1, likelihood=1, similar_recall=False)) is False


# --- derive_attention ---------------------------------------------------------------------------------------


def test_attention_from_the_matrix() -> None:
    assert derive_attention(op(severity=2, likelihood=3)) is True
    assert derive_attention(op(severity=2, likelihood=4)) is False


def test_attention_for_an_uncertain_defect_with_public_opinion_risk() -> None:
    uncertain = {"standard": True, "design": True, "universality": Defect.uncertain, "severity": 4, "likelihood": 8}
    assert derive_defect(op(**uncertain)) is Defect.uncertain
    assert derive_attention(op(**uncertain, public_opinion_risk=True)) is True
    assert derive_attention(op(**uncertain, public_opinion_risk=False)) is False


def test_no_attention_for_a_certain_defect_with_public_opinion_risk() -> None:
    certain = op(standard=True, design=True, universality=Defect.yes, severity=4, likelihood=8,
                 public_opinion_risk=True)
    assert derive_defect(certain) is Defect.yes
    assert derive_attention(certain) is False


def test_no_attention_for_no_defect_with_public_opinion_risk() -> None:
    assert derive_attention(op(severity=4, likelihood=8, public_opinion_risk=True)) is False


def test_derive_conclusions_combines_the_three() -> None:
    c = derive_conclusions(op(standard=True, design=True, universality=Defect.yes, severity=3, likelihood=5,
                              similar_recall=True))
    assert c == Conclusions(Defect.yes, True, False)
    assert c.to_dict() == {"defect": "yes", "investigate": True, "attention": False}


# --- parse_opinion ------------------------------------------------------------------------------------------


def test_a_valid_mapping_parses() -> None:
    data = raw(
        standard_noncompliance={"answer": True, "detail": "  折叠锁止机构不符合 5.3  "},
        injury_types={"physical": "摔倒致钝器伤害", "chemical": None, "biological": None},
        severity=3,
        likelihood=5,
        producer_cause={"design": True, "manufacturing": False, "warning": False},
        universality="yes",
        similar_recall={"answer": True, "detail": "Safety Gate"},
    )
    o = parse_opinion(data)
    assert o.standard_noncompliance == Answer(True, "折叠锁止机构不符合 5.3")
    assert o.nonstandard_danger == Answer(False, "")
    assert o.similar_recall == Answer(True, "Safety Gate")
    assert o.public_opinion_risk.answer is False
    assert dict(o.injury_types) == {"physical": "摔倒致钝器伤害", "chemical": None, "biological": None}
    assert (o.severity, o.likelihood) == (3, 5)
    assert dict(o.producer_cause) == {"design": True, "manufacturing": False, "warning": False}
    assert o.universality is Defect.yes
    assert derive_conclusions(o) == Conclusions(Defect.yes, True, False)
    # the stored shape parses back to the same opinion
    assert parse_opinion(o.to_dict()) == o


def test_the_example_file_shape_parses() -> None:
    # examples/opinion-defect.yaml as PyYAML reads it (bare yes/no are booleans in YAML 1.1)
    data = {
        "standard_noncompliance": {"answer": True, "detail": "折叠锁止机构不符合GB/T 40019-2021 第5.3条"},
        "nonstandard_danger": {"answer": False, "detail": ""},
        "no_standard_danger": {"answer": False, "detail": ""},
        "injury_types": {"physical": "摔倒致钝器伤害", "chemical": None, "biological": None},
        "severity": 3,
        "likelihood": 5,
        "producer_cause": {"design": True, "manufacturing": False, "warning": False},
        "universality": True,
        "similar_recall": {"answer": True, "detail": "2025年欧盟Safety Gate通报同类滑板车折叠机构召回"},
        "public_opinion_risk": {"answer": False, "detail": ""},
    }
    o = parse_opinion(data)
    assert o.universality is Defect.yes
    assert derive_conclusions(o) == Conclusions(Defect.yes, True, False)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), ("yes", True), ("no", False), ("Yes", True), ("NO", False),
     ("true", True), ("false", False)],
)
def test_yaml_style_booleans_are_accepted_for_answers_and_causes(value: Any, expected: bool) -> None:
    o = parse_opinion(raw(
        public_opinion_risk={"answer": value},
        producer_cause={"design": value, "manufacturing": False, "warning": False},
    ))
    assert o.public_opinion_risk.answer is expected
    assert o.producer_cause["design"] is expected


@pytest.mark.parametrize("value", [True, False])
def test_a_bare_boolean_stands_for_the_answer(value: bool) -> None:
    o = parse_opinion(raw(similar_recall=value))
    assert o.similar_recall == Answer(value, "")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, Defect.yes), (False, Defect.no), ("yes", Defect.yes), ("no", Defect.no),
     ("uncertain", Defect.uncertain), (" Uncertain ", Defect.uncertain)],
)
def test_universality_spellings(value: Any, expected: Defect) -> None:
    assert parse_opinion(raw(universality=value)).universality is expected


def test_missing_producer_causes_default_to_no() -> None:
    assert dict(parse_opinion(raw(producer_cause={"warning": "yes"})).producer_cause) == {
        "design": False, "manufacturing": False, "warning": True}


def refusal(data: Any) -> str:
    with pytest.raises(InvalidInput) as info:
        parse_opinion(data)
    return info.value.message


@pytest.mark.parametrize(
    "key",
    ["standard_noncompliance", "nonstandard_danger", "no_standard_danger", "injury_types", "severity",
     "likelihood", "producer_cause", "universality", "similar_recall", "public_opinion_risk"],
)
def test_a_missing_key_is_named(key: str) -> None:
    data = raw()
    del data[key]
    assert refusal(data) == f"{key}: missing"


def test_an_unknown_key_is_named() -> None:
    assert refusal(raw(seriousness=3)).startswith("seriousness: unknown key")


def test_not_a_mapping_is_refused() -> None:
    assert refusal([1, 2]).startswith("opinion:")


@pytest.mark.parametrize("value", [0, 5, "3", True, 2.0, None])
def test_bad_severity_is_named(value: Any) -> None:
    msg = refusal(raw(severity=value))
    assert msg.startswith("severity:")
    assert "1 to 4" in msg


@pytest.mark.parametrize("value", [0, 9, "8", False])
def test_bad_likelihood_is_named(value: Any) -> None:
    msg = refusal(raw(likelihood=value))
    assert msg.startswith("likelihood:")
    assert "1 to 8" in msg


@pytest.mark.parametrize("value", ["maybe", "", 1, None])
def test_bad_universality_is_named(value: Any) -> None:
    msg = refusal(raw(universality=value))
    assert msg.startswith("universality:")
    assert "yes, no or uncertain" in msg


@pytest.mark.parametrize("field", ["standard_noncompliance", "nonstandard_danger", "no_standard_danger",
                                   "similar_recall", "public_opinion_risk"])
@pytest.mark.parametrize("value", ["maybe", 1, None, "是"])
def test_an_answer_that_is_not_boolean_is_named(field: str, value: Any) -> None:
    assert refusal(raw(**{field: {"answer": value, "detail": ""}})).startswith(f"{field}.answer:")


def test_an_answer_without_answer_is_named() -> None:
    assert refusal(raw(similar_recall={"detail": "x"})) == "similar_recall.answer: missing"


def test_an_unknown_key_inside_an_answer_is_named() -> None:
    assert refusal(raw(similar_recall={"answer": True, "why": "x"})).startswith("similar_recall.why: unknown key")


@pytest.mark.parametrize("value", [5, ["a"], {"a": 1}, True])
def test_a_detail_that_is_not_text_is_named(value: Any) -> None:
    assert refusal(raw(nonstandard_danger={"answer": True, "detail": value})).startswith(
        "nonstandard_danger.detail: must be text")


def test_an_unknown_injury_type_is_named() -> None:
    msg = refusal(raw(injury_types={"physical": None, "radiation": "x"}))
    assert msg.startswith("injury_types.radiation: unknown key")


def test_an_injury_text_that_is_not_text_is_named() -> None:
    assert refusal(raw(injury_types={"chemical": 3})).startswith("injury_types.chemical: must be text")


def test_an_unknown_producer_cause_is_named() -> None:
    msg = refusal(raw(producer_cause={"design": True, "marketing": True}))
    assert msg.startswith("producer_cause.marketing: unknown key")


def test_a_producer_cause_that_is_not_boolean_is_named() -> None:
    assert refusal(raw(producer_cause={"design": "maybe"})).startswith("producer_cause.design:")


@pytest.mark.parametrize("field", ["injury_types", "producer_cause", "similar_recall"])
def test_a_section_that_is_not_a_mapping_is_named(field: str) -> None:
    assert refusal(raw(**{field: "nothing"})).startswith(f"{field}: must be a mapping")


def test_parse_does_not_modify_its_input() -> None:
    data = raw(similar_recall=True, universality="uncertain")
    before = copy.deepcopy(data)
    parse_opinion(data)
    assert data == before


# --- majority_vote ------------------------------------------------------------------------------------------


def C(defect: str, investigate: bool = False, attention: bool = False) -> Conclusions:  # noqa: N802
    return Conclusions(Defect(defect), investigate, attention)


def test_unanimous_investigate() -> None:
    t = majority_vote([C("yes", True, False)] * 3)
    assert t.conclusions == C("yes", True, False)
    assert t.outcome is Outcome.investigate
    assert t.forms == 3
    assert t.defect == {"yes": 3, "no": 0, "uncertain": 0}
    assert t.investigate == {"yes": 3, "no": 0}
    assert t.attention == {"yes": 0, "no": 3}


def test_unanimous_no_investigation() -> None:
    t = majority_vote([C("no")] * 3)
    assert t.conclusions == C("no", False, False)
    assert t.outcome is Outcome.no_investigation


def test_unanimous_attention() -> None:
    t = majority_vote([C("no", False, True)] * 5)
    assert t.conclusions == C("no", False, True)
    assert t.outcome is Outcome.continued_attention


def test_unanimous_uncertain_defect() -> None:
    t = majority_vote([C("uncertain")] * 3)
    assert t.conclusions.defect is Defect.uncertain
    assert t.outcome is Outcome.continued_attention


def test_two_to_one_splits() -> None:
    t = majority_vote([C("yes", True), C("yes", True), C("no", False, True)])
    assert t.conclusions == C("yes", True, False)
    assert t.outcome is Outcome.investigate
    assert t.defect == {"yes": 2, "no": 1, "uncertain": 0}

    t = majority_vote([C("no", False, True), C("no", False, True), C("yes", True)])
    assert t.conclusions == C("no", False, True)
    assert t.outcome is Outcome.continued_attention

    t = majority_vote([C("no"), C("no"), C("yes", True, True)])
    assert t.conclusions == C("no", False, False)
    assert t.outcome is Outcome.no_investigation


def test_two_yes_two_no_one_uncertain_is_uncertain_hence_attention() -> None:
    t = majority_vote([C("yes"), C("yes"), C("no"), C("no"), C("uncertain")])
    assert t.defect == {"yes": 2, "no": 2, "uncertain": 1}
    assert t.conclusions.defect is Defect.uncertain
    assert t.outcome is Outcome.continued_attention


def test_a_plurality_is_not_a_majority() -> None:
    # 2 yes of 4 is the most votes but not more than half
    t = majority_vote([C("yes"), C("yes"), C("no"), C("uncertain")])
    assert t.defect == {"yes": 2, "no": 1, "uncertain": 1}
    assert t.conclusions.defect is Defect.uncertain
    assert t.outcome is Outcome.continued_attention


def test_a_two_two_tie_on_defect_is_uncertain() -> None:
    t = majority_vote([C("yes"), C("yes"), C("no"), C("no")])
    assert t.conclusions.defect is Defect.uncertain
    assert t.outcome is Outcome.continued_attention


def test_a_two_two_tie_on_investigate_is_not_a_majority() -> None:
    t = majority_vote([C("no", True), C("no", True), C("no", False), C("no", False)])
    assert t.investigate == {"yes": 2, "no": 2}
    assert t.conclusions.investigate is False
    assert t.outcome is Outcome.no_investigation


def test_a_two_two_tie_on_attention_is_not_a_majority() -> None:
    t = majority_vote([C("no", False, True), C("no", False, True), C("no"), C("no")])
    assert t.conclusions.attention is False
    assert t.outcome is Outcome.no_investigation


def test_three_of_four_is_a_majority() -> None:
    t = majority_vote([C("no", True), C("no", True), C("no", True), C("no", False)])
    assert t.conclusions.investigate is True
    assert t.outcome is Outcome.investigate


def test_investigate_beats_attention() -> None:
    t = majority_vote([C("no", True, True)] * 3)
    assert t.conclusions == C("no", True, True)
    assert t.outcome is Outcome.investigate


def test_investigate_beats_an_uncertain_defect() -> None:
    t = majority_vote([C("uncertain", True)] * 3)
    assert t.outcome is Outcome.investigate


def test_attention_without_uncertainty_is_continued_attention() -> None:
    t = majority_vote([C("yes", False, True)] * 3)
    assert t.conclusions == C("yes", False, True)
    assert t.outcome is Outcome.continued_attention


def test_a_defect_without_investigate_or_attention_is_no_investigation() -> None:
    t = majority_vote([C("yes")] * 3)
    assert t.outcome is Outcome.no_investigation


def test_an_empty_vote_is_refused() -> None:
    with pytest.raises(InvalidInput) as info:
        majority_vote([])
    assert info.value.message.startswith("forms:")


def test_the_tally_to_dict() -> None:
    t = majority_vote([C("yes", True), C("no", False, True), C("yes", True)])
    assert t.to_dict() == {
        "forms": 3,
        "defect": {"yes": 2, "no": 1, "uncertain": 0},
        "investigate": {"yes": 2, "no": 1},
        "attention": {"yes": 1, "no": 2},
        "conclusions": {"defect": "yes", "investigate": True, "attention": False},
        "outcome": "investigate",
    }


def test_majority_vote_accepts_a_generator() -> None:
    assert majority_vote(C("no") for _ in range(3)).forms == 3


@pytest.mark.parametrize(
    ("submitted", "panel", "met"),
    [(3, 5, True), (2, 5, False), (2, 4, False), (3, 4, True), (2, 3, True), (1, 3, False), (0, 0, False),
     (1, 1, True), (0, 1, False)],
)
def test_quorum(submitted: int, panel: int, met: bool) -> None:
    assert quorum_met(submitted, panel) is met


# --- properties ---------------------------------------------------------------------------------------------

conclusions_st = st.builds(
    Conclusions, st.sampled_from(list(Defect)), st.booleans(), st.booleans()
)
forms_st = st.lists(conclusions_st, min_size=1, max_size=9)


def oracle(items: list[Conclusions]) -> Outcome:
    """DOMAIN.md § The panel's decision, written independently of the module."""
    n = len(items)
    counts = {d: sum(1 for c in items if c.defect is d) for d in Defect}
    defect = next((d for d, k in counts.items() if 2 * k > n), Defect.uncertain)
    investigate = 2 * sum(c.investigate for c in items) > n
    attention = 2 * sum(c.attention for c in items) > n
    if investigate:
        return Outcome.investigate
    if attention or defect is Defect.uncertain:
        return Outcome.continued_attention
    return Outcome.no_investigation


@settings(max_examples=200)
@given(forms_st)
def test_outcome_matches_the_written_rule(items: list[Conclusions]) -> None:
    assert majority_vote(items).outcome is oracle(items)


@settings(max_examples=200)
@given(forms_st, st.randoms(use_true_random=False))
def test_outcome_depends_only_on_the_multiset(items: list[Conclusions], rnd: Any) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)
    a, b = majority_vote(items), majority_vote(shuffled)
    assert a.to_dict() == b.to_dict()


@settings(max_examples=200)
@given(forms_st, st.sampled_from(list(Defect)), st.booleans())
def test_a_unanimous_majority_of_investigate_forms_wins(
    items: list[Conclusions], defect: Defect, attention: bool
) -> None:
    extra = [Conclusions(defect, True, attention)] * (len(items) + 1)
    assert majority_vote(items + extra).outcome is Outcome.investigate
    assert majority_vote(extra + items).conclusions.investigate is True


@settings(max_examples=200)
@given(forms_st)
def test_tally_counts_sum_to_the_number_of_forms(items: list[Conclusions]) -> None:
    t = majority_vote(items)
    n = len(items)
    assert t.forms == n
    assert sum(t.defect.values()) == n
    assert sum(t.investigate.values()) == n
    assert sum(t.attention.values()) == n
    assert t.investigate["yes"] == sum(c.investigate for c in items)
    assert t.attention["yes"] == sum(c.attention for c in items)


@settings(max_examples=200)
@given(st.integers(1, 4), st.integers(1, 8), st.booleans(), st.booleans(), st.sampled_from(list(Defect)))
def test_investigate_and_attention_from_the_matrix_never_both_hold_without_the_extra_rules(
    severity: int, likelihood: int, standard: bool, design: bool, universality: Defect
) -> None:
    o = op(standard=standard, design=design, universality=universality, severity=severity, likelihood=likelihood)
    c = derive_conclusions(o)
    mark = GRID[severity].split()[likelihood - 1]
    assert c.investigate is (mark == "I")
    assert c.attention is (mark == "A")


opinions_st = st.builds(
    op,
    standard=st.booleans(), nonstandard=st.booleans(), no_standard=st.booleans(),
    design=st.booleans(), manufacturing=st.booleans(), warning=st.booleans(),
    universality=st.sampled_from(list(Defect)), severity=st.integers(1, 4), likelihood=st.integers(1, 8),
    similar_recall=st.booleans(), public_opinion_risk=st.booleans(),
)


@settings(max_examples=200)
@given(st.lists(opinions_st, min_size=1, max_size=4).map(lambda xs: xs + xs[:1] if len(xs) % 2 == 0 else xs))
def test_an_odd_number_of_real_forms_never_ends_in_no_investigation(opinions: list[Opinion]) -> None:
    # every form falls in one of the two matrices, so with an odd count one of them has a strict majority:
    # 不建议开展缺陷调查 needs an even number of forms and a tie
    assert len(opinions) % 2 == 1
    assert majority_vote(derive_conclusions(o) for o in opinions).outcome is not Outcome.no_investigation
