"""The auditor's tools on the command line (issue 14): the read log and the comparison of two instants."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from huizhen.cli.common import CaseArg, JsonOpt, actor, emit_json, get_app, local, out
from huizhen.clock import parse_instant
from workflow import auditing, readlog

audit_app = typer.Typer()  # joins the `audit` group


@audit_app.command("reads")
def audit_reads(case: Annotated[str | None, typer.Option("--case", help="only this case")] = None,
                user: Annotated[str | None, typer.Option("--user", help="only this person")] = None,
                since: Annotated[str | None, typer.Option("--since", help="ISO 8601 instant with offset")] = None,
                until: Annotated[str | None, typer.Option("--until", help="ISO 8601 instant with offset")] = None,
                as_json: JsonOpt = False) -> None:
    """Who opened or downloaded which paper, material or expert record, and when (newest first). Auditors, admins."""
    rows = readlog.read_log(get_app().services, actor(), case, user,
                            parse_instant(since, "--since") if since else None,
                            parse_instant(until, "--until") if until else None)
    if as_json:
        return emit_json(rows)
    for r in rows:
        sys.stdout.write(f"{local(r['at'])}\t{r['user_name']} ({r['role']})\t{r['what']}\t{r['case_number'] or '-'}"
                         f"\t{r['item']}\t{r['channel']}\n")
    out.print(f"{len(rows)} read(s)")


@audit_app.command("diff")
def audit_diff(number: CaseArg,
               start: Annotated[str, typer.Option("--from", help="ISO 8601 instant with offset")],
               end: Annotated[str, typer.Option("--to", help="ISO 8601 instant with offset")],
               as_json: JsonOpt = False) -> None:
    """The fields of a case that changed between two instants, each with its value before and after."""
    diff = auditing.case_diff(get_app().services, actor(), number, parse_instant(start, "--from"),
                              parse_instant(end, "--to"))
    if as_json:
        return emit_json(diff)
    before = diff["status_before"] or "(not yet opened)"
    out.print(f"{number}: {before} → {diff['status_after']}, {len(diff['changes'])} field(s) changed")
    for c in diff["changes"]:
        sys.stdout.write(f"{c['field']}\t{c['before']!r}\t{c['after']!r}\n")
