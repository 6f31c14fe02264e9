"""Use cases about people: users (with the names reserved for huizhen itself) and the expert pool.

The CLI, the admin's pages and the API call these same functions. Every change an admin makes to a person or to the
pool is written to the admin's trail (`uow.users.log_action`) in the same transaction as the change itself.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from states.errors import GuardFailed, InvalidInput
from states.rotation import term_on
from workflow.actors import is_reserved
from workflow.errors import NotFound, NotPermitted
from workflow.permissions import require_role, require_self_or_admin
from workflow.ports import Expert, UnitOfWork, User
from workflow.services import Services, _user

ROLES = ("liaison", "expert", "auditor", "admin")
NAME_RE = re.compile(r"^[\w.\-@\u4e00-\u9fff]{1,64}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^[0-9+\-() ]{5,40}$")
# Art. 3: each member institution names one or two liaisons (联络员).
MAX_LIAISONS = 2


def _not_member(svc: Services, institution: str, field: str) -> InvalidInput:
    members = list(svc.policy.members)
    return InvalidInput(f"{institution or '(empty)'} is not a member institution ({', '.join(members)})",
                        key="institution_unknown", field=field, institution=institution, members=members)


def check_new_user(svc: Services, name: str, role: str, institution: str | None, expert_id: str | None,
                   email: str | None) -> str | None:
    """The checks of a new user that need no database; returns the institution's code (upper case)."""
    if not NAME_RE.match(name or ""):
        raise InvalidInput("a user name is 1–64 letters, digits, Chinese characters, '.', '-', '_' or '@'",
                           key="name_invalid", field="name", name=name)
    if is_reserved(name):
        raise InvalidInput(f"{name!r} is reserved for the system itself", key="name_reserved", field="name", name=name)
    if role not in ROLES:
        raise InvalidInput(f"the role must be one of {', '.join(ROLES)}, not {role!r}", key="role_unknown",
                           field="role", role=role, allowed=list(ROLES))
    institution = institution.upper() if institution else None
    if role == "liaison" and not institution:
        raise InvalidInput("a liaison belongs to an institution", key="liaison_needs_institution",
                           field="institution")
    if institution and institution not in svc.policy.members:
        raise _not_member(svc, institution, "institution")
    if role == "expert" and not expert_id:
        raise InvalidInput("an expert user is linked to an expert id", key="expert_user_needs_expert",
                           field="expert")
    if role != "expert" and expert_id:
        raise InvalidInput("only an expert user is linked to an expert id", key="expert_only_for_experts",
                           field="expert", expert=expert_id)
    if email is not None and not EMAIL_RE.match(email):
        raise InvalidInput(f"{email!r} is not an email address", key="email_invalid", field="email", email=email)
    return institution


def check_contact(display_name: str | None, email: str | None, phone: str | None) -> tuple[str, str | None,
                                                                                            str | None]:
    """A person's display name, email and phone, cleaned: empty email or phone is none."""
    shown = (display_name or "").strip()
    if len(shown) > 100:
        raise InvalidInput("at most 100 characters", key="value_too_long", field="display_name", limit=100)
    mail = (email or "").strip() or None
    if mail is not None and (len(mail) > 254 or not EMAIL_RE.match(mail)):
        raise InvalidInput(f"{mail!r} is not an email address", key="email_invalid", field="email", email=mail)
    tel = (phone or "").strip() or None
    if tel is not None and not PHONE_RE.match(tel):
        raise InvalidInput(f"{tel!r} is not a phone number", key="phone_invalid", field="phone", phone=tel)
    return shown, mail, tel


def check_liaison_room(uow: UnitOfWork, institution: str | None, name: str) -> None:
    """Art. 3: refuse what would give INSTITUTION a third active liaison (NAME not counted: it is the one changing)."""
    if not institution:
        return
    others = [u.name for u in uow.users.all()
              if u.role == "liaison" and u.institution == institution and u.active and u.name != name]
    if len(others) >= MAX_LIAISONS:
        raise GuardFailed(f"{institution} has {len(others)} active liaisons already ({', '.join(others)}); "
                          f"at most {MAX_LIAISONS}", key="liaison_limit", field="institution",
                          institution=institution, limit=MAX_LIAISONS, names=others)


