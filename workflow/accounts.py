"""The yearly account, part one: the experts' fees (Art. 10) and the retention of closed cases (Art. 9).

Fees, disposal appraisals and legal holds are commands on one case (events in its hash-chained history, through
`usecases.act`). The purge destroys a case whose retention ran out: one transaction per case that deletes its rows
and writes its tombstone together, so a crash never loses the record of what was destroyed; the destruction list's
files are drawn from the tombstones afterwards and can be drawn again at any time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from states import case as domain
from states import yearly
from states.case import Case, Event
from states.errors import InvalidInput
from states.machine import TERMINAL_STATES
from states.yearly import (
    CURRENCY,
    disposal_candidate,
    fee_totals,
    parse_amount,
    retention_standing,
    retention_until,
)
from workflow.actors import Actor
from workflow.errors import NotFound, NotPermitted
from workflow.permissions import require_role
from workflow.ports import UnitOfWork
from workflow.usecases import BEIJING, Services, _user, act, beijing_day, for_viewer, visible_snapshot


def parse_day(value: str | None, field_: str) -> date | None:
    if value is None or not str(value).strip():
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date (YYYY-MM-DD)", key="date_invalid", field=field_,
                           value=str(value)) from None


# --- fees (Art. 10) -------------------------------------------------------------------------------------------------


def _panel_expert(uow: UnitOfWork, case: Case, expert: str) -> str:
    """The panel expert meant by an id (E0001) or, failing that, by their exact name."""
    wanted = (expert or "").strip()
    if not wanted:
        raise InvalidInput("say whose fee it is (expert id or name)", key="fee_expert_missing", field="expert")
    if wanted in case.panel or not case.dispatched:  # the domain says why there is no fee to record
        return wanted
    by_name = [eid for eid in case.panel if (found := uow.experts.get(eid)) is not None and found.name == wanted]
    if len(by_name) == 1:
        return by_name[0]
    raise InvalidInput(f"{wanted} is not on the panel of {case.number}",
                       key="expert_not_on_panel", field="expert", number=case.number, expert=wanted)


def record_fee(svc: Services, actor: str | None, number: str, expert: str, amount: str,
               paid_on: str | None = None) -> Case:
    """The applicant's liaison records one panel expert's fee: amount in CNY, optionally the date it was paid."""

    def run(uow: UnitOfWork, case: Case, user: Actor, now: datetime) -> list[Event]:
        value = parse_amount(amount)
        paid = parse_day(paid_on, "paid_on")
        eid = _panel_expert(uow, case, expert)
        return [domain.record_fee(case, eid, value, paid, user.name, now, beijing_day(now))]

    return act(svc, actor, number, "record_fee", run)[0]


def correct_fee(svc: Services, actor: str | None, number: str, expert: str, reason: str,
                amount: str | None = None, paid_on: str | None = None) -> Case:
    """Correct a recorded fee (amount, payment date or both); the reason and the old value stay in the history."""

    def run(uow: UnitOfWork, case: Case, user: Actor, now: datetime) -> list[Event]:
        value: Decimal | None = parse_amount(amount) if amount is not None else None
        paid = parse_day(paid_on, "paid_on")
        eid = _panel_expert(uow, case, expert)
        return [domain.correct_fee(case, eid, value, paid, reason, user.name, now, beijing_day(now))]

    return act(svc, actor, number, "correct_fee", run)[0]


def fee_rows(uow: UnitOfWork, snap: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for eid, fee in snap.get("fees", {}).items():
        ex = uow.experts.get(eid)
        rows.append({
            "case": snap["number"],
            "product": snap["product"].get("name", ""),
            "applicant": snap["applicant"],
            "lead": snap.get("lead"),
            "expert": eid,
            "expert_name": ex.name if ex else eid,
            "amount": fee["amount"],
            "currency": fee["currency"],
            "paid_on": fee.get("paid_on"),
            "status": "paid" if fee.get("paid_on") else "unpaid",
            "recorded_on": beijing_day(datetime.fromisoformat(fee["recorded_at"])).isoformat(),
            "corrected": bool(fee.get("corrected_at")),
        })
    return rows


def list_fees(svc: Services, actor: str | None, number: str) -> list[dict[str, Any]]:
    """The fees of one case: for those who may see the case; an expert sees only their own fee."""
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        rows = fee_rows(uow, for_viewer(user, visible_snapshot(uow, user, number)))
    return sorted(rows, key=lambda r: r["expert"])


@dataclass
class Statement:
    """One institution's expert fees of one year (Art. 10: the applicant pays)."""

    institution: str
    institution_name: str
    year: int
    rows: list[dict[str, Any]] = field(default_factory=list)

    def totals(self) -> dict[str, Any]:
        return fee_totals(self.rows) | {"currency": CURRENCY}

    def to_dict(self) -> dict[str, Any]:
        return {"institution": self.institution, "institution_name": self.institution_name, "year": self.year,
                "rows": self.rows, "totals": self.totals()}


