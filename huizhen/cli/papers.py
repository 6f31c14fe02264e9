"""The papers on the command line: scheduling the meeting, the 会诊表 and 会议纪要 as DOCX/PDF, the dossier."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from huizhen import dossier, signing
from huizhen.cli.common import CaseArg, JsonOpt, actor, emit_json, err, get_app, local, out
from huizhen.clock import parse_instant
from huizhen.config import load_settings
from huizhen.keys import load_keyring
from huizhen.papers import render_form, render_minutes  # the renderers load WeasyPrint only when they draw
from states.errors import DomainError, InvalidInput
from storage.chain import Keyring
from workflow import readlog
from workflow import usecases as uc
from workflow.documents import form_context, minutes_context

docs_app = typer.Typer(no_args_is_help=True, help="The official papers: 会诊表 and 会议纪要 (DOCX or PDF).")
audit_app = typer.Typer()  # joins the `audit` group: the dossier
case_app = typer.Typer()  # joins the `case` group: the meeting's scheduling sends papers (.ics)

OutOpt = Annotated[Path, typer.Option("--out", help="FILE.docx or FILE.pdf")]


def _suffix(path: Path) -> None:
    if path.suffix.lower() not in (".docx", ".pdf"):
        raise InvalidInput(f"--out: {path.name} must end in .docx or .pdf")


@case_app.command("schedule")
def case_schedule(
    number: CaseArg,
    at: Annotated[str, typer.Option("--at", help="ISO 8601 instant with offset, e.g. 2026-10-14T14:00:00+08:00")],
    platform: Annotated[str, typer.Option("--platform", help="e.g. 腾讯会议")],
    link: Annotated[str | None, typer.Option("--link", help="the meeting URL")] = None,
    attendee: Annotated[list[str] | None, typer.Option("--attendee", help="a staff member (user), 1–2 per institution")] = None,
    order: Annotated[list[str] | None, typer.Option("--order", help="the experts' speaking order (expert ids)")] = None,
) -> None:
    """Schedule (or change) the online meeting (Art. 8(4)); the panel and attendees get an .ics invitation."""
    when = parse_instant(at, "--at")
    case = uc.schedule_meeting(get_app().services, actor(), number, when, platform, link, attendee or [], order or [])
    m = case.meeting or {}
    verb = "rescheduled" if m.get("sequence") else "scheduled"
    out.print(f"{number}: meeting {verb} for {local(m.get('at'))} Beijing time on {m.get('platform')} "
              f"(invitation sequence {m.get('sequence')}); speaking order {', '.join(m.get('speaking_order', []))}")
    covered = {a["institution"] for a in m.get("attendees", [])}
    missing = [c for c in get_app().settings.members if c not in covered]
    if missing:
        err.print(f"note: no staff named yet for {', '.join(missing)} (Art. 8(4): 1–2 per institution)")


@docs_app.command("form")
def docs_form(number: CaseArg, out_file: OutOpt,
              expert: Annotated[str | None, typer.Option("--expert", help="whose signed form; blank without")] = None) -> None:
    """The 长三角缺陷消费品专家会诊表, filled from the case (one expert's, or blank)."""
    _suffix(out_file)
    ctx = form_context(get_app().services, actor(), number, expert)
    path = render_form(ctx, out_file)
    readlog.record_read(get_app().services, actor(), "form" if expert else "blank_form", number,
                        f"{expert}{out_file.suffix}" if expert else out_file.suffix.lstrip("."), "cli")
    out.print(f"{number}: {'form of ' + expert if expert else 'blank form'} written")
    sys.stdout.write(str(path) + "\n")


@docs_app.command("minutes")
def docs_minutes(number: CaseArg, out_file: OutOpt,
                 issue: Annotated[int | None, typer.Option("--issue", help="an earlier numbered issue (第N号)")] = None
                 ) -> None:
    """The 会议纪要 in force in official-document layout (a draft with the lead's edits before they are issued)."""
    _suffix(out_file)
    ctx = minutes_context(get_app().services, actor(), number, issue)
    path = render_minutes(ctx, out_file)
    readlog.record_read(get_app().services, actor(), "minutes", number, out_file.suffix.lstrip("."), "cli")
    out.print(f"{number}: minutes {ctx['document_number']}{' (draft)' if ctx['draft'] else ''} written")
    sys.stdout.write(str(path) + "\n")


@audit_app.command("dossier")
def audit_dossier(number: CaseArg, out_file: Annotated[Path, typer.Option("--out", help="FILE.zip")]) -> None:
    """Build the archive dossier: forms, minutes, materials, history (JSON Lines) and a SHA-256 manifest."""
    a = get_app()
    manifest = dossier.build(a.services, actor(), number, out_file, a.services.clock.now())
    readlog.record_read(a.services, actor(), "dossier", number, "zip", "cli")
    out.print(f"{number}: dossier with {len(manifest['files'])} files and {manifest['events']} events")
    sys.stdout.write(str(out_file) + "\n")


def _ca_if_at_hand() -> bytes | None:
    """This server's papers' CA certificate, where this machine has it."""
    try:
        path = signing.key_dir(load_settings()) / "ca.pem"
        return path.read_bytes() if path.exists() else None
    except (DomainError, OSError):
        return None


def _keyring_if_at_hand() -> Keyring | None:
    """The audit key, where this machine has it (then keyed hashes are recomputed too); never made here."""
    try:
        return load_keyring(load_settings(), create=False)
    except DomainError:
        return None


@audit_app.command("dossier-verify")
def audit_dossier_verify(file: Annotated[Path, typer.Argument(metavar="FILE")], as_json: JsonOpt = False,
                         ca: Annotated[Path | None, typer.Option(
                             "--ca", metavar="CA.pem", help="the CA certificate the papers' signatures must chain "
                             "to (default: this server's, where at hand)")] = None) -> None:
    """Check a dossier (or one signed PDF paper) offline (no database): every file against the manifest, the
    history's hash chain, and each issued paper's PDF signature against the CA."""
    ca_pem = ca.read_bytes() if ca else _ca_if_at_hand()
    findings = dossier.verify(file, _keyring_if_at_hand(), ca_pem)
    if file.suffix.lower() == ".pdf" and not findings:
        out.print(f"{file.name}: signature intact" + ("" if ca_pem else " (no CA at hand: the signer is not checked)"))
        return
    if as_json:
        emit_json({"ok": not findings, "findings": findings})
    else:
        for f in findings:
            sys.stdout.write(f + "\n")
        if not findings:
            m = dossier.read_manifest(file)
            out.print(f"dossier of {m['case']} intact: {len(m['files'])} files, {m['events']} events, chain verified")
    if findings:
        raise typer.Exit(1)
