"""The rules printed on the 会诊表 and the panel's majority vote (Art. 8(6)), as pure functions."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from states.errors import InvalidInput
from states.status import Defect, Outcome

SEVERITIES = range(1, 5)
LIKELIHOODS = range(1, 9)

# 会诊表 · 开展调查原则 1–4: for each severity, the lowest likelihood from which an investigation is advised.
INVESTIGATE_FROM: dict[int, int] = {1: 6, 2: 4, 3: 3, 4: 2}
# 会诊表 · 开展持续关注原则 1(1)–(4): for each severity, the highest likelihood for which attention is advised.
ATTENTION_UP_TO: dict[int, int] = {1: 5, 2: 3, 3: 2, 4: 1}

YES_NO_FIELDS = (
    "standard_noncompliance",
    "nonstandard_danger",
    "no_standard_danger",
    "similar_recall",
    "public_opinion_risk",
)
INJURY_TYPES = ("physical", "chemical", "biological")
PRODUCER_CAUSES = ("design", "manufacturing", "warning")
OPINION_KEYS = frozenset(
    YES_NO_FIELDS + ("injury_types", "severity", "likelihood", "producer_cause", "universality")
)


@dataclass(frozen=True)
class Answer:
    answer: bool
    detail: str = ""


@dataclass(frozen=True)
class Opinion:
    """One expert's answers on the 会诊信息 part of the form."""

    standard_noncompliance: Answer
    nonstandard_danger: Answer
    no_standard_danger: Answer
    similar_recall: Answer
    public_opinion_risk: Answer
    injury_types: Mapping[str, str | None]
    severity: int
    likelihood: int
    producer_cause: Mapping[str, bool]
    universality: Defect

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in YES_NO_FIELDS:
            a: Answer = getattr(self, name)
            out[name] = {"answer": a.answer, "detail": a.detail}
        out["injury_types"] = {k: self.injury_types.get(k) for k in INJURY_TYPES}
        out["severity"] = self.severity
        out["likelihood"] = self.likelihood
        out["producer_cause"] = {k: bool(self.producer_cause.get(k)) for k in PRODUCER_CAUSES}
        out["universality"] = str(self.universality)
        return out


@dataclass(frozen=True)
class Conclusions:
    defect: Defect
    investigate: bool
    attention: bool

    def to_dict(self) -> dict[str, Any]:
        return {"defect": str(self.defect), "investigate": self.investigate, "attention": self.attention}


def _yes_no_uncertain(value: Any, field: str) -> Defect:
    # YAML 1.1 reads a bare yes/no as a boolean: accept both spellings.
    if value is True:
        return Defect.yes
    if value is False:
        return Defect.no
    if isinstance(value, str) and value.strip().lower() in ("yes", "no", "uncertain"):
        return Defect(value.strip().lower())
    raise InvalidInput(f"{field}: must be yes, no or uncertain, not {value!r}", key="not_yes_no_uncertain", field=field,
                       value=repr(value))


def _boolean(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("yes", "no", "true", "false"):
        return value.strip().lower() in ("yes", "true")
    raise InvalidInput(f"{field}: must be true or false (yes/no), not {value!r}", key="not_boolean", field=field,
                       value=repr(value))


def _text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{field}: must be text, not {value!r}", key="not_text", field=field)
    return value.strip()


def _integer(value: Any, field: str, allowed: range) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field}: must be a whole number from {allowed.start} to {allowed.stop - 1}, not {value!r}",
                           key="not_integer", field=field, low=allowed.start, high=allowed.stop - 1)
    if value not in allowed:
        raise InvalidInput(f"{field}: must be from {allowed.start} to {allowed.stop - 1}, not {value}", key="out_of_range",
                           field=field, low=allowed.start, high=allowed.stop - 1, value=value)
    return value