def _log(uow: UnitOfWork, svc: Services, actor: str, action: str, target: str, **detail: Any) -> None:
    uow.users.log_action(svc.clock.now(), actor, action, target, detail)


def add_user(svc: Services, actor: str | None, name: str, role: str, institution: str | None = None,
             expert_id: str | None = None, email: str | None = None, password_hash: str | None = None,
             *, bootstrap: bool = False, display_name: str = "", phone: str | None = None) -> User:
    institution = check_new_user(svc, name, role, institution, expert_id, email)
    display_name, email, phone = check_contact(display_name, email, phone)
    with svc.uow() as uow:
        by = "system"
        if not bootstrap:
            me = _user(uow, actor)
            require_role(me, "admin")
            by = me.name
        if uow.users.get(name) is not None:
            raise InvalidInput(f"user {name!r} already exists", key="user_exists", field="name", name=name)
        if expert_id and uow.experts.get(expert_id) is None:
            raise InvalidInput(f"expert {expert_id} does not exist", key="expert_unknown", field="expert",
                               expert=expert_id)
        if role == "liaison":
            check_liaison_room(uow, institution, name)
        user = User(name=name, role=role, institution=institution, expert_id=expert_id, email=email,
                    display_name=display_name, phone=phone)
        uow.users.add(user, password_hash)
        _log(uow, svc, by, "user_add", name, role=role, institution=institution, expert=expert_id, email=email,
             phone=phone, display_name=display_name or name)
        uow.commit()
    return user


def _existing(uow: UnitOfWork, name: str) -> User:
    target = uow.users.get(name)
    if target is None:
        raise NotFound(f"user {name!r} does not exist", key="user_missing", field="name", name=name)
    return target


def update_user(svc: Services, actor: str | None, name: str, *, role: str | None = None,
                institution: str | None = None, expert_id: str | None = None, display_name: str | None = None,
                email: str | None = None, phone: str | None = None) -> User:
    """Change a user's role, institution, expert link or contact details (admin). Only the given values change;
    an empty institution, email or phone clears it. Art. 3 is checked when the result is an active liaison."""
    with svc.uow() as uow:
        me = _user(uow, actor)
        require_role(me, "admin")
        old = _existing(uow, name)
        new_role = (role or old.role).strip()
        # A value not given is kept while it still fits the role: leaving the liaison role leaves the institution
        # only if it was not named again; only an expert user keeps an expert id.
        if institution is not None:
            new_inst = institution.strip() or None
        else:
            new_inst = old.institution if new_role == old.role or new_role == "liaison" else None
        if expert_id is not None:
            new_expert = expert_id.strip() or None
        else:
            new_expert = old.expert_id
        if new_role != "expert" and new_expert == old.expert_id:
            new_expert = None  # leaving the expert role unlinks the expert (a form posts the old link back)
        new_inst = check_new_user(svc, name, new_role, new_inst, new_expert, None)
        shown, mail, tel = check_contact(display_name if display_name is not None else old.display_name,
                                         email if email is not None else old.email,
                                         phone if phone is not None else old.phone)
        if new_expert and uow.experts.get(new_expert) is None:
            raise InvalidInput(f"expert {new_expert} does not exist", key="expert_unknown", field="expert",
                               expert=new_expert)
        if old.role == "admin" and new_role != "admin" and old.name == me.name:
            raise GuardFailed("an admin does not take their own admin role away", key="admin_self_demote",
                              field="role", name=name)
        new = replace(old, role=new_role, institution=new_inst, expert_id=new_expert,
                      display_name=shown or old.name, email=mail, phone=tel)
        if new.role == "liaison" and new.active and (old.role != "liaison" or old.institution != new.institution
                                                     or not old.active):
            check_liaison_room(uow, new.institution, name)
        changed = {k: getattr(new, k) for k in ("role", "institution", "expert_id", "display_name", "email", "phone")
                   if getattr(new, k) != getattr(old, k)}
        if changed:
            uow.users.update(new)
            _log(uow, svc, me.name, "user_update", name, **changed)
        uow.commit()
    return new


