"""The command line: parse, call one use case, format. Rich tables for people, --json for scripts.

Exit codes: 0 done · 1 audit found problems · 2 bad input · 3 not permitted · 4 not found · 5 not allowed in
the case's state (or a rule not met) · 6 conflict (someone else acted first) · 7 database unavailable or not
initialised · 8 configuration error. A refusal is one line on stderr, and nothing is written.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import click
import typer
import yaml
from rich.console import Console
from rich.table import Table

from huizhen.bootstrap import App, bootstrap
from huizhen.clock import parse_instant
from states.errors import DomainError, InvalidInput
from states.rules import derive_conclusions, parse_opinion
from states.status import DEADLINE_LABELS, DEFECT_LABELS, OUTCOME_LABELS, STATUS_LABELS
from workflow import usecases as uc

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXIT_CODES = {
    "invalid_input": 2,
    "calendar_data": 2,
    "paper_error": 2,
    "not_permitted": 3,
    "not_found": 4,
    "invalid_transition": 5,
    "guard_failed": 5,
    "conflict": 6,
    "storage_unavailable": 7,
    "not_initialised": 7,
    "config_error": 8,
}

# Piped output is read by people in files and by grep: don't cut table cells at 80 columns there.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=None if sys.stderr.isatty() else 200)

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="会诊 huizhen — 长三角缺陷消费品专家会诊 (YRD expert consultations).")
users_app = typer.Typer(no_args_is_help=True, help="People who use huizhen (admin).")
experts_app = typer.Typer(no_args_is_help=True, help="The expert pool.")
rotation_app = typer.Typer(no_args_is_help=True, help="The rotating lead institution (Art. 3).")
case_app = typer.Typer(no_args_is_help=True, help="Consultation cases.")
form_app = typer.Typer(no_args_is_help=True, help="The 会诊表 rules, without a database.")
audit_app = typer.Typer(no_args_is_help=True, help="Audit: verify the chain, replay, export.")
app.add_typer(users_app, name="users")
app.add_typer(experts_app, name="experts")
app.add_typer(rotation_app, name="rotation")
app.add_typer(case_app, name="case")
app.add_typer(form_app, name="form")
app.add_typer(audit_app, name="audit")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]

_app: App | None = None


def get_app(*, need_schema: bool = True) -> App:
    global _app
    if _app is None:
        _app = bootstrap()
        if _app.settings.log_file is not None:
            from huizhen.logs import setup_logging

            setup_logging(_app.settings.resolve(_app.settings.log_file), level="WARNING")
    if need_schema:
        _app.require_schema()
        _app.refresh_calendar()
    return _app


def actor() -> str | None:
    return os.environ.get("HUIZHEN_USER") or None


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def local(iso: str | None) -> str:
    if not iso:
        return "—"
    return datetime.fromisoformat(iso).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def read_yaml(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{what}: {path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{what}: cannot read {path}: {exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{what}: {path} is not valid YAML: {str(exc).splitlines()[0]}") from None


# --- set-up --------------------------------------------------------------------------------------------------


@app.command()
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


@app.command()
def diagram() -> None:
    """Print the case state diagram (Mermaid)."""
    from states.machine import mermaid

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
    from workflow.web_usecases import list_users

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
    from huizhen.clock import clock_from_env
    from huizhen.config import load_settings
    from states.rotation import lead_on

    settings = load_settings()
    if when:
        try:
            day = date.fromisoformat(when)
        except ValueError:
            raise InvalidInput(f"DATE: {when!r} is not a date (YYYY-MM-DD)") from None
    else:
        day = clock_from_env().now().astimezone(SHANGHAI).date()
    r = settings.rotation
    sys.stdout.write(lead_on(day, r.order, r.first_term_start, r.term_months) + "\n")


# --- cases ---------------------------------------------------------------------------------------------------


def _done(case: Any, what: str) -> None:
    label = STATUS_LABELS.get(str(case.status), "")
    out.print(f"{case.number}: {what} — now {case.status} ({label}), version {case.version}")


@case_app.command("new")
def case_new(file: Annotated[Path, typer.Argument(metavar="FILE.yaml")]) -> None:
    """Open a draft case from a case file; prints the case number."""
    a = get_app()
    case = uc.new_case(a.services, actor(), read_yaml(file, "FILE"))
    missing = case.missing_product_fields()
    out.print(f"draft case {case.number} opened for {case.applicant}"
              + (f"; still missing before submit: {', '.join(missing)}" if missing else ""))
    sys.stdout.write(case.number + "\n")


@case_app.command("edit")
def case_edit(number: Annotated[str, typer.Argument(metavar="CASE")],
              file: Annotated[Path, typer.Argument(metavar="FILE.yaml")]) -> None:
    """Replace a draft's product section, sources and basis from a case file."""
    _done(uc.edit_case(get_app().services, actor(), number, read_yaml(file, "FILE")), "draft updated")


