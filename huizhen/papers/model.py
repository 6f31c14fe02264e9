"""The papers as neutral layout, built once from the context dicts; the DOCX and PDF renderers only draw it.

A paper is paragraphs made of spans, and grids of cells (HTML-style: a row lists the cells that start in it,
with colspan/rowspan). Span styles: "" printed text, "fill" a value written into the form, "box" a ☑/☐ glyph,
"h2" an inline sub-heading. The renderers never add words of their own: what one shows, the other shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from huizhen.labels import DEFECT_LABELS, LIKELIHOOD_LABELS, OUTCOME_LABELS, SEVERITY_LABELS, SOURCE_LABELS
from huizhen.papers import printed as P
from states.beijing import BEIJING
from states.rules import derive_conclusions, parse_opinion

CHECKED, UNCHECKED = "☑", "☐"
BOX_RE = re.compile(f"([{CHECKED}{UNCHECKED}])")
SPACE = "　"  # ideographic space: the form's own spacing between boxes


@dataclass(frozen=True)
class Span:
    text: str
    style: str = ""  # "", "fill", "box", "h2"


@dataclass(frozen=True)
class Para:
    spans: tuple[Span, ...]
    align: str = "left"  # left | center | right | justify
    indent: bool = False  # first-line indent of two characters (official-document body)
    kind: str = "p"  # p | h1 (minutes headings) | sig

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)

    @property
    def awaiting(self) -> bool:
        """A blank still to be written in: the renderers leave room for the pen under it."""
        fills = [s for s in self.spans if s.style == "fill"]
        return bool(fills) and not any(s.text for s in fills)


@dataclass
class Cell:
    paras: list[Para]
    colspan: int = 1
    rowspan: int = 1
    kind: str = "value"  # head (section band) | label | group (vertical label) | value | colhead


@dataclass
class Grid:
    widths: list[float]  # relative column widths (mm on an A4 page)
    rows: list[list[Cell]]


def keep_row(row: Sequence[Cell]) -> bool:
    """Keep a row on one page unless it is long (生产者原因): a short row split over two pages reads badly."""
    return sum(len(p.text) for c in row for p in c.paras) < 360


@dataclass
class FormLayout:
    title: str
    header: tuple[Para, Para]  # 召回技术机构 / 时间
    grids: list[Grid]
    signature: list[Para]
    meta: dict[str, str] = field(default_factory=dict)


@dataclass
class MinutesLayout:
    mark: str  # 发文机关标志: issuer + 会议纪要
    number: str  # 发文字号
    title: str
    body: list[Para]
    signer: str
    signed_date: str
    signoff_indents: tuple[float, float]  # right indents (in characters) of the signer and the date lines
    cc: str  # 抄送：A，B，C。
    printed_by: tuple[str, str]  # 印发机关, 印发日期
    draft: bool
    meta: dict[str, str] = field(default_factory=dict)


# ── small helpers ────────────────────────────────────────────────────────────────────────────────────────────────


def spans(*parts: str | Span) -> tuple[Span, ...]:
    """Printed text, with any ☑/☐ split out as box spans."""
    out: list[Span] = []
    for part in parts:
        if isinstance(part, Span):
            if part.text or part.style == "fill":  # an empty fill is a blank still to be written in
                out.append(part)
            continue
        for piece in BOX_RE.split(part):
            if piece:
                out.append(Span(piece, "box" if piece in (CHECKED, UNCHECKED) else ""))
    return tuple(out)


def para(*parts: str | Span, **kw: Any) -> Para:
    return Para(spans(*parts), **kw)


def fill(value: Any) -> Span:
    return Span("" if value is None else str(value), "fill")


def box(checked: bool) -> str:
    return CHECKED if checked else UNCHECKED


def choices(options: Sequence[tuple[str, bool]]) -> str:
    """☑ 是　　☐ 否 — one box per option, as printed."""
    return (SPACE * 2).join(f"{box(on)} {label}" for label, on in options)


def yes_no(value: bool | None) -> str:
    return choices([("是", value is True), ("否", value is False)])


def yes_no_uncertain(value: str | None) -> str:
    return choices([(DEFECT_LABELS[k], value == k) for k in ("yes", "no", "uncertain")])


def _instant(value: str | None) -> datetime | None:
    if not value:
        return None
    when = datetime.fromisoformat(value)
    return when.astimezone(BEIJING) if when.tzinfo else when


def cn_date(value: str | None) -> str:
    """2026-10-14 or an ISO instant → 2026年10月14日 (Beijing time); empty → the form's blank 年 月 日."""
    if not value:
        return P.BLANK_DATE
    when = _instant(value) if "T" in value else None
    d: date = when.date() if when else date.fromisoformat(value)
    return f"{d.year}年{d.month}月{d.day}日"


