"""The auditors' commands (verify the chains, replay, export) and the 会诊表 rules without a database."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from huizhen import checkpoints
from huizhen.cells import safe_cell
from huizhen.cli.cases import _render_case
from huizhen.cli.common import CaseArg, JsonOpt, actor, emit_json, err, get_app, out, read_yaml
from huizhen.clock import parse_instant
from huizhen.keys import public_pem, signing_key
from huizhen.labels import DEFECT_LABELS
from states.errors import InvalidInput
from states.rules import derive_conclusions, parse_opinion
from workflow import readlog
from workflow import usecases as uc

audit_app = typer.Typer(no_args_is_help=True, help="Audit: verify the chain, replay, export.")
form_app = typer.Typer(no_args_is_help=True, help="The 会诊表 rules, without a database.")


@form_app.command("check")
def form_check(file: Annotated[Path, typer.Argument(metavar="FILE.yaml")], as_json: JsonOpt = False) -> None:
    """Derive an opinion's defect / investigate / attention conclusions by the form's rules."""
    conclusions = derive_conclusions(parse_opinion(read_yaml(file, "FILE"))).to_dict()
    if as_json:
        return emit_json(conclusions)
    out.print(f"defect 缺陷消费品: {conclusions['defect']} ({DEFECT_LABELS[conclusions['defect']]})")
    out.print(f"investigate 建议开展调查: {'yes (是)' if conclusions['investigate'] else 'no (否)'}")
    out.print(f"attention 建议持续关注: {'yes (是)' if conclusions['attention'] else 'no (否)'}")


# --- audit ---------------------------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(number: Annotated[str | None, typer.Argument(metavar="[CASE]")] = None, as_json: JsonOpt = False,
                 checkpoint: Annotated[list[Path] | None, typer.Option(
                     "--checkpoint", metavar="FILE", help="a signed checkpoint the database must still extend "
                     "(repeatable)")] = None) -> None:
    """Recompute every hash and replay every case; with --checkpoint, check that the database still extends each
    checkpoint. Exits 1 naming each finding."""
    a = get_app()
    findings = uc.verify_audit(a.services, actor(), number)
    if checkpoint:
        findings += checkpoints.verify_files(a, actor(), list(checkpoint))
    with a.services.uow(readonly=True) as uow:
        count = len([number]) if number else len(uow.cases.numbers())
        purged = 0 if number else len(uow.retention.tombstones())
        kinds = uow.cases.hash_kinds()
    if as_json:
        emit_json({"ok": not findings, "cases": count, "tombstones": purged, "findings": findings,
                   "keyed_events": kinds["keyed"], "older_events": kinds["older"]})
    else:
        for f in findings:
            sys.stdout.write(f + "\n")
        if findings:
            err.print(f"audit: {len(findings)} finding(s) in {count} case(s)")
        else:
            out.print(f"audit: {count} case(s) verified — every hash recomputed, every replay matches its case"
                      + (f"; {purged} purged case(s)' tombstones chained and intact" if purged else ""))
            out.print(f"audit: {kinds['keyed']} event(s) keyed with the audit key, {kinds['older']} of the older "
                      "unkeyed kind (sealed when the key was introduced)")
    if findings:
        raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint(out_file: Annotated[Path | None, typer.Option("--out", metavar="FILE")] = None) -> None:
    """Sign a statement of every case's head, the tombstones' head and the case-number counters, now; keep it in
    the checkpoint folder (and at --out). Auditors and admins."""
    a = get_app()
    path = checkpoints.write(a, actor(), a.services.clock.now(), out_file)
    sys.stdout.write(str(path) + "\n")


@audit_app.command("public-key")
def audit_public_key() -> None:
    """Print the public key (PEM) that verifies this server's checkpoints, for checking them offline."""
    sys.stdout.write(public_pem(signing_key(get_app().settings)))


@audit_app.command("replay")
def audit_replay(number: CaseArg, at: Annotated[str | None, typer.Option("--at", help="ISO 8601 instant")] = None,
                 as_json: JsonOpt = False) -> None:
    """The case as it stood at an instant (default: now), replayed from its events."""
    when = parse_instant(at, "--at") if at else None
    case = uc.replay_at(get_app().services, actor(), number, when)
    if as_json:
        return emit_json(case)
    _render_case(case)


@audit_app.command("export")
def audit_export(number: CaseArg, fmt: Annotated[str, typer.Option("--format", help="jsonl|csv")] = "jsonl") -> None:
    """Export a case's event log, with hashes, for offline checking."""
    if fmt not in ("jsonl", "csv"):
        raise InvalidInput(f"--format: must be jsonl or csv, not {fmt!r}")
    events = uc.export_events(get_app().services, actor(), number)
    readlog.record_read(get_app().services, actor(), "export", number, fmt, "cli")  # the read log (issue 14)
    if fmt == "jsonl":
        for e in events:
            sys.stdout.write(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n")
        return
    buf = io.StringIO()
    fields = ["case", "seq", "type", "schema_version", "actor", "occurred_at", "recorded_at", "payload", "prev_hash",
              "hash"]
    writer = csv.DictWriter(buf, fieldnames=fields)
    writer.writeheader()
    for e in events:
        row = {**e, "payload": json.dumps(e["payload"], ensure_ascii=False, sort_keys=True)}
        writer.writerow({k: safe_cell(row.get(k)) for k in fields})
    sys.stdout.write(buf.getvalue())

