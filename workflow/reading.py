"""Reading cases: a case as a viewer sees it, lists, the history, materials, the replay at an instant, and the
auditors' verification and export. Nothing here writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from states import case as domain
from states.beijing import BEIJING, beijing_day
from states.case import Case, Event
from states.errors import InvalidInput
from states.machine import TERMINAL_STATES
from states.status import CaseStatus
from states.yearly import retention_until
from workflow.errors import NotFound
from workflow.permissions import Someone, can_view, require_role, require_view
from workflow.ports import AuditedCase, StoredEvent, UnitOfWork
from workflow.services import Services, _user, visible_snapshot


def present(case: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The case as people and scripts see it: the stored shape plus `overdue` on each deadline."""
    out = dict(case)
    shown = []
    for d in case.get("deadlines", []):
        item = dict(d)
        for key in ("start_at", "due_at", "resolved_at"):  # instants for people: Beijing time, with the offset
            if item.get(key):
                item[key] = datetime.fromisoformat(item[key]).astimezone(BEIJING).isoformat()
        item["overdue"] = d["status"] == "armed" and now >= datetime.fromisoformat(d["due_at"])
        shown.append(item)
    out["deadlines"] = shown
    return out


def shown_case(svc: Services, user: Someone, snap: dict[str, Any]) -> dict[str, Any]:
    """A visible snapshot as its viewer reads it: deadlines presented, retention end, only the fees they may see."""
    return for_viewer(user, with_retention(svc, present(snap, svc.clock.now())))


def show_case(svc: Services, actor: str | None, number: str) -> dict[str, Any]:
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        return shown_case(svc, user, visible_snapshot(uow, user, number))


def for_viewer(user: Someone, shown: dict[str, Any]) -> dict[str, Any]:
    """What a viewer's role does not see of a case they may see: an expert sees their own fee and declaration, not
    colleagues'."""
    if shown.get("fees"):
        shown["fees"] = {e: f for e, f in shown["fees"].items() if may_see_fee(user, e)}
    # --- i12-panel --- A declaration of interests is personal too: an expert sees their own answer only, and not
    # who nominated whom; the institutions, the auditor and the admin see them all.
    if user.role == "expert":
        for key in ("responses", "kept"):
            if shown.get(key):
                shown[key] = {e: r for e, r in shown[key].items() if e == user.expert_id}
        shown.pop("nominations", None)
    return shown


def may_see_fee(user: Someone, expert: str) -> bool:
    """Personal remuneration: an expert sees their own fee only; the people running the case see them all."""
    return user.role != "expert" or expert == user.expert_id


def with_retention(svc: Services, shown: dict[str, Any]) -> dict[str, Any]:
    """Art. 9: a closed case carries the last day it is kept (closing day + retention_years, Beijing time)."""
    if shown["status"] in TERMINAL_STATES and shown.get("closed_at"):
        closed = beijing_day(datetime.fromisoformat(shown["closed_at"]))
        shown["retention_until"] = retention_until(closed, svc.policy.retention_years).isoformat()
    return shown


def list_cases(svc: Services, actor: str | None, status: str | None = None) -> list[dict[str, Any]]:
    if status is not None and status not in CaseStatus.__members__:
        raise InvalidInput(f"the state must be one of {', '.join(CaseStatus)}, not {status!r}", key="state_unknown",
                           field="status", value=status, allowed=list(CaseStatus))
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        now = svc.clock.now()
        return [for_viewer(user, with_retention(svc, present(s, now))) for s in uow.cases.summaries(status)
                if can_view(user, s)]


def event_dict(s: StoredEvent) -> dict[str, Any]:
    return {
        "case": s.case_number,
        "seq": s.seq,
        "type": s.event.type,
        "schema_version": s.event.schema_version,
        "actor": s.event.actor,
        "occurred_at": s.event.occurred_at.isoformat(),
        "recorded_at": s.recorded_at.isoformat(),
        "payload": s.event.payload,
        "prev_hash": s.prev_hash,
        "hash": s.hash,
        "key_id": s.key_id,
    }


def visible_history(uow: UnitOfWork, user: Someone, number: str) -> list[dict[str, Any]]:
    return [event_dict(s) for s in uow.cases.events(number) if may_read_event(user, s.event)]


def history(svc: Services, actor: str | None, number: str) -> list[dict[str, Any]]:
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        visible_snapshot(uow, user, number)
        return visible_history(uow, user, number)


def may_read_event(user: Someone, event: Event) -> bool:
    """An expert reads every event of their panel's case but a colleague's fee (personal information); the
    auditors' export and verification see everything."""
    if event.type in ("FeeRecorded", "FeeCorrected"):
        return may_see_fee(user, str(event.payload.get("expert")))
    if event.type in ("ExpertResponded", "ExpertKept"):  # --- i12-panel --- a declaration, like a fee
        return may_see_fee(user, str(event.payload.get("expert")))
    if event.type in ("ExpertsNominated", "NominationWithdrawn"):
        return user.role != "expert"
    return True


