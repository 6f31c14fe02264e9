"""Consultation cases on the command line: open, edit, the steps of Art. 6–9 and what a case shows.

The simple commands (only the case and perhaps a reason: submit, dispatch, refer, ...) are not written here one by
one: `simple_commands()` derives them from the catalogue (states/commands.py) each time the CLI is built, and says
what each prints in `SIMPLE_WORDS`; a catalogue row without words there still gets its command.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from huizhen.cli.common import (
    CaseArg,
    JsonOpt,
    Reason,
    actor,
    done,
    emit_json,
    err,
    get_app,
    local,
    out,
    print_open_deadlines,
    read_yaml,
)
from huizhen.commands import run_simple
from huizhen.labels import ACTION_LABELS, DEADLINE_LABELS, DEFECT_LABELS, OUTCOME_LABELS, STATUS_LABELS
from states import commands as catalogue
from states.commands import REASON_NONE, Command
from states.errors import InvalidInput
from workflow import nominations
from workflow import usecases as uc

case_app = typer.Typer(no_args_is_help=True, help="Consultation cases.")


@case_app.command("new")
def case_new(file: Annotated[Path, typer.Argument(metavar="FILE.yaml")]) -> None:
    """Open a draft case from a case file; prints the case number."""
    a = get_app()
    case = uc.new_case(a.services, actor(), read_yaml(file, "FILE"))
    missing = case.missing_product_fields()
    out.print(f"draft case {case.number} opened for {case.applicant}"
              + (f"; still missing before submit: {', '.join(missing)}" if missing else ""))
    _warn_similar(case.number, case.product)
    sys.stdout.write(case.number + "\n")


def _warn_similar(number: str, product: dict[str, Any]) -> None:
    """A warning, not a refusal (issue 14): earlier cases with the same producer, model or report number."""
    from huizhen.labels import SIMILAR_LABELS
    from workflow.finding import similar_cases

    for c in similar_cases(get_app().services, actor(), product, number):
        same = "、".join(SIMILAR_LABELS.get(k, k) for k in c["same"])
        err.print(f"注意：此前已有类似案件 {c['number']}（{STATUS_LABELS.get(c['status'], c['status'])}，"
                  f"{c['product']} {c['model']}，{c['producer']}）：{same}")


@case_app.command("edit")
def case_edit(number: Annotated[str, typer.Argument(metavar="CASE")],
              file: Annotated[Path, typer.Argument(metavar="FILE.yaml")]) -> None:
    """Replace a draft's product section, sources and basis from a case file."""
    done(uc.edit_case(get_app().services, actor(), number, read_yaml(file, "FILE")), "draft updated")


@case_app.command("reopen")
def case_reopen(number: CaseArg, reason: Reason = "") -> None:
    """End continued attention with a new linked case in drafted (reason required); prints the new number."""
    old, new = uc.reopen(get_app().services, actor(), number, reason)
    done(old, f"archived; reopened as {new.number}")
    sys.stdout.write(new.number + "\n")


@case_app.command("verify")
def case_verify(number: CaseArg, note: Annotated[str, typer.Option("--note", help="初步核实判断")]) -> None:
    """Record the preliminary verification (初步核实判断, Art. 7)."""
    done(uc.verify(get_app().services, actor(), number, note), "preliminary verification recorded")


@case_app.command("concur")
def case_concur(number: CaseArg, note: Annotated[str, typer.Option("--note", help="共同开展的意见")]) -> None:
    """Concur, for your institution, with the joint decision that is a draft's only basis (Art. 4(3))."""
    done(uc.concur(get_app().services, actor(), number, note), "concurrence recorded")


@case_app.command("panel")
def case_panel(number: CaseArg, experts: Annotated[list[str], typer.Argument(metavar="EXPERT_ID...")],
               reason: Reason = "") -> None:
    """Form the panel (Art. 8(1)): odd size ≥ 3; an even panel needs --reason."""
    case = uc.form_panel(get_app().services, actor(), number, experts, reason)
    done(case, f"panel of {len(case.panel)}: {', '.join(case.panel)}")


# --- i12-panel --- Art. 8(1) by every institution: nominations, the experts' answers, a conflicted expert kept


@case_app.command("nominate")
def case_nominate(number: CaseArg, experts: Annotated[list[str], typer.Argument(metavar="EXPERT_ID...")],
                  note: Annotated[str, typer.Option("--note", help="A line on why (optional)")] = "") -> None:
    """Nominate experts of your own province's pool for the panel (Art. 8(1)), for your institution."""
    case = nominations.nominate(get_app().services, actor(), number, experts, note)
    done(case, f"nominated {', '.join(experts)}")


