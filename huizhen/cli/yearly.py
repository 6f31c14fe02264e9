"""The yearly account on the command line: expert fees (Art. 10), the yearly report, retention and disposal (Art. 9).

    huizhen fee record CASE --expert ID|NAME --amount 1500.00 [--paid-on YYYY-MM-DD]
    huizhen fee correct CASE --expert ID|NAME [--amount A] [--paid-on D] --reason TEXT
    huizhen fee list CASE [--json]
    huizhen fee statement --institution CODE --year YEAR [--out DIR] [--json]
    huizhen report year YEAR [--institution CODE] [--out DIR] [--json]
    huizhen retention list [--purged] [--json]
    huizhen retention appraise CASE --approver NAME --note TEXT
    huizhen retention hold CASE --reason TEXT
    huizhen retention release CASE [--reason TEXT]
    huizhen retention purge [CASE...] [--dry-run] [--out DIR] [--json]
    huizhen retention destruction-list BATCH [--out DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from huizhen.cli.common import CaseArg, JsonOpt, actor, done, emit_json, err, get_app, out
from huizhen.labels import FEE_LABELS, REPORT_OUTCOME_LABELS, STATUS_LABELS, disposal_reason
from huizhen.yearly_render import percent, write_destruction_list, write_report, write_statement
from workflow import accounts, reports

fee_app = typer.Typer(no_args_is_help=True, help="Experts' fees (Art. 10: paid by the applicant).")
report_app = typer.Typer(no_args_is_help=True, help="Statistics of the mechanism (the yearly account).")
retention_app = typer.Typer(no_args_is_help=True, help="Retention (Art. 9: five years), appraisal, holds, purge.")

ExpertOpt = Annotated[str, typer.Option("--expert", help="The panel expert: id (E0001) or exact name.")]
OutDir = Annotated[Path | None, typer.Option("--out", help="Folder for the files (default: var/... beside config).")]


# What to do about a reason not to destroy (the domain states the reason; the command to run is the shell's word).
_NEXT_STEP = {
    "under a legal hold": "release it with: huizhen retention release {number}",
    "not appraised": "huizhen retention appraise {number} --approver NAME --note TEXT",
}


def _reason_line(reason: str, number: str) -> str:
    words = disposal_reason(reason)
    step = next((s for prefix, s in _NEXT_STEP.items() if reason.startswith(prefix)), None)
    return f"{words}（{reason}）" + (f" — {step.format(number=number)}" if step else "")


def _default_dir(*parts: str) -> Path:
    return get_app().settings.resolve(Path("var", *parts))


# --- fees -----------------------------------------------------------------------------------------------------------


def _expert_id(case: Any, expert: str) -> str:
    """The panel expert the command meant: the id as typed, or the one of that name."""
    if expert in case.fees:
        return expert
    rows = accounts.list_fees(get_app().services, actor(), case.number)
    return next(r["expert"] for r in rows if r["expert_name"] == expert.strip())


def _fee_line(number: str, expert: str, fee: dict[str, Any]) -> str:
    paid = f"paid on {fee['paid_on']}" if fee.get("paid_on") else "unpaid (未支付)"
    return f"{number}: fee of {expert}: {fee['amount']} {fee['currency']}, {paid}"


@fee_app.command("record")
def fee_record(
    number: CaseArg,
    expert: ExpertOpt,
    amount: Annotated[str, typer.Option("--amount", help="CNY, at most 2 decimals, e.g. 1500.00")],
    paid_on: Annotated[str | None, typer.Option("--paid-on", help="YYYY-MM-DD, when paid")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a panel expert's fee for the case (the applicant's liaison). No bank details are kept."""
    case = accounts.record_fee(get_app().services, actor(), number, expert, amount, paid_on)
    eid = _expert_id(case, expert)
    fee = case.fees[eid]
    if as_json:
        return emit_json({"case": number, "expert": eid, **fee, "version": case.version})
    done(case, _fee_line(number, eid, fee).split(": ", 1)[1] + " recorded")


