"""The deadline rule table: every working-day timer of a consultation, written once (ARCHITECTURE decision 10).

Which command arms a timer and which resolves it, who answers for it (the institution its reminders go to and the
dashboard names as responsible), who actually has to act, and the article it serves. The number of working days
comes from config (`timers:`); `default_days` is what config defaults to.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeadlineRule:
    kind: str
    armed_by: tuple[str, ...]  # command names; "decide:continued_attention" = decide with that outcome
    resolved_by: tuple[str, ...]
    responsible: str  # "applicant" | "lead": the institution that answers for it
    acts: str  # who has to act before it runs out: "panel_expert" | "applicant" | "lead"
    default_days: int
    article: str


DEADLINE_RULES: tuple[DeadlineRule, ...] = (
    # T1: the experts' preliminary analysis, from the dispatch of the materials (Art. 8(2)).
    DeadlineRule("expert_analysis", ("dispatch",), ("refer",), "applicant", "panel_expert", 3, "8(2)"),
    # T2: the lead convenes the online meeting, from the referral (Art. 8(3)).
    DeadlineRule("convening", ("refer",), ("convene",), "lead", "lead", 5, "8(3)"),
    # Continued attention: the applicant tracks the product, again after each tracking note (DOMAIN.md § timers).
    DeadlineRule("tracking", ("decide:continued_attention", "track"), ("track", "conclude", "reopen"),
                 "applicant", "applicant", 20, "8(6)"),
)

RULE_OF: dict[str, DeadlineRule] = {r.kind: r for r in DEADLINE_RULES}
KINDS: tuple[str, ...] = tuple(RULE_OF)


def armed_by(command: str) -> tuple[str, ...]:
    """The kinds a command arms ("decide:continued_attention" for a decision that keeps the case under attention)."""
    return tuple(r.kind for r in DEADLINE_RULES if command in r.armed_by)


def resolved_by(command: str) -> tuple[str, ...]:
    return tuple(r.kind for r in DEADLINE_RULES if command in r.resolved_by)


def responsible_for(kind: str) -> str:
    return RULE_OF[kind].responsible if kind in RULE_OF else "applicant"