def set_user_active(svc: Services, actor: str | None, name: str, active: bool) -> User:
    """Disable a user (they sign in nowhere; their records stay) or enable them again (admin). Enabling a liaison
    is refused when it would make a third active liaison of their institution (Art. 3)."""
    with svc.uow() as uow:
        me = _user(uow, actor)
        require_role(me, "admin")
        old = _existing(uow, name)
        if not active and old.name == me.name:
            raise GuardFailed("an admin does not disable themself", key="admin_self_disable", field="name",
                              name=name)
        if active == old.active:
            return old
        if active and old.role == "liaison":
            check_liaison_room(uow, old.institution, name)
        new = replace(old, active=active)
        uow.users.update(new)
        _log(uow, svc, me.name, "user_enable" if active else "user_disable", name)
        uow.commit()
    return new


def update_own_profile(svc: Services, actor: str | None, display_name: str | None = None,
                       email: str | None = None, phone: str | None = None) -> User:
    """Everyone: one's own display name, email and phone (None leaves a value; empty clears email or phone)."""
    with svc.uow() as uow:
        me = _user(uow, actor)
        old = _existing(uow, me.name)
        shown, mail, tel = check_contact(display_name if display_name is not None else old.display_name,
                                         email if email is not None else old.email,
                                         phone if phone is not None else old.phone)
        new = replace(old, display_name=shown or old.name, email=mail, phone=tel)
        changed = {k: getattr(new, k) for k in ("display_name", "email", "phone") if getattr(new, k) != getattr(old, k)}
        if changed:
            uow.users.update(new)
            _log(uow, svc, me.name, "profile_update", me.name, **changed)
        uow.commit()
    return new


def log_admin_action(svc: Services, actor: str, action: str, target: str, **detail: Any) -> None:
    """One line in the admin's trail for an action kept elsewhere (passwords, tokens, the calendar)."""
    with svc.uow() as uow:
        _log(uow, svc, actor, action, target, **detail)
        uow.commit()


def admin_trail(svc: Services, actor: str | None, limit: int = 200) -> list[dict[str, Any]]:
    """The admin's trail, newest first (admins and auditors)."""
    with svc.uow(readonly=True) as uow:
        require_role(_user(uow, actor), "admin", "auditor")
        return uow.users.actions(limit)


def _check_expert(svc: Services, values: dict[str, str], province: str) -> str:
    for path, value in values.items():
        if not value or not value.strip():
            raise InvalidInput("must not be empty", key="value_empty", field=path)
        if len(value) > 200:
            raise InvalidInput("at most 200 characters", key="value_too_long", field=path, limit=200)
        if any(ch in value for ch in "\r\n\x00"):  # names go into mail subjects and headers: one line only
            raise InvalidInput(f"{path}: must be one line (no line break)", key="not_one_line", field=path)
    province = (province or "").strip().upper()
    if province not in svc.policy.members:
        raise _not_member(svc, province, "province")
    return province


def add_expert(svc: Services, actor: str | None, name: str, field_: str, employer: str, title: str,
               province: str) -> Expert:
    province = _check_expert(svc, {"name": name, "field": field_, "employer": employer, "title": title}, province)
    with svc.uow() as uow:
        user = _pool_keeper(uow, actor, province)
        expert = Expert(id=uow.experts.next_id(), name=name.strip(), field=field_.strip(),
                        employer=employer.strip(), title=title.strip(), province=province)
        uow.experts.add(expert)
        _log(uow, svc, user.name, "expert_add", expert.id, name=expert.name, field=expert.field,
             employer=expert.employer, title=expert.title, province=province)
        uow.commit()
    return expert


def _pool_keeper(uow: UnitOfWork, actor: str | None, province: str) -> Any:
    user = _user(uow, actor)
    require_role(user, "admin", "liaison")
    if user.role == "liaison" and user.institution != province:
        raise NotPermitted(f"{user.name} may keep experts of {user.institution}'s pool only, not {province}",
                           key="expert_pool_own_only", name=user.name, institution=user.institution,
                           province=province)
    return user


