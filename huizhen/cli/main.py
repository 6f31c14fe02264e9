"""The CLI's registry and entry point: every sub-app in one list, the app built from it, refusals rendered once.

A group may gather commands from several modules (`case`: the case commands, the meeting's scheduling, and the
simple commands derived from the catalogue when the app is built); `None` puts a module's commands at the top.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import click
import typer

from huizhen import cli_time
from huizhen.cli import audit, cases, papers, prefs, reads, setup, web, yearly
from huizhen.cli.common import err
from huizhen.cli.render import cli_message, command_words
from huizhen.errors import exit_code
from huizhen.logs import setup_logging
from states.errors import DomainError
from storage.uow import as_refusal

HELP = "会诊 huizhen — 长三角缺陷消费品专家会诊 (YRD expert consultations)."
GROUP_HELP: dict[str, str] = {
    "case": "Consultation cases.",
    "audit": "Audit: verify the chain, replay, export.",
    "users": "People who use huizhen (admin).",
}

# (group name or None for top-level commands, the module's Typer — or a function that makes it when the CLI is
# built, for commands derived from the catalogue).
SubApp = tuple[str | None, typer.Typer | Callable[[], typer.Typer]]
SUB_APPS: list[SubApp] = [
    (None, setup.commands),
    (None, web.commands),
    ("users", setup.users_app),
    ("users", web.users_app),
    ("users", prefs.users_app),
    ("experts", setup.experts_app),
    ("rotation", setup.rotation_app),
    ("case", cases.case_app),
    ("case", cases.simple_commands),
    ("case", papers.case_app),
    ("docs", papers.docs_app),
    ("form", audit.form_app),
    ("audit", audit.audit_app),
    ("audit", papers.audit_app),
    ("audit", reads.audit_app),
    (None, cli_time.commands),
    ("calendar", cli_time.calendar_app),
    ("scheduler", cli_time.scheduler_app),
    ("reminders", cli_time.reminders_app),
    ("fee", yearly.fee_app),
    ("report", yearly.report_app),
    ("retention", yearly.retention_app),
]


def build_app(sub_apps: Sequence[SubApp] = SUB_APPS) -> typer.Typer:
    """The whole CLI from the list (and the catalogue as it is now)."""
    root = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, help=HELP)
    groups: dict[str, typer.Typer] = {}
    for name, part in sub_apps:
        sub = part() if callable(part) and not isinstance(part, typer.Typer) else part
        if name is None:
            root.add_typer(sub)
            continue
        if name not in groups:
            help_text = GROUP_HELP.get(name) or sub.info.help
            groups[name] = typer.Typer(no_args_is_help=True, help=help_text)
            root.add_typer(groups[name], name=name)
        groups[name].add_typer(sub)
    return root


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    try:
        setup_logging(level="WARNING")  # commands speak through their output; the log is for warnings
        rc = build_app()(args=args, standalone_mode=False)
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        err.print("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except DomainError as exc:
        sys.stderr.write(f"huizhen: {cli_message(exc, command_words(args))}\n")
        sys.exit(exit_code(exc))
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # the database went away (exit 7) or a race took a key (exit 6): one line, no trace
        refused = as_refusal(exc)
        if refused is None:
            raise
        sys.stderr.write(f"huizhen: {cli_message(refused, command_words(args))}\n")
        sys.exit(exit_code(refused))


if __name__ == "__main__":
    main()