def cn_datetime(value: str | None) -> str:
    when = _instant(value)
    if when is None:
        return "（未定）"
    return f"{when.year}年{when.month}月{when.day}日{when:%H:%M}（北京时间）"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "；".join(str(v) for v in value if str(v).strip())
    return str(value)


# ── the form ─────────────────────────────────────────────────────────────────────────────────────────────────────


def _conclusions(ctx: Mapping[str, Any]) -> Mapping[str, Any] | None:
    given: Mapping[str, Any] | None = ctx.get("conclusions")
    if given:
        return given
    if ctx.get("opinion"):  # derive, never type: the same rule the case used
        return derive_conclusions(parse_opinion(ctx["opinion"])).to_dict()
    return None


def _answer(op: Mapping[str, Any] | None, key: str) -> tuple[bool | None, str]:
    if not op:
        return None, ""
    item = op.get(key)
    if isinstance(item, bool):
        return item, ""
    item = item or {}
    return item.get("answer"), str(item.get("detail") or "")


def _described(answer: bool | None, detail: str) -> str:
    """The 具体描述/原由 blanks that have no box of their own: 有/无 says what the expert answered."""
    if answer is None:
        return detail
    head = "有" if answer else "无"
    return f"{head}。{detail}" if detail else head


def _product_grid(ctx: Mapping[str, Any]) -> Grid:
    prod: Mapping[str, Any] = ctx.get("product") or {}
    chosen = set(ctx.get("sources") or [])
    provinces: Mapping[str, str] = ctx.get("province_names") or {}  # optional: SH -> 上海市

    def province(code: Any) -> str:
        return provinces.get(str(code), _text(code)) if code else ""

    def label(text: str) -> Cell:
        return Cell([para(text)], kind="label")

    def value(v: Any, colspan: int = 3) -> Cell:
        return Cell([para(fill(_text(v)))], colspan=colspan)

    source_lines = [para(choices([(SOURCE_LABELS[k], k in chosen) for k in line])) for line in P.SOURCE_LINES]
    source_lines.append(para(f"{box('other' in chosen)} {SOURCE_LABELS['other']}{SPACE}", fill(ctx.get("source_other"))))
    rows = [
        [Cell([para(P.PRODUCT_SECTION)], colspan=4, kind="head")],
        [label(P.SOURCES), Cell(source_lines, colspan=3)],
        [label(P.REPORT_NUMBERS), Cell([para(fill(n)) for n in prod.get("report_numbers") or []] or [para()],
                                       colspan=3)],
        [label(P.PRODUCT_NAME), value(prod.get("name"))],
        [label(P.MODEL), value(prod.get("model"), 1), label(P.BRAND), value(prod.get("brand"), 1)],
        [label(P.PRODUCER), value(prod.get("producer"))],
        [label(P.REGISTERED), value(province(prod.get("registered_province")), 1), label(P.PRODUCTION),
         value(province(prod.get("production_province")), 1)],
        [label(P.TEST_BASIS), value(prod.get("test_basis"))],
        [label(P.SUSPECTED_DEFECT), value(prod.get("suspected_defect"))],
    ]
    return Grid([34, 52, 30, 54], rows)