def material(svc: Services, actor: str | None, number: str, sha256: str) -> tuple[dict[str, Any], bytes]:
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        snap = visible_snapshot(uow, user, number)
        item = next((m for m in snap["materials"] if m["sha256"] == sha256), None)
        data = uow.blobs.get(sha256) if item else None
        if item is None or data is None:
            raise NotFound(f"case {number} has no material {sha256}", key="material_missing", number=number,
                           sha256=sha256)
        return item, data


def replay_at(svc: Services, actor: str | None, number: str, at: datetime | None) -> dict[str, Any]:
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        require_role(user, "auditor", "admin", "liaison")
        stored = uow.cases.events(number)
        if not stored:
            raise NotFound(f"case {number} does not exist", key="case_missing", number=number)
        snap = uow.cases.snapshot(number)
        if snap is not None:
            require_view(user, snap)
        case = domain.replay((s.event for s in stored), until=at)
        if case is None:
            raise NotFound(f"case {number} did not exist yet at {at.isoformat() if at else 'that instant'}",
                           key="case_not_yet", number=number, at=at.isoformat() if at else None)
        return with_retention(svc, present(case.to_dict(), at or svc.clock.now()))


def _diff(a: Any, b: Any, path: str = "") -> str | None:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in sorted(set(a) | set(b)):
            found = _diff(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))
            if found:
                return found
        return None
    if a != b:
        return f"{path or 'case'}: stored {b!r}, replay gives {a!r}"
    return None


def verify_audit(svc: Services, actor: str | None, number: str | None = None) -> list[str]:
    """Recompute every hash and replay every case; one finding per line, naming the case and the event. The cases
    are streamed from the repository (events and rows in a few queries) and each is checked from memory."""
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        require_role(user, "auditor", "admin")
        case_findings: list[str] = []
        present_: set[str] = set()
        for audited in uow.cases.audited(number):
            if number and audited.snapshot is None and not audited.events:
                break  # no case to verify: the tombstone's, below
            present_.add(audited.number)
            case_findings.extend(_case_findings(audited))
        if number and not present_:
            if uow.retention.tombstone(number) is None:
                raise NotFound(f"case {number} does not exist", key="case_missing", number=number)
            # Purged after its retention: what verifies now is its tombstone, in the tombstones' own chain.
            return [f for f in uow.retention.findings() if f.startswith(f"{number} ")]
        findings: list[str] = []
        if not number:
            findings.extend(uow.retention.findings())
            findings.extend(_missing_numbers(uow, svc.policy.case_prefix, present_))
        return findings + case_findings


def _case_findings(audited: AuditedCase) -> list[str]:
    n, stored, snap = audited.number, audited.events, audited.snapshot
    findings = list(audited.chain_findings)
    try:
        case = domain.replay(s.event for s in stored)
    except Exception as exc:  # a broken history is a finding, not a crash of the audit
        return [*findings, f"{n} event {_failing_seq(stored)}: replay breaks: {exc}"]
    if case is None:
        return [*findings, f"{n}: the case row exists but it has no events"]
    if snap is None:
        return [*findings, f"{n}: events exist but the case row is missing"]
    # A row written before snapshots carried a version is lifted to today's shape first (states.aggregate).
    diff = _diff(case.to_dict(shared=True), domain.upcast_snapshot(snap))
    if diff:
        findings.append(f"{n} after event {stored[-1].seq}: case row differs from its replay — {diff}")
    columns = audited.columns or {}
    replayed = {"status": str(case.status), "applicant": case.applicant, "lead": case.lead,
                "outcome": str(case.outcome) if case.outcome else None, "version": case.version,
                "last_hash": stored[-1].hash if stored else None}
    for key, value in replayed.items():
        if columns.get(key) != value:
            findings.append(f"{n} after event {stored[-1].seq}: case row column {key} is "
                            f"{columns.get(key)!r}, replay gives {value!r}")
    return findings


def _missing_numbers(uow: UnitOfWork, prefix: str, present_: set[str]) -> list[str]:
    """Every number the counters issued is a case or a tombstone: a case deleted without a purge is named."""
    present_ = present_ | {t["number"] for t in uow.retention.tombstones()}
    return [f"{n}: the number was issued but there is neither a case nor a tombstone — deleted without a purge?"
            for n in uow.retention.issued_numbers(prefix) if n not in present_]


def _failing_seq(stored: Sequence[StoredEvent]) -> int:
    case: Case | None = None
    for s in stored:
        try:
            if case is None:
                case = Case(number=s.event.payload.get("number", s.case_number))
            domain.apply(case, s.event)
        except Exception:
            return s.seq
    return stored[-1].seq if stored else 0


def export_events(svc: Services, actor: str | None, number: str) -> list[dict[str, Any]]:
    with svc.uow(readonly=True) as uow:
        require_role(_user(uow, actor), "auditor", "admin")
        stored = uow.cases.events(number)
        if not stored:
            raise NotFound(f"case {number} does not exist", key="case_missing", number=number)
        return [event_dict(s) for s in stored]


