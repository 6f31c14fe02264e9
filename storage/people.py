"""People: users, the expert pool, and the member institutions loaded from config.yaml."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from storage import tables as t
from storage.common import next_value, upsert, wall
from workflow.ports import Expert, User


class SqlUserRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @staticmethod
    def _user(r: Any) -> User:
        return User(name=r["name"], role=r["role"], institution=r["institution"], expert_id=r["expert_id"],
                    display_name=r["display_name"], email=r["email"], email_notices=bool(r["email_notices"]),
                    phone=r.get("phone"), active=bool(r.get("active", True)))

    def get(self, name: str) -> User | None:
        r = self.conn.execute(select(t.users).where(t.users.c.name == name)).mappings().first()
        return self._user(r) if r else None

    def add(self, user: User, password_hash: str | None = None) -> None:
        self.conn.execute(insert(t.users).values(
            name=user.name, role=user.role, institution=user.institution, expert_id=user.expert_id,
            email=user.email, display_name=user.display_name or user.name, password_hash=password_hash,
            created_at=wall(), phone=user.phone, active=user.active,
        ))

    def all(self) -> list[User]:
        return [self._user(r) for r in self.conn.execute(select(t.users).order_by(t.users.c.name)).mappings()]

    def set_email_notices(self, name: str, on: bool) -> None:
        self.conn.execute(update(t.users).where(t.users.c.name == name).values(email_notices=on))

    def liaisons_of(self, institution: str) -> list[User]:
        rows = self.conn.execute(
            select(t.users).where(t.users.c.role == "liaison", t.users.c.institution == institution)
            .order_by(t.users.c.name)
        ).mappings()
        return [u for u in (self._user(r) for r in rows) if u.active]  # a disabled liaison is told nothing

    def update(self, user: User) -> None:
        self.conn.execute(update(t.users).where(t.users.c.name == user.name).values(
            role=user.role, institution=user.institution, expert_id=user.expert_id,
            display_name=user.display_name or user.name, email=user.email, phone=user.phone, active=user.active,
        ))

    def log_action(self, at: datetime, actor: str, action: str, target: str, detail: Mapping[str, Any]) -> None:
        self.conn.execute(insert(t.admin_actions).values(
            at=at, actor=actor, action=action, target=target,
            detail=json.dumps(dict(detail), ensure_ascii=False, sort_keys=True),
        ))

    def actions(self, limit: int = 200) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(t.admin_actions).order_by(t.admin_actions.c.id.desc()).limit(limit)).mappings()
        return [dict(r) | {"detail": json.loads(r["detail"] or "{}")} for r in rows]



class SqlExpertRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @staticmethod
    def _expert(r: Any) -> Expert:
        return Expert(id=r["id"], name=r["name"], field=r["field"], employer=r["employer"], title=r["title"],
                      province=r["province"], active=r["active"])

    def get(self, expert_id: str) -> Expert | None:
        r = self.conn.execute(select(t.experts).where(t.experts.c.id == expert_id)).mappings().first()
        return self._expert(r) if r else None

    def add(self, expert: Expert) -> None:
        self.conn.execute(insert(t.experts).values(
            id=expert.id, name=expert.name, field=expert.field, employer=expert.employer, title=expert.title,
            province=expert.province, active=expert.active, created_at=wall(),
        ))

    def all(self) -> list[Expert]:
        return [self._expert(r) for r in self.conn.execute(select(t.experts).order_by(t.experts.c.id)).mappings()]

    def next_id(self) -> str:
        return f"E{next_value(self.conn, 'expert'):04d}"

    def update(self, expert: Expert) -> None:
        self.conn.execute(update(t.experts).where(t.experts.c.id == expert.id).values(
            name=expert.name, field=expert.field, employer=expert.employer, title=expert.title,
            province=expert.province, active=expert.active,
        ))


def sync_institutions(engine: Engine, members: Sequence[tuple[str, str, str]]) -> int:
    """Load the member institutions named in config.yaml (code, name, province); returns how many."""
    with engine.begin() as conn:
        for code, name, province in members:
            ins = upsert(conn, t.institutions)
            values = dict(code=code, name=name, province=province, updated_at=wall())
            conn.execute(ins.values(**values).on_conflict_do_update(index_elements=["code"], set_=values))
    return len(members)