@case_app.command("withdraw-nomination")
def case_withdraw_nomination(number: CaseArg, expert: Annotated[str, typer.Argument(metavar="EXPERT_ID")]) -> None:
    """Withdraw your institution's nomination of an expert (Art. 8(1))."""
    done(nominations.withdraw_nomination(get_app().services, actor(), number, expert),
         f"nomination of {expert} withdrawn")


@case_app.command("respond")
def case_respond(
    number: CaseArg,
    accept: Annotated[bool, typer.Option("--accept/--decline", help="Accept or decline the invitation")],
    employer: Annotated[str | None, typer.Option("--employer", help="Your employer (default: the pool's)")] = None,
    province: Annotated[str | None, typer.Option("--province", help="Your province (default: the pool's)")] = None,
    relation: Annotated[str, typer.Option("--relation", help="Relation to the producer: none, or what it is")] = "none",
    note: Annotated[str, typer.Option("--note", help="A line for the applicant (optional)")] = "",
    expert: Annotated[str | None, typer.Option("--expert", help="Your expert id (default: your own)")] = None,
) -> None:
    """Answer the invitation to a panel and declare conflicts of interest (Art. 8(1))."""
    a = get_app()
    me = expert or _own_expert_id(a)
    related = relation.strip().lower() not in ("none", "无", "")
    case = nominations.respond(a.services, actor(), number, me, "accept" if accept else "decline",
                               employer=employer, province=province, relation="related" if related else "none",
                               relation_text=relation.strip() if related else "", note=note)
    done(case, f"{me} {'accepted' if accept else 'declined'}" + ("; conflict declared" if related else ""))


def _own_expert_id(a: Any) -> str:
    with a.services.uow(readonly=True) as uow:
        user = uow.users.get(actor() or "")
    return (user.expert_id if user else None) or ""


@case_app.command("keep-expert")
def case_keep_expert(number: CaseArg, expert: Annotated[str, typer.Option("--expert", help="The expert's id")],
                     reason: Reason = "") -> None:
    """Keep a panel expert who declared a conflict of interest, for a recorded reason (Art. 8(1))."""
    done(nominations.keep_expert(get_app().services, actor(), number, expert, reason), f"{expert} kept")


@case_app.command("attach")
def case_attach(
    number: CaseArg,
    file: Annotated[Path, typer.Argument(metavar="FILE")],
    kind: Annotated[str, typer.Option(help="test_report|analysis_report|injury_report|research_report|other")] = "other",
) -> None:
    """Attach a material (stored by SHA-256)."""
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"FILE: {file} not found") from None
    except IsADirectoryError:
        raise InvalidInput(f"FILE: {file} is a folder") from None
    case = uc.attach(get_app().services, actor(), number, file.name, data, kind)
    m = case.materials[-1]
    done(case, f"attached {m['filename']} ({m['size']} bytes, sha256 {m['sha256'][:12]}…)")


@case_app.command("analysis")
def case_analysis(
    number: CaseArg,
    expert: Annotated[str, typer.Option("--expert", help="Your expert id")],
    text: Annotated[str | None, typer.Option("--text")] = None,
    file: Annotated[Path | None, typer.Option("--file")] = None,
) -> None:
    """Record your preliminary analysis (Art. 8(2))."""
    if (text is None) == (file is None):
        raise InvalidInput("--text/--file: give exactly one of them")
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"--file: cannot read {file}: {exc}") from None
    done(uc.record_analysis(get_app().services, actor(), number, expert, text or ""), f"analysis of {expert} recorded")


@case_app.command("opinion")
def case_opinion(
    number: CaseArg,
    file: Annotated[Path, typer.Argument(metavar="FILE.yaml")],
    expert: Annotated[str, typer.Option("--expert", help="Your expert id")],
) -> None:
    """Sign your 会诊表 (Art. 8(6)); prints the conclusions derived from your answers (JSON)."""
    data = read_yaml(file, "FILE")
    result = uc.record_opinion(get_app().services, actor(), number, expert, data)
    err.print(f"{number}: form of {expert} signed — 缺陷 {DEFECT_LABELS[result['defect']]}, "
              f"建议调查 {'是' if result['investigate'] else '否'}, 持续关注 {'是' if result['attention'] else '否'}")
    emit_json({"case": number, "expert": expert, **result})