def _mapping(value: Any, field: str, keys: Iterable[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{field}: must be a mapping with keys {', '.join(keys)}", key="not_mapping", field=field,
                           allowed=list(keys))
    unknown = sorted(set(map(str, value)) - set(keys))
    if unknown:
        raise InvalidInput(f"{field}.{unknown[0]}: unknown key (allowed: {', '.join(keys)})", key="unknown_key",
                           field=f"{field}.{unknown[0]}", allowed=list(keys))
    return value


def parse_opinion(data: Any) -> Opinion:
    """Validate an opinion file's content (the 会诊信息 part of the form); errors name the field."""
    if not isinstance(data, Mapping):
        raise InvalidInput("opinion: the file must hold a mapping of the form's fields", key="not_mapping", field="opinion")
    unknown = sorted(set(map(str, data)) - OPINION_KEYS)
    if unknown:
        raise InvalidInput(f"{unknown[0]}: unknown key (allowed: {', '.join(sorted(OPINION_KEYS))})", key="unknown_key",
                           field=unknown[0], allowed=sorted(OPINION_KEYS))
    missing = sorted(OPINION_KEYS - set(map(str, data)))
    if missing:
        raise InvalidInput(f"{missing[0]}: missing", key="missing", field=missing[0])
    answers: dict[str, Answer] = {}
    for name in YES_NO_FIELDS:
        raw = data[name]
        if isinstance(raw, bool):
            raw = {"answer": raw}
        item = _mapping(raw, name, ("answer", "detail"))
        if "answer" not in item:
            raise InvalidInput(f"{name}.answer: missing", key="missing", field=f"{name}.answer")
        answers[name] = Answer(_boolean(item["answer"], f"{name}.answer"), _text(item.get("detail"), f"{name}.detail"))
    injuries_raw = _mapping(data["injury_types"], "injury_types", INJURY_TYPES)
    injuries = {k: (_text(injuries_raw.get(k), f"injury_types.{k}") or None) for k in INJURY_TYPES}
    causes_raw = _mapping(data["producer_cause"], "producer_cause", PRODUCER_CAUSES)
    causes = {k: _boolean(causes_raw.get(k, False), f"producer_cause.{k}") for k in PRODUCER_CAUSES}
    return Opinion(
        injury_types=injuries,
        severity=_integer(data["severity"], "severity", SEVERITIES),
        likelihood=_integer(data["likelihood"], "likelihood", LIKELIHOODS),
        producer_cause=causes,
        universality=_yes_no_uncertain(data["universality"], "universality"),
        **answers,
    )


def derive_defect(op: Opinion) -> Defect:
    """会诊表 · 缺陷消费品判定规则.

    Yes when (标准符合性问题 or either 非标准符合性问题) and any 生产者原因 and 普遍性 = 是;
    uncertain when the first two hold and 普遍性 = 不确定; otherwise no.
    """
    safety = op.standard_noncompliance.answer or op.nonstandard_danger.answer or op.no_standard_danger.answer
    cause = any(op.producer_cause.get(k, False) for k in PRODUCER_CAUSES)
    if safety and cause:
        if op.universality is Defect.yes:
            return Defect.yes
        if op.universality is Defect.uncertain:
            return Defect.uncertain
    return Defect.no


def in_investigate_matrix(severity: int, likelihood: int) -> bool:
    """会诊表 · 开展调查原则 1–4 (risk medium or above on the severity × likelihood grid)."""
    return likelihood >= INVESTIGATE_FROM[severity]


def in_attention_matrix(severity: int, likelihood: int) -> bool:
    """会诊表 · 开展持续关注原则 1(1)–(4) (the low-risk cells)."""
    return likelihood <= ATTENTION_UP_TO[severity]


def derive_investigate(op: Opinion) -> bool:
    """会诊表 · 开展调查原则: the matrix (1–4) or a similar recall at home or abroad (5)."""
    return in_investigate_matrix(op.severity, op.likelihood) or op.similar_recall.answer


def derive_attention(op: Opinion) -> bool:
    """会诊表 · 开展持续关注原则: the matrix (1), or defect uncertain with public-opinion risk (2)."""
    if in_attention_matrix(op.severity, op.likelihood):
        return True
    return derive_defect(op) is Defect.uncertain and op.public_opinion_risk.answer


def derive_conclusions(op: Opinion) -> Conclusions:
    return Conclusions(derive_defect(op), derive_investigate(op), derive_attention(op))


@dataclass(frozen=True)
class Tally:
    """The panel's vote on each conclusion (Art. 8(6), 少数服从多数)."""

    forms: int
    defect: dict[str, int]
    investigate: dict[str, int]
    attention: dict[str, int]
    conclusions: Conclusions
    outcome: Outcome

    def to_dict(self) -> dict[str, Any]:
        return {
            "forms": self.forms,
            "defect": dict(self.defect),
            "investigate": dict(self.investigate),
            "attention": dict(self.attention),
            "conclusions": self.conclusions.to_dict(),
            "outcome": str(self.outcome),
        }


def strict_majority(count: int, total: int) -> bool:
    return count * 2 > total


def quorum_met(submitted: int, panel_size: int) -> bool:
    """Quorum: more than half of the panel must have submitted a form."""
    return panel_size > 0 and strict_majority(submitted, panel_size)


def majority_vote(conclusions: Iterable[Conclusions]) -> Tally:
    """Decide each conclusion by strict majority of the submitted forms, then the case outcome.

    A defect vote with no strict majority is uncertain. Outcome: majority investigate ⇒ investigate;
    else majority attention, or defect uncertain ⇒ continued_attention; else no_investigation.
    """
    items = list(conclusions)
    n = len(items)
    if n == 0:
        raise InvalidInput("forms: no submitted form to count", key="opinions_missing", field="forms")
    defects = Counter(str(c.defect) for c in items)
    winner = next((Defect(k) for k, v in defects.items() if strict_majority(v, n)), Defect.uncertain)
    inv_yes = sum(c.investigate for c in items)
    att_yes = sum(c.attention for c in items)
    investigate = strict_majority(inv_yes, n)
    attention = strict_majority(att_yes, n)
    if investigate:
        outcome = Outcome.investigate
    elif attention or winner is Defect.uncertain:
        outcome = Outcome.continued_attention
    else:
        outcome = Outcome.no_investigation
    return Tally(
        forms=n,
        defect={k: defects.get(k, 0) for k in ("yes", "no", "uncertain")},
        investigate={"yes": inv_yes, "no": n - inv_yes},
        attention={"yes": att_yes, "no": n - att_yes},
        conclusions=Conclusions(winner, investigate, attention),
        outcome=outcome,
    )


# --- the live preview of a form being filled in --------------------------------------------------------------

_NEUTRAL: dict[str, Any] = {
    **{name: {"answer": False, "detail": ""} for name in YES_NO_FIELDS},
    "injury_types": {k: None for k in INJURY_TYPES},
    "severity": 1,
    "likelihood": 1,
    "producer_cause": {k: False for k in PRODUCER_CAUSES},
    "universality": "no",
}
DEFECT_INPUTS = ("standard_noncompliance", "nonstandard_danger", "no_standard_danger", "producer_cause",
                 "universality")


def preview_conclusions(data: Any) -> dict[str, Any]:
    """The conclusions the form's rules give for the answers so far (states.rules, the same as on signing).

    A conclusion whose inputs are not all answered yet is None; `missing` names the unanswered fields. Answers
    that are present must be valid: a wrong value is refused, naming the field.
    """
    if not isinstance(data, Mapping):
        raise InvalidInput("opinion: must be a mapping of the form's fields", key="not_mapping", field="opinion")
    given = {str(k) for k in data}
    causes = data.get("producer_cause")
    if isinstance(causes, Mapping) and set(map(str, causes)) != set(PRODUCER_CAUSES):
        given.discard("producer_cause")  # only some causes answered: not yet an answer
    filled: dict[str, Any] = copy.deepcopy(_NEUTRAL)
    for key, value in data.items():
        if key == "producer_cause" and isinstance(value, Mapping) and isinstance(filled["producer_cause"], dict):
            filled["producer_cause"].update(value)
        else:
            filled[str(key)] = value
    op: Opinion = parse_opinion(filled)  # validates what was given (unknown keys, wrong values)
    missing = [k for k in sorted(set(_NEUTRAL)) if k not in given]
    defect_known = all(k in given for k in DEFECT_INPUTS)
    matrix_known = "severity" in given and "likelihood" in given
    defect = derive_defect(op) if defect_known else None
    recall_known = "similar_recall" in given
    investigate: bool | None = None
    if (matrix_known and in_investigate_matrix(op.severity, op.likelihood)) or (recall_known and op.similar_recall.answer):
        investigate = True
    elif matrix_known and recall_known:
        investigate = derive_investigate(op)
    attention: bool | None = None
    if matrix_known and in_attention_matrix(op.severity, op.likelihood):
        attention = True
    elif matrix_known and defect is not None and defect is not Defect.uncertain:
        attention = False
    elif matrix_known and defect is not None and "public_opinion_risk" in given:
        attention = op.public_opinion_risk.answer
    return {
        "complete": not missing,
        "missing": missing,
        "defect": str(defect) if defect is not None else None,
        "investigate": investigate,
        "attention": attention,
    }