def _expert_grid(ctx: Mapping[str, Any]) -> Grid:
    rows: list[list[Cell]] = [
        [Cell([para(P.EXPERT_SECTION)], colspan=5, kind="head")],
        [Cell([para(c, align="center")], kind="colhead") for c in P.EXPERT_COLUMNS],
    ]
    experts = list(ctx.get("experts") or [])
    for e in experts:
        rows.append([Cell([para(fill(e.get("order")), align="center")])]
                    + [Cell([para(fill(e.get(k)))]) for k in ("name", "field", "employer", "title")])
    for _ in range(max(0, 3 - len(experts))):  # the blank form leaves room to write
        rows.append([Cell([para()]) for _ in P.EXPERT_COLUMNS])
    return Grid([12, 24, 34, 64, 36], rows)


def _question(text: str, answer: bool | None, detail: str) -> list[Para]:
    return [para(text), para(yes_no(answer)), para(P.DETAIL, fill(detail))]


def _consultation_grid(ctx: Mapping[str, Any]) -> Grid:
    op: Mapping[str, Any] | None = ctx.get("opinion")
    concl = _conclusions(ctx)
    injuries: Mapping[str, Any] = (op or {}).get("injury_types") or {}
    causes: Mapping[str, Any] = (op or {}).get("producer_cause") or {}
    severity = (op or {}).get("severity")
    likelihood = (op or {}).get("likelihood")

    def group(text: str, rowspan: int) -> Cell:
        return Cell([para(ch, align="center") for ch in text], rowspan=rowspan, kind="group")

    def label(text: str, rowspan: int = 1) -> Cell:
        return Cell([para(text)], rowspan=rowspan, kind="label")

    injury_paras: list[Para] = []
    for key, text in P.INJURY_TYPES.items():
        described = injuries.get(key)
        injury_paras.append(para(f"{box(bool(described))} {text}"))
        injury_paras.append(para(P.DETAIL, fill(described or "")))

    severity_paras = [para(f"{n}级．{box(severity == n)} {SEVERITY_LABELS[n]}（{P.SEVERITY_NOTES[n]}）")
                      for n in sorted(SEVERITY_LABELS)]
    likelihood_paras = [para(f"{n}级．{box(likelihood == n)} {LIKELIHOOD_LABELS[n]}") for n in P.LIKELIHOOD_ORDER]
    cause_paras: list[Para] = []
    for key, text in P.CAUSES.items():
        cause_paras += [para(text), para(yes_no(None if op is None else bool(causes.get(key))))]

    recall_answer, recall_detail = _answer(op, "similar_recall")
    risk_answer, risk_detail = _answer(op, "public_opinion_risk")
    defect = (concl or {}).get("defect")
    investigate = None if concl is None else bool(concl.get("investigate"))
    attention = None if concl is None else bool(concl.get("attention"))

    rows = [
        [Cell([para(P.CONSULTATION_SECTION)], colspan=3, kind="head")],
        [group(P.SAFETY, 4), label(P.STANDARD), Cell(_question(P.STANDARD_Q, *_answer(op, "standard_noncompliance")))],
        [label(P.NONSTANDARD, 2), Cell(_question(P.NONSTANDARD_1, *_answer(op, "nonstandard_danger")))],
        [Cell(_question(P.NONSTANDARD_2, *_answer(op, "no_standard_danger")))],
        [label(P.INJURY), Cell(injury_paras)],
        [group(P.SAFETY, 2), label(P.SEVERITY), Cell(severity_paras)],
        [label(P.LIKELIHOOD), Cell(likelihood_paras)],
        [group(P.PRODUCER_CAUSE, 1), Cell(cause_paras, colspan=2)],
        [group(P.UNIVERSALITY, 1), Cell([para(P.UNIVERSALITY_Q),
                                         para(yes_no_uncertain((op or {}).get("universality")))], colspan=2)],
        [group(P.OPINION, 3), label(P.DEFECT_RULE),
         Cell([para(P.DEFECT_RULE_TEXT), para(P.DEFECT_Q), para(yes_no_uncertain(defect))])],
        [label(P.INVESTIGATE_RULE),
         Cell([para(P.INVESTIGATE_INTRO)] + [para(c) for c in P.investigate_conditions()]
              + [para(P.SIMILAR_RECALL, fill(_described(recall_answer, recall_detail))),
                 para(P.INVESTIGATE_Q, yes_no(investigate))])],
        [label(P.ATTENTION_RULE),
         Cell([para(P.ATTENTION_INTRO)] + [para(c) for c in P.attention_conditions()]
              + [para(P.ATTENTION_UNCERTAIN), para(P.REASON, fill(_described(risk_answer, risk_detail))),
                 para(P.ATTENTION_Q, yes_no(attention))])],
    ]
    return Grid([12, 30, 128], rows)


