"""Setting up: the database, the state diagram, users, the expert pool, the rotation (Art. 3)."""

from __future__ import annotations

import sys
from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from huizhen.cli.common import JsonOpt, actor, emit_json, get_app, out
from huizhen.clock import clock_from_env
from huizhen.config import load_settings
from states.beijing import BEIJING
from states.errors import InvalidInput
from states.machine import mermaid
from states.rotation import lead_on
from workflow import people
from workflow import usecases as uc
from workflow.usecases import beijing_day
from workflow.web_usecases import list_users, user_row

commands = typer.Typer()  # top-level: init, diagram
users_app = typer.Typer(no_args_is_help=True, help="People who use huizhen (admin).")
experts_app = typer.Typer(no_args_is_help=True, help="The expert pool.")
rotation_app = typer.Typer(no_args_is_help=True, help="The rotating lead institution (Art. 3).")


@commands.command()
def init(admin: Annotated[str | None, typer.Option(help="Create this admin user if missing.")] = None) -> None:
    """Create or migrate the database; load the institutions from config."""
    a = get_app(need_schema=False)
    revision = a.init()
    out.print(f"database ready at schema {revision}: {a.engine.url.render_as_string(hide_password=True)}")
    out.print(f"institutions: {', '.join(f'{c} {n}' for c, n in a.settings.members.items())}")
    if admin:
        with a.services.uow(readonly=True) as uow:
            existing = uow.users.get(admin)
        if existing is None:
            uc.add_user(a.services, None, admin, "admin", bootstrap=True)
            out.print(f"admin user {admin} created")
        elif existing.role != "admin":
            raise InvalidInput(f"--admin: user {admin} exists with the role {existing.role}")
        else:
            out.print(f"admin user {admin} already exists")


@commands.command()
def diagram() -> None:
    """Print the case state diagram (Mermaid)."""
    sys.stdout.write(mermaid() + "\n")


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[str, typer.Option(help="liaison|expert|auditor|admin")],
    institution: Annotated[str | None, typer.Option(help="Institution code (liaisons).")] = None,
    expert: Annotated[str | None, typer.Option(help="Expert id (expert users).")] = None,
    email: Annotated[str | None, typer.Option(help="Where reminders and minutes go.")] = None,
    display_name: Annotated[str, typer.Option(help="The person's name as pages show it (姓名).")] = "",
    phone: Annotated[str | None, typer.Option(help="A phone number.")] = None,
) -> None:
    """Add a user (admin only). Art. 3: an institution has at most two active liaisons."""
    user = uc.add_user(get_app().services, actor(), name, role, institution, expert, email,
                       display_name=display_name, phone=phone)
    out.print(f"user {user.name} added as {user.role}" + (f" of {user.institution}" if user.institution else ""))
    sys.stdout.write(user.name + "\n")


@users_app.command("list")
def users_list(as_json: JsonOpt = False) -> None:
    """List users (admin and auditors)."""
    rows = list_users(get_app().services, actor())
    if as_json:
        return emit_json(rows)
    table = Table("用户 name", "姓名", "角色 role", "机构 institution", "专家 expert", "email", "电话 phone",
                  "状态 active")
    for r in rows:
        table.add_row(r["name"], r["display_name"], r["role"], r["institution"] or "", r["expert"] or "",
                      r["email"] or "", r["phone"] or "", "yes" if r["active"] else "no (disabled)")
    out.print(table)