@fee_app.command("correct")
def fee_correct(
    number: CaseArg,
    expert: ExpertOpt,
    reason: Annotated[str, typer.Option("--reason", help="Why the fee is corrected (kept in the history).")] = "",
    amount: Annotated[str | None, typer.Option("--amount", help="The corrected amount, CNY")] = None,
    paid_on: Annotated[str | None, typer.Option("--paid-on", help="YYYY-MM-DD, when paid")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Correct a recorded fee (amount and/or payment date), with a reason."""
    case = accounts.correct_fee(get_app().services, actor(), number, expert, reason, amount, paid_on)
    eid = _expert_id(case, expert)
    if as_json:
        return emit_json({"case": number, "expert": eid, **case.fees[eid], "version": case.version})
    done(case, _fee_line(number, eid, case.fees[eid]).split(": ", 1)[1] + " corrected")


@fee_app.command("list")
def fee_list(number: CaseArg, as_json: JsonOpt = False) -> None:
    """The experts' fees of one case."""
    rows = accounts.list_fees(get_app().services, actor(), number)
    if as_json:
        return emit_json(rows)
    table = Table("专家 expert", "姓名 name", "金额 amount (CNY)", "支付日期 paid on", "状态 status", "登记 recorded")
    for r in rows:
        table.add_row(r["expert"], r["expert_name"], r["amount"], r["paid_on"] or "—",
                      FEE_LABELS.get(r["status"], r["status"]) + ("（已更正）" if r["corrected"] else ""),
                      r["recorded_on"])
    out.print(table)
    err.print(f"{len(rows)} fee(s)")


@fee_app.command("statement")
def fee_statement(
    institution: Annotated[str, typer.Option("--institution", help="The paying (applicant) institution's code")],
    year: Annotated[int, typer.Option("--year", help="The year the fees were recorded (Beijing time)")],
    out_dir: OutDir = None,
    as_json: JsonOpt = False,
) -> None:
    """One institution's expert fees of one year, written as CSV and XLSX."""
    statement = accounts.fee_statement(get_app().services, actor(), institution, year).to_dict()
    folder = out_dir or _default_dir("statements")
    files = write_statement(statement, folder)
    if as_json:
        return emit_json({**statement, "files": files})
    t = statement["totals"]
    out.print(f"{statement['year']}年 {statement['institution']} {statement['institution_name']}: {t['fees']} 笔, "
              f"合计 {t['total']} 元 (已支付 {t['paid']}, 未支付 {t['unpaid']})")
    sys.stdout.write(files["csv"] + "\n" + files["xlsx"] + "\n")


# --- the yearly report ----------------------------------------------------------------------------------------------


@report_app.command("year")
def report_year(
    year: Annotated[int, typer.Argument(metavar="YEAR")],
    institution: Annotated[str | None, typer.Option("--institution", help="Only cases it applied for or led")] = None,
    out_dir: OutDir = None,
    as_json: JsonOpt = False,
) -> None:
    """The year's figures as Markdown, JSON and PNG charts: cases opened and closed, outcomes, cycle time,
    on-time rates, continued attention, fees."""
    report = reports.yearly_report(get_app().services, actor(), year, institution)
    folder = out_dir or _default_dir("reports")
    full = write_report(report, folder)
    if as_json:
        return emit_json({**full, "out_dir": str(folder)})
    o, c, ct = full["opened"], full["closed"], full["cycle_time"]
    out.print(f"{year}年{'（' + full['institution'] + '）' if full['institution'] else ''}: "
              f"受理 {o['total']} 件, 办结 {c['total']} 件; "
              + ", ".join(f"{REPORT_OUTCOME_LABELS[k]} {v}" for k, v in full["outcomes"].items()))
    out.print(f"周期 中位数 {ct['median_working_days'] if ct['median_working_days'] is not None else '—'} / "
              f"P90 {ct['p90_working_days'] if ct['p90_working_days'] is not None else '—'} 个工作日; "
              + "; ".join(f"{k.upper()} 按时率 {percent(v['rate'])} ({v['met']}/{v['resolved']})"
                          for k, v in full["on_time"].items()))
    files = full["files"]
    for name in [files["markdown"], files["json"], *files["charts"].values()]:
        sys.stdout.write(str(folder / name) + "\n")


# --- retention ------------------------------------------------------------------------------------------------------


@retention_app.command("list")
def retention_list(purged: Annotated[bool, typer.Option("--purged", help="The tombstones of purged cases")] = False,
                   as_json: JsonOpt = False) -> None:
    """Closed cases and when their retention ends (soonest first); nothing is ever deleted automatically."""
    rows = accounts.retention_list(get_app().services, actor(), purged)
    if as_json:
        return emit_json(rows)
    if purged:
        table = Table("案件 case", "产品 product", "办结 closed", "保存至 kept until", "批准人 approver", "销毁 purged",
                      "清单 list")
        for r in rows:
            table.add_row(r["number"], r["product_name"], r["terminal_at"][:10], r["retention_until"], r["approver"],
                          r["purged_at"][:10], r["batch"])
        out.print(table)
        err.print(f"{len(rows)} purged case(s)")
        return
    table = Table("案件 case", "状态 status", "产品 product", "办结 closed", "保存至 kept until", "到期 expired",
                  "鉴定 appraised", "保全 hold", "可销毁 eligible")
    for r in rows:
        table.add_row(r["number"], STATUS_LABELS.get(r["status"], r["status"]), r["product"], r["closed_on"],
                      r["retention_until"], "是" if r["expired"] else "否",
                      f"是（{r['approver']}）" if r["appraised"] else "否",
                      f"是：{r['hold_reason']}" if r["held"] else "否", "是" if r["eligible"] else "否")
    out.print(table)
    err.print(f"{len(rows)} closed case(s); retention {get_app().settings.retention_years} years")


@retention_app.command("appraise")
def retention_appraise(
    number: CaseArg,
    approver: Annotated[str, typer.Option("--approver", help="Who approved the disposal (鉴定批准人)")],
    note: Annotated[str, typer.Option("--note", help="The appraisal's finding")],
) -> None:
    """Record the disposal appraisal (鉴定) of a closed case (admin)."""
    case = accounts.appraise(get_app().services, actor(), number, approver, note)
    done(case, f"disposal appraised, approved by {approver.strip()}")


@retention_app.command("hold")
def retention_hold(number: CaseArg,
                   reason: Annotated[str, typer.Option("--reason", help="Why the records must be kept")] = "") -> None:
    """Put a closed case under a legal hold: it is not destroyed until released (admin)."""
    done(accounts.place_hold(get_app().services, actor(), number, reason), "legal hold placed")


@retention_app.command("release")
def retention_release(number: CaseArg,
                      reason: Annotated[str, typer.Option("--reason", help="Why the hold ends (optional)")] = "") -> None:
    """Release the legal hold of a case (admin)."""
    done(accounts.release_hold(get_app().services, actor(), number, reason), "legal hold released")


@retention_app.command("purge")
def retention_purge(
    numbers: Annotated[list[str] | None, typer.Argument(metavar="[CASE...]",
                                                        help="Only these cases (default: every appraised or "
                                                             "expired closed case)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be destroyed; change nothing")] = False,
    out_dir: OutDir = None,
    as_json: JsonOpt = False,
) -> None:
    """Destroy closed cases whose retention ran out, that are appraised and under no hold; keep a tombstone each
    and write the destruction list (销毁清单) as CSV and PDF. Anything else is refused with its reasons."""
    a = get_app()
    result = accounts.purge(a.services, actor(), numbers or [], dry_run=dry_run)
    files: dict[str, str] = {}
    if result.batch and result.purged:
        rows = accounts.destruction_list(a.services, actor(), result.batch)
        files = write_destruction_list(result.batch, rows, a.settings.members, out_dir or _default_dir("destruction"))
    if as_json:
        emit_json({**result.to_dict(), "files": files})
    else:
        verb = "would purge" if dry_run else "purged"
        for t in result.purged:
            out.print(f"{t['number']}: {verb} — {t['product_name']}, closed {t['terminal_at'][:10]}, kept until "
                      f"{t['retention_until']}, approved by {t['approver']}; tombstone keeps final hash "
                      f"{t['final_event_hash'][:12]}…")
        for t in result.already:
            out.print(f"{t['number']}: already purged on {t['purged_at'][:10]} (destruction list {t['batch']})")
        for r in result.refused:
            err.print(f"{r['number']}: refused — {'; '.join(_reason_line(x, r['number']) for x in r['reasons'])}")
        if not result.purged:
            out.print("retention purge: nothing eligible — no case is closed, past its retention, appraised and "
                      "free of legal holds" + (f" ({len(result.refused)} refused)" if result.refused else ""))
        elif not dry_run:
            out.print(f"destruction list {result.batch}: {len(result.purged)} case(s)")
            for path in files.values():
                sys.stdout.write(path + "\n")
    if numbers and result.refused:
        raise typer.Exit(5)


@retention_app.command("destruction-list")
def retention_destruction_list(batch: Annotated[str, typer.Argument(metavar="BATCH")], out_dir: OutDir = None,
                               as_json: JsonOpt = False) -> None:
    """Draw a destruction list again from its tombstones (e.g. after a crash between the purge and the files)."""
    a = get_app()
    rows = accounts.destruction_list(a.services, actor(), batch)
    files = write_destruction_list(batch, rows, a.settings.members, out_dir or _default_dir("destruction"))
    if as_json:
        return emit_json({"batch": batch, "rows": rows, "files": files})
    out.print(f"destruction list {batch}: {len(rows)} case(s)")
    for path in files.values():
        sys.stdout.write(path + "\n")