def _date_blank(value: str | None) -> Span | str:
    """A date written in, or the printed 年 月 日 left blank."""
    return fill(cn_date(value)) if value else P.BLANK_DATE


def form_layout(ctx: Mapping[str, Any]) -> FormLayout:
    """The 会诊表 of one expert (ctx["opinion"] set) or blank (None): every section of the attachment, in order."""
    expert = ctx.get("expert") or {}
    signed_at = ctx.get("signed_at")
    signer = f"{P.E_SIGNATURE}{expert.get('name', '')}" if signed_at and expert else ""
    return FormLayout(
        title=P.FORM_TITLE,
        header=(para(P.INSTITUTION, fill(ctx.get("institution"))), para(P.DATE, _date_blank(ctx.get("date")))),
        grids=[_product_grid(ctx), _expert_grid(ctx), _consultation_grid(ctx)],
        signature=[para(P.SIGNATURE, fill(signer), kind="sig"),
                   para(P.SIGNATURE_DATE, _date_blank(signed_at), kind="sig")],
        meta={"title": P.FORM_TITLE, "subject": str(ctx.get("case_number") or ""),
              "author": str(ctx.get("institution") or ""), "date": str(signed_at or ctx.get("date") or "")},
    )


# ── the minutes ──────────────────────────────────────────────────────────────────────────────────────────────────


def _h1(n: int, text: str) -> Para:
    return para(f"{P.CHINESE_ORDINALS[n]}、{text}", kind="h1", indent=True)


def _body(*parts: str | Span) -> Para:
    return para(*parts, indent=True, align="justify")


def _yn(value: Any) -> str:
    return "是" if value else "否"


def _counts(votes: Mapping[str, Any] | None, keys: Iterable[str]) -> str:
    votes = votes or {}
    return "，".join(f"{DEFECT_LABELS[k]}{int(votes.get(k) or 0)}票" for k in keys)


def _people(names: Sequence[str]) -> str:
    return "、".join(str(n) for n in names) or "（未指派）"


def _is_absent(e: Mapping[str, Any], absent_names: set[Any]) -> bool:
    return e.get("absent_reason") is not None or e.get("name") in absent_names