@users_app.command("update")
def users_update(
    name: str,
    role: Annotated[str | None, typer.Option(help="liaison|expert|auditor|admin")] = None,
    institution: Annotated[str | None, typer.Option(help="Institution code; '' clears it.")] = None,
    expert: Annotated[str | None, typer.Option(help="Expert id (expert users); '' clears it.")] = None,
    display_name: Annotated[str | None, typer.Option(help="姓名")] = None,
    email: Annotated[str | None, typer.Option(help="'' clears it.")] = None,
    phone: Annotated[str | None, typer.Option(help="'' clears it.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a user's role, institution, expert link or contact details (admin); only the options given change."""
    user = people.update_user(get_app().services, actor(), name, role=role, institution=institution,
                              expert_id=expert, display_name=display_name, email=email, phone=phone)
    if as_json:
        return emit_json(user_row(user))
    out.print(f"user {user.name}: {user.role}" + (f" of {user.institution}" if user.institution else ""))


@users_app.command("disable")
def users_disable(name: str) -> None:
    """Disable a user: no sign-in anywhere, API tokens refused; their records stay (admin)."""
    people.set_user_active(get_app().services, actor(), name, False)
    out.print(f"user {name} disabled")


@users_app.command("enable")
def users_enable(name: str) -> None:
    """Enable a disabled user again (admin; Art. 3 counts an enabled liaison)."""
    people.set_user_active(get_app().services, actor(), name, True)
    out.print(f"user {name} enabled")


@users_app.command("me")
def users_me(
    display_name: Annotated[str | None, typer.Option(help="姓名")] = None,
    email: Annotated[str | None, typer.Option(help="'' clears it.")] = None,
    phone: Annotated[str | None, typer.Option(help="'' clears it.")] = None,
) -> None:
    """Show, or change, your own display name, email and phone."""
    user = people.update_own_profile(get_app().services, actor(), display_name, email, phone)
    emit_json(user_row(user))


@users_app.command("log")
def users_log(limit: Annotated[int, typer.Option(min=1, max=10000)] = 200, as_json: JsonOpt = False) -> None:
    """The admin's trail: users, the expert pool and the calendar, newest first (admins, auditors)."""
    rows = people.admin_trail(get_app().services, actor(), limit)
    if as_json:
        return emit_json([r | {"at": r["at"].isoformat()} for r in rows])
    table = Table("时间 at", "操作人 actor", "操作 action", "对象 target", "内容 detail")
    for r in rows:
        table.add_row(r["at"].astimezone(BEIJING).strftime("%Y-%m-%d %H:%M"), r["actor"], r["action"], r["target"],
                      ", ".join(f"{k}={v}" for k, v in r["detail"].items()))
    out.print(table)


@experts_app.command("add")
def experts_add(
    name: Annotated[str, typer.Option(help="姓名")],
    field: Annotated[str, typer.Option(help="专业领域")],
    employer: Annotated[str, typer.Option(help="工作单位")],
    title: Annotated[str, typer.Option(help="职务/职称")],
    province: Annotated[str, typer.Option(help="Whose pool: SH, JS, ZJ or AH")],
) -> None:
    """Add an expert to a province's pool; prints the expert id."""
    expert = uc.add_expert(get_app().services, actor(), name, field, employer, title, province)
    out.print(f"expert {expert.name} ({expert.field}, {expert.employer}) added to the {expert.province} pool")
    sys.stdout.write(expert.id + "\n")


@experts_app.command("list")
def experts_list(as_json: JsonOpt = False) -> None:
    """List the expert pool (personal information: liaisons, admins and auditors only)."""
    people = uc.list_experts(get_app().services, actor())
    rows = [e.__dict__ for e in people]
    if as_json:
        return emit_json(rows)
    table = Table("编号 id", "姓名", "专业领域", "工作单位", "职务/职称", "省份")
    for e in people:
        table.add_row(e.id, e.name, e.field, e.employer, e.title, e.province)
    out.print(table)


@experts_app.command("edit")
def experts_edit(
    expert_id: Annotated[str, typer.Argument(metavar="EXPERT_ID")],
    name: Annotated[str | None, typer.Option(help="姓名")] = None,
    field: Annotated[str | None, typer.Option(help="专业领域")] = None,
    employer: Annotated[str | None, typer.Option(help="工作单位")] = None,
    title: Annotated[str | None, typer.Option(help="职务/职称")] = None,
    province: Annotated[str | None, typer.Option(help="SH, JS, ZJ or AH")] = None,
) -> None:
    """Change an expert's details (admin; a liaison in their own pool); only the options given change."""
    e = people.edit_expert(get_app().services, actor(), expert_id, name=name, field_=field, employer=employer,
                           title=title, province=province)
    out.print(f"expert {e.id}: {e.name}, {e.field}, {e.employer}, {e.title}, {e.province}")


@experts_app.command("deactivate")
def experts_deactivate(expert_id: Annotated[str, typer.Argument(metavar="EXPERT_ID")]) -> None:
    """Deactivate an expert: no longer offered for new panels; panels they sit on keep them."""
    people.set_expert_active(get_app().services, actor(), expert_id, False)
    out.print(f"expert {expert_id} deactivated")


@experts_app.command("activate")
def experts_activate(expert_id: Annotated[str, typer.Argument(metavar="EXPERT_ID")]) -> None:
    """Activate a deactivated expert again."""
    people.set_expert_active(get_app().services, actor(), expert_id, True)
    out.print(f"expert {expert_id} activated")


@rotation_app.command("terms")
def rotation_terms(as_json: JsonOpt = False) -> None:
    """The lead institution's terms around today, the current one marked (Art. 3)."""
    svc = get_app().services
    rows = people.rotation_terms(svc, beijing_day(svc.clock.now()))
    if as_json:
        return emit_json([r | {"start": r["start"].isoformat(), "end": r["end"].isoformat()} for r in rows])
    for r in rows:
        out.print(f"{r['start']} – {r['end']}  {r['lead']} {r['name']}{'  ← current' if r['current'] else ''}")


@rotation_app.command("lead")
def rotation_lead(when: Annotated[str | None, typer.Argument(metavar="[DATE]", help="YYYY-MM-DD; today if omitted")] = None) -> None:
    """The lead institution's code on DATE (needs no database)."""
    settings = load_settings()
    if when:
        try:
            day = date.fromisoformat(when)
        except ValueError:
            raise InvalidInput(f"DATE: {when!r} is not a date (YYYY-MM-DD)") from None
    else:
        day = clock_from_env().now().astimezone(BEIJING).date()
    r = settings.rotation
    sys.stdout.write(lead_on(day, r.order, r.first_term_start, r.term_months) + "\n")

