"""Art. 8(1) by every institution (issue 12): nominations, the experts' answers and declarations, keeping a
conflicted expert; and what the case page shows to choose the panel (nominations first, the pool filtered).

The use cases run through workflow.services.act like every command: one transaction, permission first, nothing
written on a refusal. The domain rules are in states.panelcommands; the notices in workflow.notices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from states import case as domain
from states.case import Case, Event
from states.errors import InvalidInput
from workflow.actors import Actor
from workflow.permissions import require_view
from workflow.ports import Expert, UnitOfWork
from workflow.services import Services, act


def _pool_member(uow: UnitOfWork, expert_id: str, field: str) -> Expert:
    found = uow.experts.get(expert_id)
    if found is None:
        raise InvalidInput(f"expert {expert_id} does not exist", key="expert_unknown", field=field, expert=expert_id)
    if not found.active:
        raise InvalidInput(f"expert {expert_id} is no longer active", key="expert_inactive", field=field,
                           expert=expert_id)
    return found


def nominate(svc: Services, actor: str | None, number: str, experts: Sequence[str], note: str = "") -> Case:
    """The acting liaison's institution nominates experts of its own province's pool (Art. 8(1))."""
    ids = [e.strip() for e in experts if e and e.strip()]

    def run(uow: UnitOfWork, case: Case, user: Actor, now: datetime) -> list[Event]:
        provinces = {e: _pool_member(uow, e, "expert").province for e in dict.fromkeys(ids)}
        return [domain.nominate(case, user.institution or "", ids, provinces, note, user.name, now)]

    return act(svc, actor, number, "nominate", run)[0]


def withdraw_nomination(svc: Services, actor: str | None, number: str, expert: str) -> Case:
    """The acting liaison's institution takes back its nomination of EXPERT."""
    return act(svc, actor, number, "withdraw_nomination",
               lambda u, c, usr, now: [domain.withdraw_nomination(c, usr.institution or "", expert.strip(),
                                                                  usr.name, now)])[0]


def respond(svc: Services, actor: str | None, number: str, expert: str, answer: str, *, employer: str | None = None,
            province: str | None = None, relation: str = "none", relation_text: str = "", note: str = "") -> Case:
    """A panel expert accepts or declines, with the declaration; employer and province default to the pool's."""

    def run(uow: UnitOfWork, case: Case, user: Actor, now: datetime) -> list[Event]:
        # An expert not on the panel does not see the case at all: not permitted, before any rule of the case.
        require_view(user, case.to_dict())
        record = uow.experts.get(expert)
        emp = employer if employer is not None else (record.employer if record else "")
        prov = province if province is not None else (record.province if record else "")
        return [domain.respond(case, expert, answer, emp, prov, relation, relation_text, note, user.name, now)]

    return act(svc, actor, number, "respond", run, expert=expert)[0]


def keep_expert(svc: Services, actor: str | None, number: str, expert: str, reason: str) -> Case:
    """The applicant keeps an expert who declared a conflict of interest, for a recorded reason."""
    return act(svc, actor, number, "keep_expert",
               lambda u, c, usr, now: [domain.keep_expert(c, expert, reason, usr.name, now)])[0]


# --- what the case page shows ------------------------------------------------------------------------------------


def nomination_rows(uow: UnitOfWork, snap: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each nominated expert once, with the institutions that nominated them (in the order nominated)."""
    rows: dict[str, dict[str, Any]] = {}
    for n in snap.get("nominations") or []:
        row = rows.get(n["expert"])
        if row is None:
            ex = uow.experts.get(n["expert"])
            row = rows[n["expert"]] = {
                "id": n["expert"], "name": ex.name if ex else n["expert"], "field": ex.field if ex else "",
                "employer": ex.employer if ex else "", "province": ex.province if ex else "",
                "active": ex.active if ex else False, "by": [], "notes": [],
            }
        row["by"].append(n["institution"])
        if n.get("note"):
            row["notes"].append(f"{n['institution']}：{n['note']}")
    return list(rows.values())


def pool_filtered(experts: Sequence[Expert], field: str = "", province: str = "") -> list[Expert]:
    """The active experts of the pool whose field contains FIELD and whose province is PROVINCE (when given)."""
    f, p = field.strip(), province.strip().upper()
    return [e for e in experts if e.active and (not f or f in e.field) and (not p or e.province == p)]


def panel_choices(uow: UnitOfWork, snap: Mapping[str, Any], names: set[str], viewer_institution: str | None,
                  field: str = "", province: str = "") -> dict[str, Any]:
    """What the case page needs to nominate and to form the panel: the nominations (who nominated each), the pool
    filtered by field and province (the nominated ones left out: they are listed first), the viewer's own pool
    for nominating (filtered by field), the fields there are to filter by, and the viewer's institution's own
    nominations (`mine`, which it may withdraw)."""
    mine = [n["expert"] for n in snap.get("nominations") or [] if n["institution"] == viewer_institution]
    if not names & {"nominate", "form_panel"}:
        return {"nominated": [], "pool": [], "own_pool": [], "fields": [], "mine": mine}
    everyone = uow.experts.all()
    nominated = nomination_rows(uow, snap)
    named = {r["id"] for r in nominated}
    already = set(mine)
    return {
        "nominated": nominated if "form_panel" in names else [],
        "pool": [e for e in pool_filtered(everyone, field, province) if e.id not in named]
        if "form_panel" in names else [],
        "own_pool": [e for e in pool_filtered(everyone, field, viewer_institution or "-") if e.id not in already]
        if "nominate" in names else [],
        "fields": sorted({e.field for e in everyone if e.active}),
        "mine": mine,
    }