@case_app.command("remind")
def case_remind(number: CaseArg, expert: Annotated[str, typer.Option("--expert", help="The late expert's id")],
                note: Annotated[str, typer.Option("--note", help="A line for the expert")] = "") -> None:
    """催办: remind a late panel expert of the preliminary analysis (once per expert per working day)."""
    done(uc.chase(get_app().services, actor(), number, expert, note), f"{expert} reminded")


@case_app.command("absent")
def case_absent(number: CaseArg, expert: Annotated[str, typer.Option("--expert")], reason: Reason = "") -> None:
    """Record a panel expert's absence from the meeting."""
    done(uc.record_absence(get_app().services, actor(), number, expert, reason), f"{expert} recorded absent")


@case_app.command("attendance")
def case_attendance(
    number: CaseArg,
    institution: Annotated[str, typer.Option("--institution", help="the member institution's code, e.g. sh")],
    staff: Annotated[list[str] | None, typer.Option("--staff", help="a staff member at the meeting, by real name "
                                                                   "(1–2)")] = None,
    absent: Annotated[bool, typer.Option("--absent", help="the institution sent no one")] = False,
) -> None:
    """Record an institution's 1–2 staff at the online meeting by real name, or that it sent no one (Art. 8(4))."""
    code = institution.strip().upper()
    case = uc.record_attendance(get_app().services, actor(), number, code, staff or [], absent)
    rec = case.attendance.get(code, {})
    done(case, f"{code}: " + ("absent (sent no one)" if rec.get("absent") else ", ".join(rec.get("staff", []))))


def _text_or_file(text: str | None, file: Path | None) -> str:
    if (text is None) == (file is None):
        raise InvalidInput("--text/--file: give exactly one of them")
    if file is not None:
        try:
            return file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"--file: cannot read {file}: {exc}") from None
    return text or ""


@case_app.command("statement")
def case_statement(
    number: CaseArg,
    expert: Annotated[str, typer.Option("--expert", help="the expert's id")],
    text: Annotated[str | None, typer.Option("--text")] = None,
    file: Annotated[Path | None, typer.Option("--file")] = None,
    order: Annotated[int | None, typer.Option("--order", help="speaking order (default: the order of recording)")] = None,
) -> None:
    """Record what an expert said at the meeting, in speaking order (Art. 8(5)); the minutes use it."""
    case = uc.record_statement(get_app().services, actor(), number, expert, _text_or_file(text, file), order)
    st = next(s for s in case.statements if s["expert"] == expert)
    done(case, f"statement of {expert} recorded (speaking order {st['order']})")


@case_app.command("minutes-draft")
def case_minutes_draft(
    number: CaseArg,
    summary: Annotated[str | None, typer.Option("--summary", help="讨论情况")] = None,
    decision_text: Annotated[str | None, typer.Option("--decision-text", help="会诊意见表述")] = None,
    follow_up: Annotated[str | None, typer.Option("--follow-up", help="后续工作")] = None,
) -> None:
    """Word the minutes before issuing them (Art. 8(7)); preview with `huizhen docs minutes CASE --out F.pdf`."""
    done(uc.draft_minutes(get_app().services, actor(), number, summary, decision_text, follow_up),
         "minutes draft saved")


@case_app.command("minutes-correct")
def case_minutes_correct(
    number: CaseArg,
    reason: Annotated[str, typer.Option("--reason", help="why the minutes are corrected")],
    summary: Annotated[str | None, typer.Option("--summary", help="讨论情况")] = None,
    decision_text: Annotated[str | None, typer.Option("--decision-text", help="会诊意见表述")] = None,
    follow_up: Annotated[str | None, typer.Option("--follow-up", help="后续工作")] = None,
) -> None:
    """Issue a correction of the minutes: the next numbered issue (第N号), naming the one it corrects."""
    case = uc.correct_minutes(get_app().services, actor(), number, reason, summary, decision_text, follow_up)
    c = case.minutes_corrections[-1]
    done(case, f"minutes issue {c['issue_no']} issued, correcting issue {c['corrects']}")


@case_app.command("track")
def case_track(number: CaseArg, note: Annotated[str, typer.Option("--note")]) -> None:
    """Add a tracking note under continued attention; restarts the follow-up timer."""
    case = uc.track(get_app().services, actor(), number, note)
    done(case, "tracking note recorded")
    print_open_deadlines(case.to_dict())



@case_app.command("show")
def case_show(number: CaseArg, as_json: JsonOpt = False) -> None:
    """Show one case."""
    case = uc.show_case(get_app().services, actor(), number)
    if as_json:
        return emit_json(case)
    _render_case(case)


