"""Use cases about people: users (with the names reserved for huizhen itself) and the expert pool."""

from __future__ import annotations

import re

from states.errors import InvalidInput
from workflow.actors import is_reserved
from workflow.errors import NotPermitted
from workflow.permissions import require_role
from workflow.ports import Expert, User
from workflow.services import Services, _user

ROLES = ("liaison", "expert", "auditor", "admin")
NAME_RE = re.compile(r"^[\w.\-@\u4e00-\u9fff]{1,64}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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


def add_user(svc: Services, actor: str | None, name: str, role: str, institution: str | None = None,
             expert_id: str | None = None, email: str | None = None, password_hash: str | None = None,
             *, bootstrap: bool = False) -> User:
    institution = check_new_user(svc, name, role, institution, expert_id, email)
    with svc.uow() as uow:
        if not bootstrap:
            require_role(_user(uow, actor), "admin")
        if uow.users.get(name) is not None:
            raise InvalidInput(f"user {name!r} already exists", key="user_exists", field="name", name=name)
        if expert_id and uow.experts.get(expert_id) is None:
            raise InvalidInput(f"expert {expert_id} does not exist", key="expert_unknown", field="expert",
                               expert=expert_id)
        user = User(name=name, role=role, institution=institution, expert_id=expert_id, email=email)
        uow.users.add(user, password_hash)
        uow.commit()
    return user


def add_expert(svc: Services, actor: str | None, name: str, field_: str, employer: str, title: str,
               province: str) -> Expert:
    values = {"name": name, "field": field_, "employer": employer, "title": title}
    for path, value in values.items():
        if not value or not value.strip():
            raise InvalidInput("must not be empty", key="value_empty", field=path)
        if len(value) > 200:
            raise InvalidInput("at most 200 characters", key="value_too_long", field=path, limit=200)
        if any(ch in value for ch in "\r\n\x00"):  # names go into mail subjects and headers: one line only
            raise InvalidInput(f"{path}: must be one line (no line break)", key="not_one_line", field=path)
    province = (province or "").upper()
    if province not in svc.policy.members:
        raise _not_member(svc, province, "province")
    with svc.uow() as uow:
        user = _user(uow, actor)
        require_role(user, "admin", "liaison")
        if user.role == "liaison" and user.institution != province:
            raise NotPermitted(f"{user.name} may add experts of {user.institution}'s pool only, not {province}",
                               key="expert_pool_own_only", name=user.name, institution=user.institution,
                               province=province)
        expert = Expert(id=uow.experts.next_id(), name=name.strip(), field=field_.strip(),
                        employer=employer.strip(), title=title.strip(), province=province)
        uow.experts.add(expert)
        uow.commit()
    return expert


def list_experts(svc: Services, actor: str | None) -> list[Expert]:
    with svc.uow(readonly=True) as uow:
        user = _user(uow, actor)
        # Expert records are personal information: for the people working cases and auditors, not everyone.
        require_role(user, "admin", "liaison", "auditor")
        return uow.experts.all()


