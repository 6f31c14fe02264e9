"""The yearly account on paper: the report as Markdown + JSON + PNG charts (matplotlib, Agg, a CJK font), the fee
statement as CSV + XLSX (openpyxl), and the destruction list (销毁清单) as CSV + PDF (WeasyPrint, like the papers).

Files are written under a temporary name and renamed, so a crash never leaves a half-written file under the final
name.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from loguru import logger

from huizhen.cells import md, safe_cell
from huizhen.labels import FEE_LABELS, OUTCOME_LABELS, REPORT_OUTCOME_LABELS, STATUS_LABELS
from huizhen.papers import atomic_write

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Source Han Sans SC",
                "Source Han Sans CN", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei")
CHART_NAMES = ("outcomes", "institutions", "cycle_time", "on_time", "attention", "fees")


def _write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


# --- fonts for the charts ----------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def cjk_family() -> str | None:
    """The first CJK sans-serif family matplotlib knows (after asking fontconfig for the files); None warns once."""
    from matplotlib import font_manager as fm

    known = {f.name for f in fm.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known:
            return family
    from huizhen.papers import fonts

    if fonts.installed_families() is not None:
        import shutil
        import subprocess

        exe = shutil.which("fc-list")
        if exe:
            done = subprocess.run([exe, ":lang=zh", "file"], capture_output=True, text=True, check=False, timeout=30)
            for line in done.stdout.splitlines():
                path = line.split(":", 1)[0].strip()
                if path:
                    try:
                        fm.fontManager.addfont(path)
                    except Exception:  # a font file matplotlib cannot read: try the next one
                        continue
            known = {f.name for f in fm.fontManager.ttflist}
            for family in CJK_FAMILIES:
                if family in known:
                    return family
    logger.warning("charts: no CJK font found (install fonts-noto-cjk); Chinese labels will show as boxes")
    return None


def _rc() -> dict[str, Any]:
    family = cjk_family()
    return {
        "font.family": "sans-serif",
        "font.sans-serif": ([family] if family else []) + ["DejaVu Sans"],
        "axes.unicode_minus": False,
        "figure.dpi": 100,
        "savefig.dpi": 120,
    }


def _chart(path: Path, draw: Callable[[Any], None], size: tuple[float, float] = (8, 4.5)) -> Path:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=size)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        draw(ax)
        fig.tight_layout()
        atomic_write(path, lambda p: fig.savefig(p, format="png"))
    return path


def _no_data(ax: Any) -> None:
    ax.text(0.5, 0.5, "本年度无数据 (no data)", ha="center", va="center", transform=ax.transAxes, fontsize=14)
    ax.set_xticks([])
    ax.set_yticks([])


def _label_bars(ax: Any, bars: Any, fmt: Callable[[float], str] = lambda v: f"{v:g}") -> None:
    for bar in bars:
        h = bar.get_height()
        ax.annotate(fmt(h), (bar.get_x() + bar.get_width() / 2, h), ha="center", va="bottom", fontsize=9,
                    xytext=(0, 2), textcoords="offset points")


def draw_charts(report: Mapping[str, Any], out_dir: Path, stem: str) -> dict[str, str]:
    """One PNG per figure that has a chart; returns {chart name: file name}."""
    year = report["year"]
    scope = f"（{report['institution']}）" if report.get("institution") else ""
    members = list(report["members"])
    files: dict[str, str] = {}

    def outcomes(ax: Any) -> None:
        keys = list(REPORT_OUTCOME_LABELS)
        values = [report["outcomes"][k] for k in keys]
        bars = ax.bar([REPORT_OUTCOME_LABELS[k] for k in keys], values, color=["#c0392b", "#2980b9", "#f39c12",
                                                                             "#7f8c8d"])
        _label_bars(ax, bars)
        ax.set_title(f"{year}年会诊结论{scope}")
        ax.set_ylabel("案件数")
        ax.yaxis.get_major_locator().set_params(integer=True)

    def institutions(ax: Any) -> None:
        import numpy as np

        series = [("受理（申请机构）", report["opened"]["by_applicant"]), ("受理（牵头机构）", report["opened"]["by_lead"]),
                  ("办结（申请机构）", report["closed"]["by_applicant"]), ("办结（牵头机构）", report["closed"]["by_lead"])]
        x = np.arange(len(members))
        width = 0.2
        for i, (label, data) in enumerate(series):
            bars = ax.bar(x + (i - 1.5) * width, [data.get(m, 0) for m in members], width, label=label)
            _label_bars(ax, bars)
        ax.set_xticks(x, members)
        ax.set_title(f"{year}年各机构受理与办结案件{scope}")
        ax.set_ylabel("案件数")
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.legend()

    def cycle_time(ax: Any) -> None:
        ct = report["cycle_time"]
        values = ct["values"]
        if not values:
            return _no_data(ax)
        lo, hi = min(values), max(values)
        ax.hist(values, bins=range(lo, hi + 2), color="#2980b9", edgecolor="white", align="left")
        ax.axvline(ct["median_working_days"], color="#27ae60", linestyle="--",
                   label=f"中位数 {ct['median_working_days']:g} 个工作日")
        ax.axvline(ct["p90_working_days"], color="#c0392b", linestyle=":",
                   label=f"第90百分位 {ct['p90_working_days']:g} 个工作日")
        ax.set_title(f"{year}年从申请到形成意见的周期（工作日）{scope}")
        ax.set_xlabel("工作日")
        ax.set_ylabel("案件数")
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.legend()

    def on_time(ax: Any) -> None:
        labels = {"t1": "T1 专家初步分析", "t2": "T2 组织会诊"}
        data = report["on_time"]
        if not any(data[k]["resolved"] for k in labels):
            return _no_data(ax)
        rates = [(data[k]["rate"] or 0) * 100 for k in labels]
        bars = ax.bar(list(labels.values()), rates, color=["#27ae60", "#8e44ad"])
        for bar, k in zip(bars, labels, strict=True):
            d = data[k]
            ax.annotate(f"{bar.get_height():.1f}%（{d['met']}/{d['resolved']}）",
                        (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom",
                        xytext=(0, 2), textcoords="offset points")
        ax.set_ylim(0, 110)
        ax.set_title(f"{year}年期限按时完成率{scope}")
        ax.set_ylabel("按时率（%）")

    def attention(ax: Any) -> None:
        cases = report["continued_attention"]["cases"]
        if not cases:
            return _no_data(ax)
        names = [c["number"] for c in cases]
        ages = [c["tracking_age_working_days"] for c in cases]
        bars = ax.barh(names, ages, color="#f39c12")
        for bar in bars:
            ax.annotate(f"{bar.get_width():g}", (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                        va="center", xytext=(3, 0), textcoords="offset points")
        ax.invert_yaxis()
        ax.set_title(f"持续关注案件的跟踪时长（截至 {report['as_of'][:10]}）{scope}")
        ax.set_xlabel("工作日")

    def fees(ax: Any) -> None:
        by = report["fees"]["by_institution"]
        codes = [c for c in members if c in by] + [c for c in by if c not in members]
        if not any(by[c]["fees"] for c in codes):
            return _no_data(ax)
        paid = [float(by[c]["paid"]) for c in codes]
        unpaid = [float(by[c]["unpaid"]) for c in codes]
        ax.bar(codes, paid, label="已支付", color="#27ae60")
        bars = ax.bar(codes, unpaid, bottom=paid, label="未支付", color="#e67e22")
        for bar, c in zip(bars, codes, strict=True):
            ax.annotate(f"{by[c]['total']}", (bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height()),
                        ha="center", va="bottom", xytext=(0, 2), textcoords="offset points")
        ax.set_title(f"{year}年专家费用（按申请机构，元）{scope}")
        ax.set_ylabel("金额（元）")
        ax.legend()

    draws: dict[str, tuple[Callable[[Any], None], tuple[float, float]]] = {
        "outcomes": (outcomes, (8, 4.5)), "institutions": (institutions, (9, 4.8)),
        "cycle_time": (cycle_time, (8, 4.5)), "on_time": (on_time, (7, 4.5)),
        "attention": (attention, (8, max(3.0, 1.2 + 0.45 * len(report["continued_attention"]["cases"])))),
        "fees": (fees, (8, 4.5)),
    }
    for name in CHART_NAMES:
        draw, size = draws[name]
        file = f"{stem}-{name}.png"
        _chart(out_dir / file, draw, size)
        files[name] = file
    return files


# --- the report as Markdown --------------------------------------------------------------------------------------


def _num(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def percent(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def markdown(report: Mapping[str, Any], charts: Mapping[str, str]) -> str:
    members: Mapping[str, str] = report["members"]
    year = report["year"]
    scope = report.get("institution")
    title = f"# {year}年度长三角缺陷消费品专家会诊工作统计" + (f"（{scope} 为申请或牵头机构的案件）" if scope else "")
    lines = [title, "", f"统计截至 (as of): {report['as_of']} · 生成于 (generated): {report['generated_at']}", ""]

    lines += ["## 受理与办结 (opened and closed)", "",
              "| 机构 institution | 受理·申请 opened as applicant | 受理·牵头 opened as lead | 办结·申请 closed as applicant | 办结·牵头 closed as lead |",
              "|---|---:|---:|---:|---:|"]
    for code, name in members.items():
        lines.append(f"| {code} {name} | {report['opened']['by_applicant'].get(code, 0)} | "
                     f"{report['opened']['by_lead'].get(code, 0)} | {report['closed']['by_applicant'].get(code, 0)} | "
                     f"{report['closed']['by_lead'].get(code, 0)} |")
    lines.append(f"| 合计 total | {report['opened']['total']} | {report['opened']['total']} | "
                 f"{report['closed']['total']} | {report['closed']['total']} |")
    lines += ["", f"受理 opened: {report['opened']['total']} · 办结 closed: {report['closed']['total']} "
              f"(归档 archived {report['closed']['archived']}, 撤回 withdrawn {report['closed']['withdrawn']})", "",
              f"![各机构受理与办结]({charts.get('institutions', '')})", ""]

    lines += ["## 会诊结论 (outcomes)", "", "| 结论 outcome | 案件数 cases |", "|---|---:|"]
    for key, label in REPORT_OUTCOME_LABELS.items():
        lines.append(f"| {label} ({key}) | {report['outcomes'][key]} |")
    lines += ["", f"![会诊结论]({charts.get('outcomes', '')})", ""]

    ct = report["cycle_time"]
    lines += ["## 办理周期 (cycle time, working days from submission to decision)", "",
              f"- 案件数 cases: {ct['cases']}",
              f"- 中位数 median: {_num(ct['median_working_days'])} 个工作日",
              f"- 第90百分位 p90 (nearest rank): {_num(ct['p90_working_days'])} 个工作日",
              f"- 各案 values: {', '.join(str(v) for v in ct['values']) or '—'}", "",
              f"![办理周期]({charts.get('cycle_time', '')})", ""]

    lines += ["## 期限按时率 (on-time rate)", "",
              "| 期限 deadline | 按时 met | 超期 missed | 已结 resolved | 按时率 rate | 年末仍超期 open overdue |",
              "|---|---:|---:|---:|---:|---:|"]
    for key, label in (("t1", "T1 专家初步分析"), ("t2", "T2 组织会诊")):
        d = report["on_time"][key]
        lines.append(f"| {label} | {d['met']} | {d['missed']} | {d['resolved']} | {percent(d['rate'])} | "
                     f"{d['open_overdue']} |")
    lines += ["", f"![期限按时率]({charts.get('on_time', '')})", ""]

    ca = report["continued_attention"]
    lines += ["## 持续关注 (continued attention)", "", f"持续关注中的案件 cases: {ca['count']}", ""]
    if ca["cases"]:
        lines += ["| 案件 case | 申请 applicant | 牵头 lead | 产品 product | 形成意见 decided | 跟踪工作日 tracking age | 跟踪记录 notes |",
                  "|---|---|---|---|---|---:|---:|"]
        for c in ca["cases"]:
            lines.append(f"| {c['number']} | {c['applicant']} | {c['lead'] or ''} | {md(c['product'])} | "
                         f"{c['decided_on']} | {c['tracking_age_working_days']} | {c['tracking_notes']} |")
        lines.append("")
    lines += [f"![持续关注跟踪时长]({charts.get('attention', '')})", ""]

    fees = report["fees"]
    lines += ["## 专家费用 (expert fees, CNY, paid by the applicant)", "",
              "| 机构 institution | 笔数 fees | 合计 total | 已支付 paid | 未支付 unpaid |", "|---|---:|---:|---:|---:|"]
    for code, f in fees["by_institution"].items():
        lines.append(f"| {code} {members.get(code, '')} | {f['fees']} | {f['total']} | {f['paid']} | {f['unpaid']} |")
    lines += [f"| 合计 total | {sum(f['fees'] for f in fees['by_institution'].values())} | {fees['total']} | "
              f"{fees['paid']} | {fees['unpaid']} |", "", f"![专家费用]({charts.get('fees', '')})", ""]

    lines += ["## 口径 (definitions)", ""]
    lines += [f"- **{k}**: {v}" for k, v in report["definitions"].items()]
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """DIR/report-YEAR[-CODE].md, .json and one PNG per chart; returns the report with its `files`."""
    stem = f"report-{report['year']}" + (f"-{report['institution']}" if report.get("institution") else "")
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = draw_charts(report, out_dir, stem)
    full = dict(report)
    full["files"] = {"markdown": f"{stem}.md", "json": f"{stem}.json", "charts": charts}
    _write_text(out_dir / f"{stem}.md", markdown(full, charts))
    _write_text(out_dir / f"{stem}.json", json.dumps(full, ensure_ascii=False, indent=2) + "\n")
    return full


# --- the fee statement -------------------------------------------------------------------------------------------

STATEMENT_COLUMNS = ("case", "product", "lead", "expert", "expert_name", "amount", "currency", "paid_on", "status",
                     "recorded_on", "corrected")
STATEMENT_LABELS = ("案件编号", "产品名称", "牵头机构", "专家编号", "专家姓名", "金额", "币种", "支付日期", "支付状态",
                    "登记日期", "已更正")


def _csv(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if r.get(c) is None else safe_cell(r.get(c)) for c in columns])
    return buf.getvalue()


def write_statement(statement: Mapping[str, Any], out_dir: Path) -> dict[str, str]:
    """fees-CODE-YEAR.csv (machine-readable, English keys; UTF-8 with BOM for spreadsheet programs) and .xlsx."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    stem = f"fees-{statement['institution']}-{statement['year']}"
    rows = statement["rows"]
    totals = statement["totals"]
    csv_path = out_dir / f"{stem}.csv"
    atomic_write(csv_path, lambda p: p.write_text(_csv(STATEMENT_COLUMNS, rows), encoding="utf-8-sig"))

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "费用明细"
    ws.append([f"{statement['year']}年度专家费用明细 — {statement['institution']} {statement['institution_name']}"])
    ws["A1"].font = Font(bold=True)
    ws.append(list(STATEMENT_LABELS))
    ws.append(list(STATEMENT_COLUMNS))
    for r in rows:
        values: list[Any] = []
        for c in STATEMENT_COLUMNS:
            v = r.get(c)
            if c == "amount":
                v = float(v)
            elif c == "status":
                v = FEE_LABELS.get(v, v)
            elif c == "corrected":
                v = "是" if v else "否"
            values.append(safe_cell(v))
        ws.append(values)
        ws.cell(row=ws.max_row, column=STATEMENT_COLUMNS.index("amount") + 1).number_format = "#,##0.00"
    ws.append([])
    for label, key in (("合计 total", "total"), ("已支付 paid", "paid"), ("未支付 unpaid", "unpaid")):
        ws.append([label, None, None, None, None, float(totals[key]), "CNY"])
        ws.cell(row=ws.max_row, column=6).number_format = "#,##0.00"
    for col, width in zip("ABCDEFGHIJK", (16, 24, 8, 10, 10, 12, 6, 12, 10, 12, 8), strict=True):
        ws.column_dimensions[col].width = width
    xlsx_path = out_dir / f"{stem}.xlsx"
    atomic_write(xlsx_path, lambda p: wb.save(p))
    return {"csv": str(csv_path), "xlsx": str(xlsx_path)}