def _render_case(c: dict[str, Any]) -> None:
    p = c["product"]
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("案件 case", f"{c['number']}  v{c['version']}")
    table.add_row("状态 status", f"{c['status']} ({STATUS_LABELS.get(c['status'], '')})")
    if c.get("outcome"):
        table.add_row("结论 outcome", f"{c['outcome']} ({OUTCOME_LABELS.get(c['outcome'], '')})")
    table.add_row("申请机构 applicant", c["applicant"])
    table.add_row("牵头机构 lead", c.get("lead") or "— (set on submit)")
    table.add_row("产品 product", f"{p.get('name', '')} {p.get('model', '')} · {p.get('brand', '')} · {p.get('producer', '')}")
    table.add_row("疑似缺陷", p.get("suspected_defect", ""))
    table.add_row("跨省 cross_province", "是" if c.get("cross_province") else "否")
    table.add_row("专家组 panel", ", ".join(c["panel"]) or "—")
    answers = c.get("responses") or {}
    for e in c["panel"]:
        r = answers.get(e)
        if r:
            said = "接受 accept" if r["answer"] == "accept" else "谢绝 decline"
            conflict = f" · 申报关系：{r['relation_text']}" if r.get("relation") == "related" else ""
            kept = " · 已记录保留理由" if e in (c.get("kept") or {}) else ""
            table.add_row(f"  {e}", f"{said}{conflict}{kept}")
    if c.get("nominations"):
        table.add_row("提名 nominations", ", ".join(f"{n['expert']}({n['institution']})" for n in c["nominations"]))
    table.add_row("材料 materials", ", ".join(m["filename"] for m in c["materials"]) or "—")
    table.add_row("初步分析 analyses", f"{len(c['analyses'])} of {len(c['panel'])}")
    table.add_row("会诊表 forms", f"{len(c['opinions'])} signed, {len(c['absences'])} absent")
    if c.get("conclusions"):
        k = c["conclusions"]
        table.add_row("专家意见", f"缺陷 {DEFECT_LABELS[k['defect']]} · 调查 {'是' if k['investigate'] else '否'} · "
                               f"持续关注 {'是' if k['attention'] else '否'}")
    for d in c["deadlines"]:
        state = "已超期 overdue" if d["overdue"] else d["status"]
        flag = "（预估）" if d["provisional"] else ""
        table.add_row(f"期限 {DEADLINE_LABELS.get(d['kind'], d['kind'])}", f"{local(d['due_at'])}{flag} · {state}")
    out.print(table)


@case_app.command("list")
def case_list(status: Annotated[str | None, typer.Option("--status", help="Only this status")] = None,
              q: Annotated[str | None, typer.Option("--q", help="Search: each term a substring of the number, "
                                                    "product, model, brand, producer, report number or defect")] = None,
              institution: Annotated[str | None, typer.Option("--institution", help="Applicant or lead")] = None,
              year: Annotated[str | None, typer.Option("--year", help="Year of the case number")] = None,
              sort: Annotated[str | None, typer.Option("--sort", help="deadline | number | updated | status")] = None,
              mine: Annotated[str | None, typer.Option("--mine", help="me (待我处理) | institution (待本单位处理)")]
              = None,
              page: Annotated[int, typer.Option("--page", help="Page, 1 first")] = 1,
              limit: Annotated[int, typer.Option("--limit", help="Cases a page (1–500)")] = 50,
              export: Annotated[Path | None, typer.Option("--export", metavar="FILE.csv|FILE.xlsx",
                                                          help="Write the whole filtered list (every page)")] = None,
              as_json: JsonOpt = False) -> None:
    """List the cases you may see, 50 a page, from the summary projection; search, sort, filter, export."""
    from huizhen import case_export
    from workflow import finding

    svc = get_app().services
    asked = {"state": status, "q": q, "institution": institution, "year": year, "sort": sort, "mine": mine}
    if export is not None:
        fmt = export.suffix.lower().lstrip(".")
        if fmt not in case_export.FORMATS:
            raise InvalidInput(f"--export: the file must end in .csv or .xlsx, not {export.name!r}",
                               key="export_format_unknown", field="export", value=export.suffix or export.name)
        rows = finding.export_rows(svc, actor(), **asked)
        export.write_bytes(case_export.export_bytes(fmt, rows))
        err.print(f"{len(rows)} case(s) written to {export}")
        return None
    listed = finding.case_list(svc, actor(), page=page, limit=limit, **asked)
    if as_json:
        return emit_json(listed["items"])
    table = Table("案件", "状态", "申请", "牵头", "产品", "下一期限")
    for c in listed["items"]:
        d = c["next_deadline"]
        nxt = f"{d['due_date']} {d['left_label']}" if d else ""
        table.add_row(c["number"], STATUS_LABELS.get(c["status"], c["status"]), c["applicant"], c.get("lead") or "",
                      c["product"]["name"], nxt)
    out.print(table)
    err.print(f"{listed['total']} case(s); page {listed['page']} of {listed['pages']}")
    return None