Reason = Annotated[str, typer.Option("--reason", help="Why (recorded in the history).")]
CaseArg = Annotated[str, typer.Argument(metavar="CASE")]


@case_app.command("submit")
def case_submit(number: CaseArg, reason: Reason = "") -> None:
    """Submit the application (Art. 6–7): needs the product section and an Art. 4 basis."""
    case = uc.submit(get_app().services, actor(), number)
    _done(case, f"submitted; lead institution {case.lead}")


@case_app.command("dispatch")
def case_dispatch(number: CaseArg, reason: Reason = "") -> None:
    """Send the materials to the panel (Art. 8(2)); starts T1."""
    case = uc.dispatch(get_app().services, actor(), number)
    _done(case, "materials dispatched to the panel")
    _print_open_deadlines(case.to_dict())


@case_app.command("refer")
def case_refer(number: CaseArg, reason: Reason = "") -> None:
    """Tell the lead the analyses are in (Art. 8(3)); starts T2."""
    case = uc.refer(get_app().services, actor(), number, reason)
    _done(case, f"referred to the lead {case.lead}")
    _print_open_deadlines(case.to_dict())


@case_app.command("convene")
def case_convene(number: CaseArg, reason: Reason = "") -> None:
    """Record that the online meeting is held (Art. 8(4))."""
    _done(uc.convene(get_app().services, actor(), number), "meeting held")


@case_app.command("decide")
def case_decide(number: CaseArg, reason: Reason = "") -> None:
    """Count the forms by majority (Art. 8(6)) and record the panel's opinion."""
    case = uc.decide(get_app().services, actor(), number)
    t = case.tally or {}
    _done(case, f"decided: {OUTCOME_LABELS.get(str(case.outcome), case.outcome)} "
                f"(defect {t.get('conclusions', {}).get('defect')}, {t.get('forms')} forms)")


@case_app.command("archive")
def case_archive(number: CaseArg, reason: Reason = "") -> None:
    """Archive a decided case once its minutes are issued (Art. 9)."""
    _done(uc.archive(get_app().services, actor(), number), "archived")


@case_app.command("withdraw")
def case_withdraw(number: CaseArg, reason: Reason = "") -> None:
    """Withdraw the application (reason required)."""
    _done(uc.withdraw(get_app().services, actor(), number, reason), "withdrawn")


@case_app.command("conclude")
def case_conclude(number: CaseArg, reason: Reason = "") -> None:
    """End continued attention: tracking finished (reason required); archives the case."""
    _done(uc.conclude(get_app().services, actor(), number, reason), "tracking concluded and archived")


@case_app.command("reopen")
def case_reopen(number: CaseArg, reason: Reason = "") -> None:
    """End continued attention with a new linked case in drafted (reason required); prints the new number."""
    old, new = uc.reopen(get_app().services, actor(), number, reason)
    _done(old, f"archived; reopened as {new.number}")
    sys.stdout.write(new.number + "\n")


@case_app.command("verify")
def case_verify(number: CaseArg, note: Annotated[str, typer.Option("--note", help="初步核实判断")]) -> None:
    """Record the preliminary verification (初步核实判断, Art. 7)."""
    _done(uc.verify(get_app().services, actor(), number, note), "preliminary verification recorded")


@case_app.command("panel")
def case_panel(number: CaseArg, experts: Annotated[list[str], typer.Argument(metavar="EXPERT_ID...")],
               reason: Reason = "") -> None:
    """Form the panel (Art. 8(1)): odd size ≥ 3; an even panel needs --reason."""
    case = uc.form_panel(get_app().services, actor(), number, experts, reason)
    _done(case, f"panel of {len(case.panel)}: {', '.join(case.panel)}")


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
    _done(case, f"attached {m['filename']} ({m['size']} bytes, sha256 {m['sha256'][:12]}…)")


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
    _done(uc.record_analysis(get_app().services, actor(), number, expert, text or ""), f"analysis of {expert} recorded")


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


