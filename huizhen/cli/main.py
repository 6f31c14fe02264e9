"""The CLI's registry and entry point: every sub-app in one list, the app built from it, refusals rendered once.

A group may gather commands from several modules (`case`: the case commands, the meeting's scheduling, and the
simple commands derived from the catalogue when the app is built); `None` puts a module's commands at the top.

Registration is lazy (issue 17): the list names each sub-app's module, and a command line imports only the modules
of the group it runs. `huizhen calendar due`, `rotation lead`, `form check` and `--help` therefore start without
SQLAlchemy, alembic or APScheduler. `--help` lists the groups from INDEX (tests/unit/test_cli_lazy.py keeps it
equal to what the modules declare).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any

import click
import typer
from typer.core import TyperCommand, TyperGroup

from huizhen.cli.common import err
from huizhen.cli.render import cli_message, command_words
from huizhen.errors import exit_code
from huizhen.logs import setup_logging
from states.errors import DomainError

HELP = "会诊 huizhen — 长三角缺陷消费品专家会诊 (YRD expert consultations)."
GROUP_HELP: dict[str, str] = {
    "case": "Consultation cases.",
    "audit": "Audit: verify the chain, replay, export.",
    "users": "People who use huizhen (admin).",
}

# (group name or None for top-level commands, "module:attribute" of the module's Typer — or of a function that
# makes it when the CLI is built, for commands derived from the catalogue).
SubApp = tuple[str | None, str]
SUB_APPS: list[SubApp] = [
    (None, "huizhen.cli.setup:commands"),
    (None, "huizhen.cli.web:commands"),
    ("users", "huizhen.cli.setup:users_app"),
    ("users", "huizhen.cli.web:users_app"),
    ("users", "huizhen.cli.prefs:users_app"),
    ("experts", "huizhen.cli.setup:experts_app"),
    ("rotation", "huizhen.cli.setup:rotation_app"),
    ("case", "huizhen.cli.cases:case_app"),
    ("case", "huizhen.cli.cases:simple_commands"),
    ("case", "huizhen.cli.papers:case_app"),
    ("docs", "huizhen.cli.papers:docs_app"),
    ("form", "huizhen.cli.audit:form_app"),
    ("audit", "huizhen.cli.audit:audit_app"),
    ("audit", "huizhen.cli.papers:audit_app"),
    ("audit", "huizhen.cli.reads:audit_app"),
    (None, "huizhen.cli_time:commands"),
    ("calendar", "huizhen.cli_time:calendar_app"),
    ("scheduler", "huizhen.cli_time:scheduler_app"),
    ("reminders", "huizhen.cli_time:reminders_app"),
    ("fee", "huizhen.cli.yearly:fee_app"),
    ("report", "huizhen.cli.yearly:report_app"),
    ("retention", "huizhen.cli.yearly:retention_app"),
]

# What `huizhen --help` lists, without importing a module: every top-level command and group, in the order the
# registry gives them, with its help; a top-level command also names the module that holds it.
INDEX: dict[str, tuple[str, str | None]] = {
    "init": ("Create or migrate the database; load the institutions from config.", "huizhen.cli.setup:commands"),
    "diagram": ("Print the case state diagram (Mermaid).", "huizhen.cli.setup:commands"),
    "serve": ("The web service: FastAPI on uvicorn, with the scheduler alongside (SQLite by default).",
              "huizhen.cli.web:commands"),
    "users": ("People who use huizhen (admin).", None),
    "experts": ("The expert pool.", None),
    "rotation": ("The rotating lead institution (Art. 3).", None),
    "case": ("Consultation cases.", None),
    "docs": ("The official papers: 会诊表 and 会议纪要 (DOCX or PDF).", None),
    "form": ("The 会诊表 rules, without a database.", None),
    "audit": ("Audit: verify the chain, replay, export.", None),
    "inbox": ("Your in-app messages (reminders).", "huizhen.cli_time:commands"),
    "calendar": ("The Chinese working-day calendar (工作日).", None),
    "scheduler": ("The deadline sweep and its daemon.", None),
    "reminders": ("The reminder ledger.", None),
    "fee": ("Experts' fees (Art. 10: paid by the applicant).", None),
    "report": ("Statistics of the mechanism (the yearly account).", None),
    "retention": ("Retention (Art. 9: five years), appraisal, holds, purge.", None),
}


def _resolve(ref: str) -> typer.Typer:
    module, _, attr = ref.partition(":")
    part: typer.Typer | Callable[[], typer.Typer] = getattr(importlib.import_module(module), attr)
    return part() if callable(part) and not isinstance(part, typer.Typer) else part


def build_app(sub_apps: Sequence[SubApp] = SUB_APPS) -> typer.Typer:
    """The whole CLI from the list (and the catalogue as it is now), every module imported."""
    root = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, help=HELP)
    groups: dict[str, typer.Typer] = {}
    for name, ref in sub_apps:
        sub = _resolve(ref)
        if name is None:
            root.add_typer(sub)
            continue
        if name not in groups:
            help_text = GROUP_HELP.get(name) or sub.info.help
            groups[name] = typer.Typer(no_args_is_help=True, help=help_text)
            root.add_typer(groups[name], name=name)
        groups[name].add_typer(sub)
    return root


class LazyRoot(TyperGroup):
    """The root group: lists INDEX, and builds a group (importing its modules) only when it is asked to run it."""

    listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(INDEX)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in INDEX:
            return None
        help_text, holder = INDEX[cmd_name]
        if self.listing:  # the root's help: a name and a line, nothing imported
            return TyperCommand(cmd_name, help=help_text)
        refs = [ref for name, ref in SUB_APPS if name == cmd_name] if holder is None else [holder]
        sub_apps: list[SubApp] = [(None if holder else cmd_name, ref) for ref in refs]
        built: Any = typer.main.get_command(build_app(sub_apps))
        found: click.Command | None = built.get_command(ctx, cmd_name)
        return found

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False


def lazy_app() -> click.Group:
    """The CLI as `huizhen` runs it: the same commands as build_app(), each group's modules imported on use."""
    return LazyRoot(name="huizhen", help=HELP, no_args_is_help=True,
                    rich_markup_mode=typer.core.DEFAULT_MARKUP_MODE)