def minutes_layout(ctx: Mapping[str, Any]) -> MinutesLayout:
    """The 会议纪要 in the GB/T 9704 manner: mark, number, red line, title, body, signature, 版记 (抄送, 印发)."""
    meeting: Mapping[str, Any] = ctx.get("meeting") or {}
    prod: Mapping[str, Any] = ctx.get("product") or {}
    experts: list[Mapping[str, Any]] = list(ctx.get("experts") or [])
    absent = [dict(a) for a in ctx.get("absent") or []]
    absent_names: set[Any] = {a.get("name") for a in absent}
    for e in experts:  # an expert recorded absent without a reason still shows as absent
        if e.get("absent_reason") is not None and e.get("name") not in absent_names:
            absent.append({"name": e.get("name"), "reason": e.get("absent_reason")})
            absent_names.add(e.get("name"))
    present = [e for e in experts if not _is_absent(e, absent_names)]
    votes: Mapping[str, Any] = ctx.get("votes") or {}
    concl: Mapping[str, Any] = ctx.get("conclusions") or {}
    decision = str(ctx.get("decision") or "")

    body: list[Para] = []
    body.append(_body(f"{cn_datetime(meeting.get('at'))}，", fill(meeting.get("host") or ctx.get("issuer")),
                      "作为轮值牵头机构，以线上方式主持召开长三角缺陷消费品专家会诊会议，对", fill(ctx.get("applicant_name")),
                      "申请会诊的“", fill(prod.get("name")), "”进行会诊。现将会议主要情况纪要如下："))
    n = 0
    body.append(_h1(n, P.MINUTES_PARTS[0]))
    n += 1
    body.append(_body("会议时间：", fill(cn_datetime(meeting.get("at")))))
    body.append(_body("会议形式：线上会议；会议平台：", fill(meeting.get("platform"))))
    if meeting.get("link"):
        body.append(_body("会议链接：", fill(meeting.get("link"))))
    body.append(_body("主持单位：", fill(meeting.get("host") or ctx.get("issuer")), "（轮值牵头机构）"))
    body.append(_body("申请单位：", fill(ctx.get("applicant_name"))))
    body.append(_body("会诊编号：", fill(ctx.get("case_number"))))
    body.append(_body("会诊产品：", fill(prod.get("name")), "；规格/型号：", fill(prod.get("model")), "；品牌/商标：",
                      fill(prod.get("brand")), "；生产者：", fill(prod.get("producer")), "。"))
    if prod.get("suspected_defect"):
        body.append(_body("疑似缺陷：", fill(prod.get("suspected_defect"))))

    body.append(_h1(n, P.MINUTES_PARTS[1]))
    n += 1
    # GB/T 9704 纪要: 出席 (the panel present), 请假 (absent experts; institutions that sent no one), 列席 (the
    # institutions' staff by name, Art. 8(4)).
    body.append(_body(Span(P.ATTENDED, "h2"), fill("、".join(str(e.get("name")) for e in present) or "无")))
    excused = [f"{a.get('name')}（{a.get('reason') or '未说明原因'}）" for a in absent]
    excused += [f"{name}{P.SENT_NO_ONE}" for name in meeting.get("absent_institutions") or []]
    body.append(_body(Span(P.EXCUSED, "h2"), fill("；".join(excused) or "无")))
    sat_in = [f"{a.get('institution')}：{_people(a.get('names') or [])}" for a in meeting.get("attendees") or []]
    body.append(_body(Span(P.SAT_IN, "h2"), fill("；".join(sat_in) or P.NOT_RECORDED)))
    for name in meeting.get("unrecorded_institutions") or []:
        body.append(_body(fill(name), P.UNRECORDED))

    body.append(_h1(n, P.MINUTES_PARTS[2]))
    n += 1
    for i, e in enumerate(present, start=1):
        body.append(_body(f"{i}．", fill(e.get("name")), "，", fill(e.get("employer")), "，", fill(e.get("title"))))
    by_name = {e.get("name"): e for e in experts}
    if not absent:
        body.append(_body("缺席专家：无。"))
    for a in absent:
        e = by_name.get(a.get("name"), {})
        who = "，".join(str(x) for x in (e.get("employer"), e.get("title")) if x)
        where: list[str | Span] = ["（", fill(who), "）"] if who else []
        body.append(_body("缺席专家：", fill(a.get("name")), *where, "，原因：", fill(a.get("reason") or "未说明原因"),
                          "。"))

    body.append(_h1(n, P.MINUTES_PARTS[3]))
    n += 1
    body.append(_body("专家按发言顺序依次发言（会上发言记录）："))
    k = 0
    for e in experts:
        gone = _is_absent(e, absent_names)
        if gone and not e.get("statement"):
            continue
        k += 1
        who = f"（{P.CHINESE_ORDINALS[k - 1] if k <= 10 else k}）{e.get('name')}"
        who += "（未出席会议，书面初步分析意见）" if gone else ""
        body.append(_body(Span(who + "：", "h2"), fill(e.get("statement") or "（无发言记录）")))

    body.append(_h1(n, P.MINUTES_PARTS[4]))
    n += 1
    body.append(_body(fill(ctx.get("summary") or "（无）")))

    body.append(_h1(n, P.MINUTES_PARTS[5]))
    n += 1
    body.append(_body(f"共收到专家会诊表{int(votes.get('forms') or 0)}份。"))
    body.append(_body("是否认定为缺陷消费品：", fill(_counts(votes.get("defect"), ("yes", "no", "uncertain"))), "；"))
    body.append(_body("是否建议开展调查：", fill(_counts(votes.get("investigate"), ("yes", "no"))), "；"))
    body.append(_body("是否建议持续关注：", fill(_counts(votes.get("attention"), ("yes", "no"))), "。"))
    for e in present:
        c = e.get("conclusions")
        if c:
            body.append(_body(fill(e.get("name")), "：认定为缺陷消费品“", fill(DEFECT_LABELS.get(str(c.get("defect")), "")),
                              "”，建议开展调查“", fill(_yn(c.get("investigate"))), "”，建议持续关注“",
                              fill(_yn(c.get("attention"))), "”。"))

    body.append(_h1(n, P.MINUTES_PARTS[6]))
    n += 1
    body.append(_body("按照少数服从多数的原则，专家会诊意见为：", fill(OUTCOME_LABELS.get(decision, decision)), "。"))
    body.append(_body("该批次产品是否认定为缺陷消费品：", fill(DEFECT_LABELS.get(str(concl.get("defect")), "")),
                      "；是否建议开展调查：", fill(_yn(concl.get("investigate"))),
                      "；是否建议持续关注：", fill(_yn(concl.get("attention"))), "。"))

    if ctx.get("decision_text"):
        body.append(_body(fill(ctx.get("decision_text"))))

    body.append(_h1(n, P.MINUTES_PARTS[7]))
    body.append(_body(fill(ctx.get("follow_up"))))
    custodians: Mapping[str, Any] = ctx.get("custodians") or {}
    if custodians:
        body.append(_body(P.CUSTODIANS.format(forms=custodians.get("forms", ""), minutes=custodians.get("minutes", ""))))
    if ctx.get("corrects"):
        body.append(_body(P.CORRECTION_NOTE.format(n=ctx.get("issue_no"), old=ctx.get("corrects"),
                                                   reason=ctx.get("correction_reason") or "")))

    issuer = str(ctx.get("issuer") or "")
    issued = ctx.get("issued_at")
    signed_date = cn_date(issued) if issued else "（未印发）"
    cc = [str(c) for c in ctx.get("cc") or []]
    return MinutesLayout(
        mark=issuer + P.MINUTES_MARK,
        number=_issue_number(ctx),
        title=str(ctx.get("title") or ""),
        body=body,
        signer=issuer,
        signed_date=signed_date,
        signoff_indents=signoff_indents(issuer, signed_date),
        cc=P.CC + "，".join(cc) + "。" if cc else "",
        printed_by=(issuer, (cn_date(issued) + P.PRINTED_BY) if issued else ""),
        draft=bool(ctx.get("draft")),
        meta={"title": str(ctx.get("title") or ""), "subject": str(ctx.get("document_number") or ""),
              "author": issuer, "date": str(issued or "")},
    )