# --- checkpoints (issue 15): the heads of every chain at an instant, and whether the log still extends them -----


def chain_heads(svc: Services, actor: str | None) -> dict[str, Any]:
    """Every case's head (number, version, last hash) as its log holds it, the tombstones' head and the case-number
    counters: what a checkpoint states. Auditors and admins only."""
    with svc.uow(readonly=True) as uow:
        require_role(_user(uow, actor), "auditor", "admin")
        return _heads(uow, svc)


def system_chain_heads(svc: Services) -> dict[str, Any]:
    """The same statement for the system's own daily checkpoint (the scheduler; no person asks)."""
    with svc.uow(readonly=True) as uow:
        return _heads(uow, svc)


def _heads(uow: UnitOfWork, svc: Services) -> dict[str, Any]:
    # The log's own heads, read in one query (a case's events are not read one case at a time: the daily checkpoint
    # would then cost every event of the archive each working day).
    cases = [{"number": n, "version": seq, "last_hash": last} for n, seq, last in uow.cases.heads()]
    tombs = uow.retention.tombstones()
    return {
        "cases": cases,
        "tombstones": {"count": len(tombs), "head": tombs[-1]["hash"] if tombs else None},
        "counters": _counters(uow.retention.issued_numbers(svc.policy.case_prefix)),
    }


def _counters(issued: Sequence[str]) -> dict[str, int]:
    """The highest number issued in each year: YRD-2026-0012 → {"2026": 12}."""
    top: dict[str, int] = {}
    for n in issued:
        _, year, seq = n.rsplit("-", 2)
        top[year] = max(top.get(year, 0), int(seq))
    return top


def checkpoint_gaps(svc: Services, actor: str | None, statement: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Does the database still extend a checkpoint? One gap per case rolled back, truncated, deleted or rewritten,
    per tombstone removed or rewritten, per counter lowered: {"kind": ..., and its facts}, for any shell's words."""
    now = chain_heads(svc, actor)
    with svc.uow(readonly=True) as uow:
        found: list[dict[str, Any]] = []
        for head in statement.get("cases", []):
            n, version, last = head["number"], int(head["version"]), head["last_hash"]
            stored = uow.cases.events(n)
            if not stored:
                tomb = uow.retention.tombstone(n)
                if tomb is not None and tomb["final_event_hash"] == last and tomb["events"] >= version:
                    continue  # purged after its retention since the checkpoint: its tombstone extends it
                found.append({"kind": "deleted", "number": n, "version": version})
                continue
            if len(stored) < version or stored[-1].seq < version:
                found.append({"kind": "rolled_back", "number": n, "version": version, "last": stored[-1].seq})
                continue
            at = next((s for s in stored if s.seq == version), None)
            if at is None or at.hash != last:
                found.append({"kind": "rewritten", "number": n, "version": version})
        t_then = statement.get("tombstones") or {}
        tombs = uow.retention.tombstones()
        count = int(t_then.get("count") or 0)
        if len(tombs) < count:
            found.append({"kind": "tombstones_removed", "count": count, "removed": count - len(tombs),
                          "have": len(tombs)})
        elif count and tombs[count - 1]["hash"] != t_then.get("head"):
            found.append({"kind": "tombstone_rewritten", "number": tombs[count - 1]["number"]})
        for year, value in sorted((statement.get("counters") or {}).items()):
            have = now["counters"].get(year, 0)
            if have < int(value):
                found.append({"kind": "counter_lowered", "series": f"{svc.policy.case_prefix}-{year}",
                              "was": int(value), "have": have})
        return found


def checkpoint_findings(svc: Services, actor: str | None, statement: Mapping[str, Any], label: str) -> list[str]:
    """The gaps of `checkpoint_gaps` as the CLI's lines (English, one per gap)."""
    lines = {
        "deleted": "{number}: deleted — {label} saw it at version {version}, the database has no event of it",
        "rolled_back": "{number}: rolled back or truncated — {label} saw version {version}, the log ends at event "
                       "{last}",
        "rewritten": "{number} event {version}: rewritten — its hash is not the one {label} recorded",
        "tombstones_removed": "tombstones: {removed} removed — {label} saw {count}, the database has {have}",
        "tombstone_rewritten": "{number} tombstone: rewritten — the tombstones' chain no longer passes through the "
                               "head {label} recorded",
        "counter_lowered": "{series}: the case-number counter was lowered from {was} to {have} — numbers issued "
                           "before {label} could be issued again",
    }
    return [lines[g["kind"]].format(label=label, **g) for g in checkpoint_gaps(svc, actor, statement)]


def may_read_checkpoints(svc: Services, actor: str | None) -> None:
    """Checkpoints and the key that verifies them go to the institutions' liaisons and the auditors (and admins):
    they are the witnesses. Experts are not."""
    with svc.uow(readonly=True) as uow:
        require_role(_user(uow, actor), "liaison", "auditor", "admin")