@case_app.command("absent")
def case_absent(number: CaseArg, expert: Annotated[str, typer.Option("--expert")], reason: Reason = "") -> None:
    """Record a panel expert's absence from the meeting."""
    _done(uc.record_absence(get_app().services, actor(), number, expert, reason), f"{expert} recorded absent")


@case_app.command("minutes")
def case_minutes(number: CaseArg) -> None:
    """Issue the minutes record (participants, votes, decision, cc list) — once."""
    case = uc.issue_minutes(get_app().services, actor(), number)
    m = case.minutes or {}
    _done(case, f"minutes {m.get('document_number')} issued; cc {', '.join(m.get('cc', []))}")


@case_app.command("track")
def case_track(number: CaseArg, note: Annotated[str, typer.Option("--note")]) -> None:
    """Add a tracking note under continued attention; restarts the follow-up timer."""
    case = uc.track(get_app().services, actor(), number, note)
    _done(case, "tracking note recorded")
    _print_open_deadlines(case.to_dict())


def _print_open_deadlines(case: dict[str, Any]) -> None:
    for d in case.get("deadlines", []):
        if d["status"] == "armed":
            flag = "（预估）" if d["provisional"] else ""
            out.print(f"  deadline {DEADLINE_LABELS.get(d['kind'], d['kind'])}: due {local(d['due_at'])} "
                      f"Beijing time{flag} — {d['explanation']}")


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
              as_json: JsonOpt = False) -> None:
    """List the cases you may see."""
    cases = uc.list_cases(get_app().services, actor(), status)
    if as_json:
        return emit_json(cases)
    table = Table("案件", "状态", "申请", "牵头", "产品", "下一期限")
    for c in cases:
        armed = [d for d in c["deadlines"] if d["status"] == "armed"]
        nxt = (local(armed[0]["due_at"]) + (" 已超期" if armed[0]["overdue"] else "")) if armed else ""
        table.add_row(c["number"], STATUS_LABELS.get(c["status"], c["status"]), c["applicant"], c.get("lead") or "",
                      c["product"].get("name", ""), nxt)
    out.print(table)
    err.print(f"{len(cases)} case(s)")


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


# --- the form, without a database ----------------------------------------------------------------------------


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
def audit_verify(number: Annotated[str | None, typer.Argument(metavar="[CASE]")] = None, as_json: JsonOpt = False) -> None:
    """Recompute every hash and replay every case; exits 1 naming each finding."""
    a = get_app()
    findings = uc.verify_audit(a.services, actor(), number)
    with a.services.uow(readonly=True) as uow:
        count = len([number]) if number else len(uow.cases.numbers())
        purged = 0 if number else len(uow.retention.tombstones())
    if as_json:
        emit_json({"ok": not findings, "cases": count, "tombstones": purged, "findings": findings})
    else:
        for f in findings:
            sys.stdout.write(f + "\n")
        if findings:
            err.print(f"audit: {len(findings)} finding(s) in {count} case(s)")
        else:
            out.print(f"audit: {count} case(s) verified — every hash recomputed, every replay matches its case"
                      + (f"; {purged} purged case(s)' tombstones chained and intact" if purged else ""))
    if findings:
        raise typer.Exit(1)


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
        writer.writerow({**e, "payload": json.dumps(e["payload"], ensure_ascii=False, sort_keys=True)})
    sys.stdout.write(buf.getvalue())


def _register_extensions() -> None:
    """Commands that live in their own modules (calendar, scheduler, ...) attach themselves here."""
    from huizhen import cli_papers, cli_time, cli_web, cli_yearly  # noqa: F401


def main(argv: list[str] | None = None) -> None:
    try:
        from huizhen.logs import setup_logging

        setup_logging(level="WARNING")  # commands speak through their output; the log is for warnings
        _register_extensions()
        rc = app(args=argv, standalone_mode=False)
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
        sys.stderr.write(f"huizhen: {exc.message}\n")
        sys.exit(EXIT_CODES.get(exc.code, 2))
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
