"""The case aggregate: its fields, the value objects it holds (`Deadline`), the questions guards ask of it, and
its stored shape (the snapshot in the `cases` row, which `audit verify` compares with the replay key by key).

Snapshots carry `snapshot_version`. Version 1 (before issue 11) had no such key; `upcast_snapshot` lifts a stored
snapshot to today's version before it is compared, so an old `cases` row verifies as it was written.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from states.casefile import BASIS_KEYS, PRODUCT_FIELDS
from states.status import CaseStatus, Outcome
from states.yearly import active_hold

# The shape of `Case.to_dict()`; raise it (and add an upcaster below) when a key changes meaning or goes away.
SNAPSHOT_VERSION = 2
# Keys of the stored case written only when they hold something (issue 12's records): snapshots stored before them
# have no such key, and `audit verify` compares the stored snapshot with the replay key by key.
OPTIONAL_KEYS = ("nominations", "responses", "kept", "attendance", "statements", "minutes_draft",
                 "minutes_corrections")
# From version N to N+1. 1 -> 2 only added `snapshot_version` itself.
SNAPSHOT_UPCASTERS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: lambda snap: snap}


def upcast_snapshot(snap: Mapping[str, Any]) -> dict[str, Any]:
    """A stored snapshot lifted to SNAPSHOT_VERSION (a copy; the stored row is not touched)."""
    out = dict(snap)
    version = int(out.get("snapshot_version", 1))
    while version < SNAPSHOT_VERSION:
        out = SNAPSHOT_UPCASTERS[version](out)
        version += 1
    out["snapshot_version"] = version
    return out


@dataclass
class Deadline:
    """A working-day timer armed by a transition (ARCHITECTURE decision 4: it explains itself)."""

    id: str
    kind: str  # expert_analysis | convening | tracking
    start_at: datetime
    working_days: int
    due_at: datetime
    due_date: str
    calendar_version: str
    provisional: bool
    explanation: str
    status: str = "armed"  # armed | met | missed | cancelled | superseded
    resolved_at: datetime | None = None
    supersedes: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "start_at": self.start_at.isoformat(),
            "working_days": self.working_days,
            "due_at": self.due_at.isoformat(),
            "due_date": self.due_date,
            "calendar_version": self.calendar_version,
            "provisional": self.provisional,
            "explanation": self.explanation,
            "status": self.status,
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
            "supersedes": self.supersedes,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Deadline:
        return cls(
            id=d["id"],
            kind=d["kind"],
            start_at=datetime.fromisoformat(d["start_at"]),
            working_days=int(d["working_days"]),
            due_at=datetime.fromisoformat(d["due_at"]),
            due_date=d["due_date"],
            calendar_version=d["calendar_version"],
            provisional=bool(d["provisional"]),
            explanation=d["explanation"],
            status=d.get("status", "armed"),
            resolved_at=datetime.fromisoformat(d["resolved_at"]) if d.get("resolved_at") else None,
            supersedes=d.get("supersedes"),
        )


# A function the caller injects to compute a deadline: (kind, start_at, deadline id) -> Deadline.
DeadlinePlanner = Callable[[str, datetime, str], Deadline]


def joint_only(basis: Mapping[str, Any], cross_province: bool) -> bool:
    """Art. 4(3) alone: `basis.joint_decision` is given, and neither cross-province production nor a SAMR
    assignment is a basis (a snapshot's dict or a Case: the same rule for the guard and for who sees the draft)."""
    def given(key: str) -> bool:
        return bool(str((basis or {}).get(key) or "").strip())

    return given("joint_decision") and not given("samr_assignment") and not cross_province


@dataclass
class Case:
    """One consultation as its events make it. Commands (states.casecommands) ask it questions; only the fold
    (states.fold) changes it."""

    number: str
    status: CaseStatus = CaseStatus.drafted
    applicant: str = ""
    lead: str | None = None
    created_at: datetime | None = None
    submitted_at: datetime | None = None
    product: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    source_other: str = ""
    basis: dict[str, str] = field(default_factory=dict)
    linked_from: str | None = None
    linked_to: str | None = None
    verification: dict[str, Any] | None = None
    panel: list[str] = field(default_factory=list)
    panel_reason: str = ""
    materials: list[dict[str, Any]] = field(default_factory=list)
    analyses: dict[str, dict[str, Any]] = field(default_factory=dict)
    refer_reason: str = ""
    convened_at: datetime | None = None
    opinions: dict[str, dict[str, Any]] = field(default_factory=dict)
    absences: dict[str, str] = field(default_factory=dict)
    chases: list[dict[str, Any]] = field(default_factory=list)  # 催办 of late experts (issue 12): history order
    tally: dict[str, Any] | None = None
    outcome: Outcome | None = None
    conclusions: dict[str, Any] | None = None
    decided_at: datetime | None = None
    minutes: dict[str, Any] | None = None
    tracking: list[dict[str, Any]] = field(default_factory=list)
    meeting: dict[str, Any] | None = None
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    closing_reason: str = ""
    closed_at: datetime | None = None
    deadlines: list[Deadline] = field(default_factory=list)
    # The yearly account (issue 6): each panel expert's fee (Art. 10) and the disposal record (Art. 9).
    fees: dict[str, dict[str, Any]] = field(default_factory=dict)
    retention: dict[str, Any] = field(default_factory=dict)
    # Art. 4(3): other institutions' concurrence with a joint decision (issue 12), in the order recorded.
    concurrences: list[dict[str, Any]] = field(default_factory=list)
    # Art. 8(1) by every institution (issue 12): nominations from each institution's own pool, in the order made;
    # each panel expert's answer and conflict-of-interest declaration (the latest); the applicant's recorded reason
    # to keep an expert who declared a conflict (voided by a new declaration).
    nominations: list[dict[str, Any]] = field(default_factory=list)
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)
    kept: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Art. 5 / 8(4)–(5) and 8(7) (issue 12): each institution's attendance at the meeting, the experts' statements
    # in speaking order, the lead's edits of the minutes before issuing, and the numbered corrections after it.
    attendance: dict[str, dict[str, Any]] = field(default_factory=dict)
    statements: list[dict[str, Any]] = field(default_factory=list)
    minutes_draft: dict[str, Any] = field(default_factory=dict)
    minutes_corrections: list[dict[str, Any]] = field(default_factory=list)
    version: int = 0
    last_event_at: datetime | None = None

    # --- questions the guards ask -------------------------------------------------------------------------
    @property
    def cross_province(self) -> bool:
        reg, prod = self.product.get("registered_province"), self.product.get("production_province")
        return bool(reg and prod and reg != prod)

    def joint_only(self) -> bool:
        """Art. 4(3): the only basis is the institutions' joint decision (not cross-province, no SAMR assignment)."""
        return joint_only(self.basis, self.cross_province)

    def basis_holds(self) -> bool:
        return self.cross_province or any(str(self.basis.get(k) or "").strip() for k in BASIS_KEYS)

    def missing_product_fields(self) -> list[str]:
        missing = [f"product.{k}" for k in PRODUCT_FIELDS if not self.product.get(k)]
        if not self.sources:
            missing.append("sources")
        elif "other" in self.sources and not self.source_other:
            missing.append("source_other")
        return missing

    def open_deadline(self, kind: str) -> Deadline | None:
        for d in reversed(self.deadlines):
            if d.kind == kind and d.status == "armed":
                return d
        return None

    def conflict_declared(self, expert: str) -> bool:
        """The expert's latest declaration names a relation to the producer (Art. 8(1): a conflict of interest)."""
        return (self.responses.get(expert) or {}).get("relation") == "related"

    def declined(self) -> list[str]:
        """Panel experts whose latest answer declines the invitation."""
        return [e for e in self.panel if (self.responses.get(e) or {}).get("answer") == "decline"]

    def unresolved_conflicts(self) -> list[str]:
        """Panel experts who declared a conflict that no recorded reason keeps them despite."""
        return [e for e in self.panel if self.conflict_declared(e) and e not in self.kept]

    def open_deadlines(self) -> list[Deadline]:
        return [d for d in self.deadlines if d.status == "armed"]

    def active_hold(self) -> dict[str, Any] | None:
        """The legal hold in force (placed and not yet released), if any."""
        hold = active_hold(self.retention)
        return dict(hold) if hold else None

    @property
    def appraisal(self) -> dict[str, Any] | None:
        found = self.retention.get("appraisal")
        return dict(found) if found else None

    def current_minutes(self) -> dict[str, Any] | None:
        """The minutes in force: the last correction, else the minutes as first issued (None before issuing)."""
        return self.minutes_corrections[-1] if self.minutes_corrections else self.minutes

    def minutes_issue_no(self) -> int:
        """The number of the minutes' latest issue (第N号): 1 when first issued, one more for each correction."""
        return (1 + len(self.minutes_corrections)) if self.minutes else 0

    @property
    def dispatched(self) -> bool:
        """The materials went to the panel (T1 was armed): from then on the experts work, and are paid."""
        return any(d.kind == "expert_analysis" for d in self.deadlines)

    # --- the stored shape ---------------------------------------------------------------------------------
    def to_dict(self, *, shared: bool = False) -> dict[str, Any]:
        """The stored shape. SHARED: the nested values are the case's own, not copies (for a caller that encodes
        the dict at once and keeps nothing of it: copying a long case's history to throw it away costs more than
        the write)."""
        deep: Callable[[Any], Any] = (lambda v: v) if shared else copy.deepcopy
        def iso(v: datetime | None) -> str | None:
            return v.isoformat() if v else None

        return {
            "number": self.number,
            "status": str(self.status),
            "outcome": str(self.outcome) if self.outcome else None,
            "applicant": self.applicant,
            "lead": self.lead,
            "created_at": iso(self.created_at),
            "submitted_at": iso(self.submitted_at),
            "product": deep(self.product),
            "cross_province": self.cross_province,
            "sources": list(self.sources),
            "source_other": self.source_other,
            "basis": dict(self.basis),
            "linked_from": self.linked_from,
            "linked_to": self.linked_to,
            "verification": deep(self.verification),
            "panel": list(self.panel),
            "panel_reason": self.panel_reason,
            "materials": deep(self.materials),
            "analyses": deep(self.analyses),
            "refer_reason": self.refer_reason,
            "convened_at": iso(self.convened_at),
            "opinions": deep(self.opinions),
            "absences": dict(self.absences),
            "tally": deep(self.tally),
            "conclusions": deep(self.conclusions),
            "decided_at": iso(self.decided_at),
            "minutes": deep(self.minutes),
            "tracking": deep(self.tracking),
            "meeting": deep(self.meeting),
            "deliveries": deep(self.deliveries),
            "closing_reason": self.closing_reason,
            "closed_at": iso(self.closed_at),
            "deadlines": [d.to_dict() for d in self.deadlines],
            "version": self.version,
            "snapshot_version": SNAPSHOT_VERSION,
        } | self._yearly_dict(deep) | ({"chases": deep(self.chases)} if self.chases else {})

    @classmethod
    def from_dict(cls, snap: Mapping[str, Any], last_event_at: datetime | None = None, *,
                  owned: bool = False) -> Case:
        """The case a snapshot of today's SNAPSHOT_VERSION stores (the inverse of `to_dict`; `cross_province` is
        derived, so it is not read back). LAST_EVENT_AT is not in the snapshot: the caller reads it from the chain
        head it verified the snapshot against. An older snapshot is refused: the caller replays instead. OWNED: the
        mapping was just decoded for this case alone, so its nested values are taken without copying them."""
        if int(snap.get("snapshot_version", 1)) != SNAPSHOT_VERSION:
            raise ValueError(f"snapshot version {snap.get('snapshot_version', 1)} is not {SNAPSHOT_VERSION}")

        def when(key: str) -> datetime | None:
            raw = snap.get(key)
            return datetime.fromisoformat(raw) if raw else None

        def deep(key: str, default: Any) -> Any:
            value = snap.get(key)
            if value is None:
                return default
            return value if owned else copy.deepcopy(value)

        outcome = snap.get("outcome")
        return cls(
            number=snap["number"], status=CaseStatus(snap["status"]), applicant=snap.get("applicant", ""),
            lead=snap.get("lead"), created_at=when("created_at"), submitted_at=when("submitted_at"),
            product=deep("product", {}), sources=list(snap.get("sources") or []),
            source_other=snap.get("source_other", ""), basis=dict(snap.get("basis") or {}),
            linked_from=snap.get("linked_from"), linked_to=snap.get("linked_to"),
            verification=deep("verification", None), panel=list(snap.get("panel") or []),
            panel_reason=snap.get("panel_reason", ""), materials=deep("materials", []),
            analyses=deep("analyses", {}), refer_reason=snap.get("refer_reason", ""),
            convened_at=when("convened_at"), opinions=deep("opinions", {}), absences=dict(snap.get("absences") or {}),
            chases=deep("chases", []), tally=deep("tally", None),
            outcome=Outcome(outcome) if outcome else None, conclusions=deep("conclusions", None),
            decided_at=when("decided_at"), minutes=deep("minutes", None), tracking=deep("tracking", []),
            meeting=deep("meeting", None), deliveries=deep("deliveries", []),
            closing_reason=snap.get("closing_reason", ""), closed_at=when("closed_at"),
            deadlines=[Deadline.from_dict(d) for d in snap.get("deadlines") or []],
            fees=deep("fees", {}), retention=deep("retention", {}), concurrences=deep("concurrences", []),
            nominations=deep("nominations", []), responses=deep("responses", {}), kept=deep("kept", {}),
            attendance=deep("attendance", {}), statements=deep("statements", []),
            minutes_draft=deep("minutes_draft", {}), minutes_corrections=deep("minutes_corrections", []),
            version=int(snap["version"]), last_event_at=last_event_at,
        )

    def _yearly_dict(self, deep: Callable[[Any], Any]) -> dict[str, Any]:
        # Only when present: snapshots written before the yearly account have neither key, and `audit verify`
        # compares the stored snapshot with the replay key by key.
        extra: dict[str, Any] = {}
        if self.fees:
            extra["fees"] = deep(self.fees)
        if self.retention:
            extra["retention"] = deep(self.retention)
        if self.concurrences:
            extra["concurrences"] = deep(self.concurrences)
        # Issue 12 (Art. 8(1), 5, 8(4)-(7)): only when present, like the keys above: old snapshots keep comparing.
        for key in OPTIONAL_KEYS:
            if getattr(self, key):
                extra[key] = deep(getattr(self, key))
        return extra