def _issue_number(ctx: Mapping[str, Any]) -> str:
    """发文字号, with the issue (第N号) once there is a correction, and the issue it corrects."""
    number = str(ctx.get("document_number") or "")
    issue = int(ctx.get("issue_no") or 1)
    if issue == 1 and not ctx.get("corrects"):
        return number
    corrects = P.CORRECTS.format(n=ctx.get("corrects")) if ctx.get("corrects") else ""
    return f"{number} {P.ISSUE_NO.format(n=issue)}{corrects}"


def mark_size_pt(mark: str, width_mm: float = 156.0, largest: float = 36.0) -> float:
    """The 发文机关标志 as large as fits on one line of the text width (both renderers use this size)."""
    per_char = width_mm / 25.4 * 72 / max(len(mark), 1)
    return round(min(largest, per_char * 0.96), 1)


def width_em(text: str) -> float:
    """Rough printed width in characters: ASCII (digits of a date) takes half a CJK character."""
    return sum(0.5 if ch.isascii() else 1.0 for ch in text)


def signoff_indents(signer: str, date_text: str) -> tuple[float, float]:
    """GB/T 9704 7.3.5.1: 成文日期右空四字; 发文机关署名 centred over the date (and may run further right)."""
    date_indent = 4.0
    return max(0.0, date_indent + (width_em(date_text) - width_em(signer)) / 2), date_indent
