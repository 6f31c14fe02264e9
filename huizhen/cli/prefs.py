"""`huizhen users prefs NAME --email on|off`: a person's notification preferences (issue 12)."""

from __future__ import annotations

from typing import Annotated

import typer

from huizhen.cli.common import actor, emit_json, err, get_app
from states.errors import InvalidInput
from workflow import timekeeping

users_app = typer.Typer()  # joins the `users` group


@users_app.command("prefs")
def users_prefs(name: Annotated[str, typer.Argument(metavar="NAME")],
                email: Annotated[str | None, typer.Option("--email", metavar="on|off",
                                                          help="Notices by mail; the inbox is always on")] = None,
                ) -> None:
    """Show or set NAME's notification preferences (yourself, or anyone as admin)."""
    svc = get_app().services
    if email is None:
        prefs = timekeeping.notification_prefs(svc, actor(), name)
    else:
        if email not in ("on", "off"):
            raise InvalidInput(f"email must be on or off, not {email!r}", key="email_pref_invalid", field="email",
                               value=email)
        prefs = timekeeping.set_email_notices(svc, actor(), name, email == "on")
    err.print(f"{prefs['name']}: email {'on' if prefs['email'] else 'off'}, inbox on")
    emit_json(prefs)