def _typer_click_errors() -> tuple[type[Exception], ...]:
    """Typer 0.29 bundles its own copy of click (typer._click): a mistyped command raises that copy's UsageError,
    which is not click's, so both are caught (else a typo printed a traceback)."""
    try:
        from typer._click.exceptions import ClickException as TyperClickException
    except ImportError:
        return ()
    return (TyperClickException,)


EXITS: tuple[type[Exception], ...] = (click.exceptions.Exit, typer.Exit)
ABORTS: tuple[type[Exception], ...] = (click.exceptions.Abort, typer.Abort)
USAGE_ERRORS: tuple[type[Exception], ...] = (click.ClickException, *_typer_click_errors())


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    try:
        setup_logging(level="WARNING")  # commands speak through their output; the log is for warnings
        rc = lazy_app().main(args=args, standalone_mode=False)
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except EXITS as exc:
        sys.exit(exc.exit_code)
    except ABORTS:
        err.print("aborted")
        sys.exit(130)
    except USAGE_ERRORS as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except DomainError as exc:
        sys.stderr.write(f"huizhen: {cli_message(exc, command_words(args))}\n")
        sys.exit(exit_code(exc))
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # the database went away (exit 7) or a race took a key (exit 6): one line, no trace
        from storage.uow import as_refusal  # only here: a command that never touched a database stays light

        refused = as_refusal(exc)
        if refused is None:
            raise
        sys.stderr.write(f"huizhen: {cli_message(refused, command_words(args))}\n")
        sys.exit(exit_code(refused))


if __name__ == "__main__":
    main()