def _expert_of(uow: UnitOfWork, expert_id: str) -> Expert:
    found = uow.experts.get((expert_id or "").strip().upper())
    if found is None:
        raise InvalidInput(f"expert {expert_id} does not exist", key="expert_unknown", field="expert",
                           expert=expert_id)
    return found


def edit_expert(svc: Services, actor: str | None, expert_id: str, *, name: str | None = None,
                field_: str | None = None, employer: str | None = None, title: str | None = None,
                province: str | None = None) -> Expert:
    """Change an expert's name, field, employer, title or province (admin; a liaison within their own pool).
    Only the given values change; panels already formed keep the expert by id."""
    with svc.uow() as uow:
        old = _expert_of(uow, expert_id)
        values = {"name": name if name is not None else old.name,
                  "field": field_ if field_ is not None else old.field,
                  "employer": employer if employer is not None else old.employer,
                  "title": title if title is not None else old.title}
        new_province = _check_expert(svc, values, province if province is not None else old.province)
        user = _pool_keeper(uow, actor, old.province)
        if new_province != old.province:
            _pool_keeper(uow, actor, new_province)
        new = replace(old, name=values["name"].strip(), field=values["field"].strip(),
                      employer=values["employer"].strip(), title=values["title"].strip(), province=new_province)
        changed = {k: getattr(new, k) for k in ("name", "field", "employer", "title", "province")
                   if getattr(new, k) != getattr(old, k)}
        if changed:
            uow.experts.update(new)
            _log(uow, svc, user.name, "expert_edit", new.id, **changed)
        uow.commit()
    return new


def set_expert_active(svc: Services, actor: str | None, expert_id: str, active: bool) -> Expert:
    """Deactivate an expert (no longer offered for new panels; panels they sit on keep them) or activate again."""
    with svc.uow() as uow:
        old = _expert_of(uow, expert_id)
        user = _pool_keeper(uow, actor, old.province)
        if old.active == active:
            return old
        new = replace(old, active=active)
        uow.experts.update(new)
        _log(uow, svc, user.name, "expert_activate" if active else "expert_deactivate", new.id)
        uow.commit()
    return new


def list_experts(svc: Services, actor: str | None) -> list[Expert]:
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        # Expert records are personal information: for the people working cases and auditors, not everyone.
        require_role(user, "admin", "liaison", "auditor")
        return uow.experts.all()




def ensure_admin(svc: Services, actor: str | None) -> None:
    """The admin's pages open for admins only."""
    with svc.uow(readonly=True) as uow:
        require_role(_user(uow, actor), "admin")


def get_user(svc: Services, actor: str | None, name: str) -> User:
    """One user as stored (admin for anyone; a person for themself)."""
    with svc.uow(readonly=True) as uow:
        me = _user(uow, actor)
        target = _existing(uow, name)
    require_self_or_admin(me, target, "read a user")
    return target


def rotation_terms(svc: Services, today: date, before: int = 1, after: int = 4) -> list[dict[str, Any]]:
    """Art. 3: the lead institution's terms around today (BEFORE terms back, AFTER ahead), the current one marked."""
    p = svc.policy
    code, start, end = term_on(max(today, p.first_term_start), p.rotation_order, p.first_term_start, p.term_months)
    rows: list[dict[str, Any]] = []
    day = start
    for _ in range(before):
        if day <= p.first_term_start:
            break
        day = term_on(day - timedelta(days=1), p.rotation_order, p.first_term_start, p.term_months)[1]
    while len(rows) < before + 1 + after:
        lead, s, e = term_on(day, p.rotation_order, p.first_term_start, p.term_months)
        rows.append({"lead": lead, "name": p.members.get(lead, lead), "start": s, "end": e - timedelta(days=1),
                     "current": s <= today < e})
        day = e
    return rows


def lead_now(svc: Services, today: date) -> dict[str, Any] | None:
    """Who leads today (Art. 3), for the line at the top of every dashboard; None before the first term."""
    p = svc.policy
    if not p.rotation_order or today < p.first_term_start:
        return None
    lead, start, end = term_on(today, p.rotation_order, p.first_term_start, p.term_months)
    return {"lead": lead, "name": p.members.get(lead, lead), "start": start, "end": end - timedelta(days=1),
            "year": start.year}
