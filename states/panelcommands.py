"""Art. 8(1) by every institution (issue 12): the commands around forming the panel that are not the panel itself.

- `nominate`: a member institution's liaison nominates experts of its own province's pool ("各省（市）召回技术机构
  选取专家"); the applicant then forms the panel from the nominations and the pool (states.casecommands.form_panel).
- `withdraw_nomination`: the institution takes a nomination back.
- `respond`: an expert put on the panel accepts or declines and declares conflicts of interest (employer, province,
  relation to the producer).
- `keep_expert`: the applicant records why an expert who declared a conflict stays on the panel.

Each checks the state first, then its inputs, then the guards, and writes one event (as states.casecommands does).
Who the experts are (their province, whether they exist) is the use case's lookup; the domain gets the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from states.aggregate import Case
from states.casecommands import _emit, _panel_member, check, ensure_allowed
from states.errors import InvalidInput
from states.events import Event

ANSWERS = ("accept", "decline")
RELATIONS = ("none", "related")  # 与生产者的关系：无 / 有（须说明）
NOTE_LIMIT = 2000


def _bounded(value: str, field: str, limit: int, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput("must not be empty", key="text_empty", field=field)
    if len(text) > limit:
        raise InvalidInput(f"at most {limit} characters", key="text_too_long", field=field, limit=limit)
    return text


def nominate(case: Case, institution: str, experts: list[str], provinces: Mapping[str, str], note: str, actor: str,
             now: datetime) -> Event:
    """INSTITUTION nominates EXPERTS (ids) for the panel; PROVINCES: each expert's province (pool code)."""
    ensure_allowed(case, "nominate")
    ids = [e.strip() for e in experts if e and e.strip()]
    if not ids:
        raise InvalidInput("name at least one expert to nominate", key="nomination_empty", field="expert")
    if len(set(ids)) != len(ids):
        raise InvalidInput("an expert is named twice", key="nomination_duplicate", field="expert")
    for expert in ids:
        province = provinces.get(expert, "")
        if province != institution:
            raise InvalidInput(f"{expert} belongs to the pool of {province or '(none)'}; {institution} nominates "
                               f"from its own pool only", key="nomination_other_province", field="expert",
                               expert=expert, province=province, institution=institution)
    already = [e for e in ids if any(n["expert"] == e and n["institution"] == institution for n in case.nominations)]
    if already:
        raise InvalidInput(f"{institution} has nominated {', '.join(already)} already", key="nomination_already",
                           field="expert", experts=already, institution=institution)
    text = _bounded(note, "note", NOTE_LIMIT)
    return _emit(case, check(case, "nominate", now), {"institution": institution, "experts": ids, "note": text},
                 actor)


def withdraw_nomination(case: Case, institution: str, expert: str, actor: str, now: datetime) -> Event:
    """INSTITUTION takes back its nomination of EXPERT (the history keeps both)."""
    ensure_allowed(case, "withdraw_nomination")
    if not any(n["expert"] == expert and n["institution"] == institution for n in case.nominations):
        raise InvalidInput(f"{institution} has not nominated {expert}", key="nomination_missing", field="expert",
                           expert=expert, institution=institution)
    return _emit(case, check(case, "withdraw_nomination", now), {"institution": institution, "expert": expert},
                 actor)


def respond(case: Case, expert: str, answer: str, employer: str, province: str, relation: str, relation_text: str,
            note: str, actor: str, now: datetime) -> Event:
    """A panel expert's answer (accept / decline) and conflict-of-interest declaration; a later answer replaces an
    earlier one (both stay in the history)."""
    ensure_allowed(case, "respond")
    _panel_member(case, expert)
    if answer not in ANSWERS:
        raise InvalidInput(f"answer accept or decline, not {answer!r}", key="response_answer_invalid", field="answer",
                           value=answer)
    if relation not in RELATIONS:
        raise InvalidInput(f"the relation to the producer is none or related, not {relation!r}",
                           key="relation_invalid", field="relation", value=relation)
    accepting = answer == "accept"
    payload = {
        "expert": expert, "answer": answer,
        # Accepting is the declaration: who employs the expert and where; a decline needs no declaration.
        "employer": _bounded(employer, "employer", 200, required=accepting),
        "province": _bounded(province, "province", 50, required=accepting),
        "relation": relation,
        "relation_text": _bounded(relation_text, "relation_text", NOTE_LIMIT, required=relation == "related")
        if relation == "related" else "",
        "note": _bounded(note, "note", NOTE_LIMIT),
    }
    return _emit(case, check(case, "respond", now), payload, actor)


def keep_expert(case: Case, expert: str, reason: str, actor: str, now: datetime) -> Event:
    """The applicant keeps a panel expert who declared a conflict of interest, for a recorded reason."""
    ensure_allowed(case, "keep_expert")
    _panel_member(case, expert)
    if not case.conflict_declared(expert):
        raise InvalidInput(f"{case.number}: expert {expert} has declared no conflict of interest",
                           key="keep_without_conflict", field="expert", number=case.number, expert=expert)
    why = _bounded(reason, "reason", NOTE_LIMIT, required=True)
    return _emit(case, check(case, "keep_expert", now), {"expert": expert, "reason": why}, actor)