def fee_statement(svc: Services, actor: str | None, institution: str, year: int) -> Statement:
    """Every fee the institution owes as applicant that was recorded in YEAR (Beijing time), with its payment
    status. A fee belongs to the year it was first recorded; corrections and payments later do not move it."""
    code = (institution or "").strip().upper()
    if code not in svc.policy.members:
        raise InvalidInput(f"{code or '(empty)'} is not a member institution ({', '.join(svc.policy.members)})",
                           key="institution_unknown", field="institution", institution=code,
                           members=list(svc.policy.members))
    if not 2000 <= year <= 2200:
        raise InvalidInput(f"{year} is not a plausible year", key="year_implausible", field="year", year=year)
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        require_role(user, "liaison", "admin", "auditor")
        if user.role == "liaison" and user.institution != code:
            raise NotPermitted(f"{user.name} (liaison of {user.institution}) may see the fee statement of "
                               f"{user.institution} only, not {code}", key="statement_own_only", name=user.name,
                               institution=user.institution, wanted=code)
        rows: list[dict[str, Any]] = []
        for snap in uow.cases.summaries():
            if snap["applicant"] != code or not snap.get("fees"):
                continue
            rows.extend(r for r in fee_rows(uow, snap) if r["recorded_on"].startswith(f"{year}-"))
    rows.sort(key=lambda r: (r["recorded_on"], r["case"], r["expert"]))
    return Statement(code, svc.policy.members[code], year, rows)


# --- retention (Art. 9) ---------------------------------------------------------------------------------------------


def retention_of(snap: dict[str, Any], years: int, today: date) -> dict[str, Any] | None:
    """Where a closed case stands (states.yearly.retention_standing); None while it is open."""
    if snap["status"] not in TERMINAL_STATES or not snap.get("closed_at"):
        return None
    return retention_standing(beijing_day(datetime.fromisoformat(snap["closed_at"])), snap.get("retention", {}),
                              years, today)


def disposal_problems(snap: dict[str, Any], years: int, today: date) -> list[str]:
    """Why a case may not be destroyed today (empty when it may)."""
    return yearly.disposal_problems(snap["number"], snap["status"], retention_of(snap, years, today), years)


def custodians_of(svc: Services, snap: Mapping[str, Any]) -> dict[str, str]:
    """Art. 9: the applicant keeps the forms, the lead keeps the minutes (institutions' names; "" for papers the
    case never had: no forms without a panel's opinion, no minutes before they were issued)."""
    names = svc.policy.members
    applicant, lead = str(snap.get("applicant") or ""), str(snap.get("lead") or "")
    return {"forms": names.get(applicant, applicant) if snap.get("opinions") else "",
            "minutes": names.get(lead, lead) if snap.get("minutes") else ""}


def retention_list(svc: Services, actor: str | None, purged: bool = False) -> list[dict[str, Any]]:
    """Every closed case with its retention end and what stands in the way of disposal, soonest first; or, with
    `purged`, the tombstones. Nothing is ever deleted by looking."""
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        require_role(user, "admin", "auditor", "liaison")
        if purged:
            rows = [tombstone_dict(t) for t in uow.retention.tombstones()]
            if user.role == "liaison":
                rows = [r for r in rows if user.institution in (r["applicant"], r["lead"])]
            return rows
        snaps = [s for status in TERMINAL_STATES for s in uow.cases.summaries(str(status))]
    today = beijing_day(svc.clock.now())
    years = svc.policy.retention_years
    out = []
    for snap in snaps:
        if user.role == "liaison" and user.institution not in (snap["applicant"], snap.get("lead")):
            continue
        r = retention_of(snap, years, today)
        if r is None:
            continue
        problems = disposal_problems(snap, years, today)
        out.append({"number": snap["number"], "status": snap["status"], "outcome": snap.get("outcome"),
                    "applicant": snap["applicant"], "lead": snap.get("lead"),
                    "product": snap["product"].get("name", ""), **r,
                    "custodians": custodians_of(svc, snap),
                    "eligible": not problems, "problems": problems})
    out.sort(key=lambda row: (row["retention_until"], row["number"]))
    return out


def appraise(svc: Services, actor: str | None, number: str, approver: str, note: str) -> Case:
    """The disposal appraisal (鉴定): the approver's name and the note, in the case's history (admin)."""
    return act(svc, actor, number, "appraise_disposal",
               lambda u, c, usr, now: [domain.appraise_disposal(c, approver, note, usr.name, now)])[0]


def place_hold(svc: Services, actor: str | None, number: str, reason: str) -> Case:
    return act(svc, actor, number, "place_hold",
               lambda u, c, usr, now: [domain.place_hold(c, reason, usr.name, now)])[0]


def release_hold(svc: Services, actor: str | None, number: str, reason: str = "") -> Case:
    return act(svc, actor, number, "release_hold",
               lambda u, c, usr, now: [domain.release_hold(c, reason, usr.name, now)])[0]


# --- the purge ------------------------------------------------------------------------------------------------------