# --- the destruction list (销毁清单) ----------------------------------------------------------------------------

DESTRUCTION_COLUMNS = ("number", "product_name", "product_model", "applicant", "lead", "status", "outcome",
                       "opened_at", "terminal_at", "retention_until", "approver", "appraised_at", "purged_at",
                       "purged_by", "events", "materials", "final_event_hash")


def _day(iso: Any) -> str:
    return str(iso)[:10] if iso else ""


def destruction_html(batch: str, rows: Sequence[Mapping[str, Any]], members: Mapping[str, str]) -> str:
    from huizhen.papers.pdf_render import html_page

    items = []
    for i, r in enumerate(rows, start=1):
        outcome = r.get("outcome")
        items.append({
            "order": i, "number": r["number"], "product": f"{r['product_name']} {r['product_model']}".strip(),
            "applicant": members.get(r["applicant"], r["applicant"]), "opened": _day(r["opened_at"]),
            "closed": _day(r["terminal_at"]), "retention_until": r["retention_until"],
            "outcome": OUTCOME_LABELS.get(outcome, "") if outcome else STATUS_LABELS.get(r["status"], r["status"]),
            "approver": r["approver"], "purged": _day(r["purged_at"]), "hash": r["final_event_hash"],
        })
    return html_page("destruction.html.j2", batch=batch, items=items,
                     purged_by=rows[0]["purged_by"] if rows else "")


def write_destruction_list(batch: str, rows: Sequence[Mapping[str, Any]], members: Mapping[str, str],
                           out_dir: Path) -> dict[str, str]:
    """destruction-list-BATCH.csv and .pdf, drawn from the tombstones of one purge."""
    from huizhen.papers.pdf_render import write_pdf

    stem = f"destruction-list-{batch}"
    csv_path = atomic_write(out_dir / f"{stem}.csv",
                       lambda p: p.write_text(_csv(DESTRUCTION_COLUMNS, rows), encoding="utf-8-sig"))
    html = destruction_html(batch, rows, members)
    def signed_pdf(part: Path) -> None:
        from huizhen.signing import sign_file

        write_pdf(html, part)
        # Signed by each institution whose cases the list destroys (one signature after another).
        for code in sorted({str(r["applicant"]) for r in rows}):
            sign_file(part, code)

    pdf_path = atomic_write(out_dir / f"{stem}.pdf", signed_pdf)
    return {"csv": str(csv_path), "pdf": str(pdf_path)}
