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
from workflow import usecases as uc
from workflow.web_usecases import list_users

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
) -> None:
    """Add a user (admin only)."""
    user = uc.add_user(get_app().services, actor(), name, role, institution, expert, email)
    out.print(f"user {user.name} added as {user.role}" + (f" of {user.institution}" if user.institution else ""))
    sys.stdout.write(user.name + "\n")


@users_app.command("list")
def users_list(as_json: JsonOpt = False) -> None:
    """List users (admin and auditors)."""
    rows = list_users(get_app().services, actor())
    if as_json:
        return emit_json(rows)
    table = Table("用户 name", "角色 role", "机构 institution", "专家 expert", "email")
    for r in rows:
        table.add_row(r["name"], r["role"], r["institution"] or "", r["expert"] or "", r["email"] or "")
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