@case_app.command("history")
def case_history(number: CaseArg, as_json: JsonOpt = False) -> None:
    """The case's events, oldest first."""
    events = uc.history(get_app().services, actor(), number)
    if as_json:
        return emit_json(events)
    table = Table("#", "时间 occurred (Beijing)", "事件 type", "由 actor", "hash")
    for e in events:
        table.add_row(str(e["seq"]), local(e["occurred_at"]), e["type"], e["actor"], e["hash"][:12])
    out.print(table)



# --- the simple commands, from the catalogue ------------------------------------------------------------------


def _decided(number: str, case: Any) -> None:
    t = case.tally or {}
    done(case, f"decided: {OUTCOME_LABELS.get(str(case.outcome), case.outcome)} "
               f"(defect {t.get('conclusions', {}).get('defect')}, {t.get('forms')} forms)")


def _minutes(number: str, case: Any) -> None:
    m = case.minutes or {}
    done(case, f"minutes {m.get('document_number')} issued; cc {', '.join(m.get('cc', []))}")


def _with_deadlines(what: Callable[[Any], str]) -> Callable[[str, Any], None]:
    def show(number: str, case: Any) -> None:
        done(case, what(case))
        print_open_deadlines(case.to_dict())

    return show


def _line(what: str) -> Callable[[str, Any], None]:
    return lambda number, case: done(case, what)


# What each simple command is called on the command line (when not its name with dashes), its help, and what it
# prints when done. The README's CLI contract is these lines.
CLI_NAMES: dict[str, str] = {"issue_minutes": "minutes"}
SIMPLE_WORDS: dict[str, tuple[str, Callable[[str, Any], None]]] = {
    "submit": ("Submit the application (Art. 6–7): needs the product section and an Art. 4 basis.",
               lambda number, case: done(case, f"submitted; lead institution {case.lead}")),
    "dispatch": ("Send the materials to the panel (Art. 8(2)); starts T1.",
                 _with_deadlines(lambda case: "materials dispatched to the panel")),
    "refer": ("Tell the lead the analyses are in (Art. 8(3)); starts T2.",
              _with_deadlines(lambda case: f"referred to the lead {case.lead}")),
    "convene": ("Record that the online meeting is held (Art. 8(4)).", _line("meeting held")),
    "decide": ("Count the forms by majority (Art. 8(6)) and record the panel's opinion.", _decided),
    "issue_minutes": ("Issue the minutes record (participants, votes, decision, cc list) — once.", _minutes),
    "archive": ("Archive a decided case once its minutes are issued (Art. 9).", _line("archived")),
    "withdraw": ("Withdraw the application (reason required).", _line("withdrawn")),
    "conclude": ("End continued attention: tracking finished (reason required); archives the case.",
                 _line("tracking concluded and archived")),
    "cancel_meeting": ("Cancel the scheduled meeting; everyone invited gets a cancellation with the same UID.",
                       lambda number, case: out.print(f"{number}: meeting cancelled")),
}


def cli_name(cmd: Command) -> str:
    return CLI_NAMES.get(cmd.name, cmd.name.replace("_", "-"))


def _simple_command(cmd: Command) -> Callable[..., None]:
    help_text, show = SIMPLE_WORDS.get(cmd.name, (f"{ACTION_LABELS.get(cmd.name, cmd.name)}"
                                                  + (f" (Art. {cmd.article})" if cmd.article else ""),
                                                  _line(f"{cmd.name.replace('_', ' ')} done")))

    def command(number: str, reason: str = "") -> None:
        show(number, run_simple(cmd, get_app().services, actor(), number, reason))

    # The signature typer reads: a --reason option only for commands that take one.
    params = [inspect.Parameter("number", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=CaseArg)]
    if cmd.reason != REASON_NONE:
        params.append(inspect.Parameter("reason", inspect.Parameter.POSITIONAL_OR_KEYWORD, default="",
                                        annotation=Reason))
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__doc__ = help_text
    command.__name__ = f"case_{cmd.name}"
    return command


def simple_commands() -> typer.Typer:
    """The simple commands of the catalogue as it is now (a test's extra row included)."""
    group = typer.Typer()
    for cmd in catalogue.simple_commands():
        group.command(cli_name(cmd))(_simple_command(cmd))
    return group