def tombstone_dict(row: dict[str, Any]) -> dict[str, Any]:
    """A tombstone for people and scripts: instants in Beijing time with their offset."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key == "id":
            continue
        out[key] = value.astimezone(BEIJING).isoformat() if isinstance(value, datetime) else value
    return out


@dataclass
class PurgeResult:
    dry_run: bool
    batch: str | None = None
    purged: list[dict[str, Any]] = field(default_factory=list)  # tombstones (or, dry run, what would be)
    refused: list[dict[str, Any]] = field(default_factory=list)  # {number, reasons}
    already: list[dict[str, Any]] = field(default_factory=list)  # {number, purged_at, batch}: a no-op

    def to_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "batch": self.batch, "purged": self.purged, "refused": self.refused,
                "already_purged": self.already}


def _candidates(uow: UnitOfWork, years: int, today: date) -> list[str]:
    """Without named cases: every closed case that is appraised or whose retention ran out."""
    found = []
    for status in TERMINAL_STATES:
        for snap in uow.cases.summaries(str(status)):
            r = retention_of(snap, years, today)
            if r is not None and disposal_candidate(r):
                found.append(snap["number"])
    return sorted(found)


def purge(svc: Services, actor: str | None, numbers: Sequence[str] = (), *, dry_run: bool = False) -> PurgeResult:
    """Destroy closed cases whose retention ran out, that are appraised and under no legal hold — only those; the
    others are refused with every reason that applies. Each case is one transaction: its rows are deleted and its
    tombstone written together. A case already purged is a no-op (its tombstone is reported)."""
    years = svc.policy.retention_years
    result = PurgeResult(dry_run=dry_run)
    with svc.uow(readonly=True) as uow:
        require_role(_user(uow, actor), "admin")
        wanted = list(dict.fromkeys(n.strip() for n in numbers if n.strip())) or _candidates(
            uow, years, beijing_day(svc.clock.now()))
    for number in wanted:
        with svc.uow() as uow:
            user = _user(uow, actor)
            require_role(user, "admin")
            now = svc.clock.now()
            today = beijing_day(now)
            tomb = uow.retention.tombstone(number)
            if tomb is not None:
                result.already.append({"number": number, "purged_at": tombstone_dict(tomb)["purged_at"],
                                       "batch": tomb["batch"]})
                continue
            case = uow.cases.load(number, lock=True)
            snap = uow.cases.snapshot(number)
            if case is None or snap is None:
                result.refused.append({"number": number, "reasons": [f"case {number} does not exist"]})
                continue
            problems = disposal_problems(snap, years, today)
            broken = uow.cases.chain_findings(number)
            if broken:
                problems.append(f"its history does not verify ({broken[0]}); kept as evidence")
            if problems:
                result.refused.append({"number": number, "reasons": problems})
                continue
            stored = uow.cases.events(number)
            if result.batch is None and not dry_run:
                result.batch = uow.retention.next_batch(now.astimezone(BEIJING).year)
            row = _tombstone_row(case, snap, stored[-1].hash, len(stored), years, user.name, now,
                                 result.batch or "(dry run)")
            if dry_run:
                result.purged.append(tombstone_dict(row))
                continue
            uow.retention.delete_case(number)
            written = uow.retention.add_tombstone(row)  # a concurrent purge loses here: Conflict, rolled back
            uow.commit()
            result.purged.append(tombstone_dict(written))
    return result


def _tombstone_row(case: Case, snap: dict[str, Any], final_hash: str, events: int, years: int, actor: str,
                   now: datetime, batch: str) -> dict[str, Any]:
    appraisal = case.appraisal or {}
    assert case.closed_at is not None and case.created_at is not None
    return {
        "number": case.number, "batch": batch, "applicant": case.applicant, "lead": case.lead,
        "status": str(case.status), "outcome": str(case.outcome) if case.outcome else None,
        "product_name": str(case.product.get("name", "")), "product_model": str(case.product.get("model", "")),
        "opened_at": case.created_at, "submitted_at": case.submitted_at, "terminal_at": case.closed_at,
        "retention_until": retention_until(beijing_day(case.closed_at), years).isoformat(),
        "appraised_at": datetime.fromisoformat(appraisal["at"]).astimezone(UTC), "approver": appraisal["approver"],
        "appraisal_note": appraisal["note"], "purged_at": now.astimezone(UTC), "purged_by": actor,
        "events": events, "materials": len(snap.get("materials", [])), "final_event_hash": final_hash,
    }


def destruction_list(svc: Services, actor: str | None, batch: str) -> list[dict[str, Any]]:
    """The 销毁清单 of one purge, drawn from its tombstones (so it can be drawn again after a crash)."""
    with svc.uow(readonly=True) as uow:
        require_role(_user(uow, actor), "admin", "auditor")
        rows = uow.retention.tombstones(batch)
    if not rows:
        raise NotFound(f"destruction list {batch} does not exist", key="batch_missing", batch=batch)
    return [tombstone_dict(r) for r in rows]
