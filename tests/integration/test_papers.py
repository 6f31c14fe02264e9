"""The 会诊表 and 会议纪要 as DOCX and PDF: every value of the context is on the paper, in both formats.

No database: the contexts are built here in the shape `workflow.documents` gives them. Page 1 of each PDF is
rendered to PNG under artifacts/papers/ for a person to look at.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from huizhen.papers import PaperError, render_form, render_minutes
from huizhen.papers import printed as P
from states.status import LIKELIHOOD_LABELS, OUTCOME_LABELS, SEVERITY_LABELS, SOURCE_LABELS

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "papers"

PRODUCT = {
    "name": "儿童电动平衡车",
    "model": "PH-360 Kids",
    "brand": "飞轮侠",
    "producer": "苏州飞轮侠智能科技有限公司",
    "test_basis": "GB 6675.2-2014《玩具安全 第2部分：机械与物理性能》",
    "report_numbers": ["SH-JC-2026-0412", "SH-FX-2026-0077"],
    "suspected_defect": "电池仓紧固件强度不足，跌落后可接触带电部件并有过热起火风险",
    "registered_province": "SH",
    "production_province": "JS",
}
PROVINCES = {"SH": "上海市", "JS": "江苏省", "ZJ": "浙江省", "AH": "安徽省"}
EXPERTS = [
    {"order": 1, "id": "E0001", "name": "王建国", "field": "机械安全", "employer": "同济大学机械与能源工程学院",
     "title": "教授"},
    {"order": 2, "id": "E0002", "name": "陈晓梅", "field": "电气安全", "employer": "江苏省产品质量监督检验研究院",
     "title": "高级工程师"},
    {"order": 3, "id": "E0003", "name": "刘志远", "field": "儿童用品", "employer": "浙江省标准化研究院",
     "title": "研究员"},
]


def opinion(*, universality: str = "yes", severity: int = 3, likelihood: int = 4) -> dict[str, Any]:
    return {
        "standard_noncompliance": {"answer": True, "detail": "电池仓螺钉扭矩不符合GB 6675.2第4.10条"},
        "nonstandard_danger": {"answer": False, "detail": ""},
        "no_standard_danger": {"answer": True, "detail": "锂电池热失控无专门条款"},
        "injury_types": {"physical": "烧伤、电击", "chemical": None, "biological": None},
        "severity": severity,
        "likelihood": likelihood,
        "producer_cause": {"design": True, "manufacturing": False, "warning": True},
        "universality": universality,
        "similar_recall": {"answer": True, "detail": "2025年欧盟Safety Gate通报同款平衡车召回"},
        "public_opinion_risk": {"answer": True, "detail": "短视频平台已有起火视频传播"},
    }


def form_ctx(op: dict[str, Any] | None, conclusions: dict[str, Any] | None) -> dict[str, Any]:
    signed = op is not None
    return {
        "institution": "上海市缺陷消费品召回技术机构",
        "date": "2026-10-14" if signed else "",
        "case_number": "YRD-2026-0001",
        "sources": ["spot_check", "injury_monitoring", "other"],
        "source_other": "消费者投诉",
        "product": dict(PRODUCT),
        "experts": [dict(e) for e in EXPERTS],
        "expert": {"id": "E0001", "name": "王建国"} if signed else None,
        "opinion": op,
        "conclusions": conclusions,
        "signed_at": "2026-10-14T15:00:00+08:00" if signed else None,
        "province_names": PROVINCES,
    }


def minutes_ctx() -> dict[str, Any]:
    return {
        "draft": False,
        "title": "长三角缺陷消费品专家会诊会议纪要",
        "document_number": "长三角会诊纪要〔2026〕1号",
        "issuer": "江苏省缺陷消费品召回技术机构",
        "case_number": "YRD-2026-0001",
        "product": dict(PRODUCT),
        "applicant_name": "上海市缺陷消费品召回技术机构",
        "meeting": {
            "at": "2026-10-14T14:00:00+08:00",
            "platform": "腾讯会议",
            "link": "https://meeting.example/123",
            "host": "江苏省缺陷消费品召回技术机构",
            "attendees": [
                {"institution": "上海市缺陷消费品召回技术机构", "names": ["张三", "李四"]},
                {"institution": "江苏省缺陷消费品召回技术机构", "names": ["周敏"]},
                {"institution": "浙江省缺陷消费品召回技术机构", "names": ["吴昊", "郑洁"]},
                {"institution": "安徽省缺陷消费品召回技术机构", "names": ["孙磊"]},
            ],
        },
        "experts": [
            {"order": 1, "name": "王建国", "employer": EXPERTS[0]["employer"], "title": "教授",
             "statement": "电池仓紧固件扭矩仅为标准值的六成，跌落试验后可触及带电部件，属于标准符合性问题。",
             "conclusions": {"defect": "yes", "investigate": True, "attention": False}, "absent_reason": None},
            {"order": 2, "name": "陈晓梅", "employer": EXPERTS[1]["employer"], "title": "高级工程师",
             "statement": "热失控试验显示电芯无隔热防护，同批次产品均采用同一结构，问题具有普遍性。",
             "conclusions": {"defect": "yes", "investigate": True, "attention": False}, "absent_reason": None},
            {"order": 3, "name": "刘志远", "employer": EXPERTS[2]["employer"], "title": "研究员",
             "statement": "现有伤害数据有限，普遍性尚不能确定，建议结合市场抽样进一步核实。",
             "conclusions": {"defect": "uncertain", "investigate": False, "attention": True}, "absent_reason": None},
            {"order": 4, "name": "赵一鸣", "employer": "安徽省产品质量监督检验研究院", "title": "工程师",
             "statement": "", "conclusions": None, "absent_reason": "出差在外，未能参会"},
        ],
        "absent": [{"name": "赵一鸣", "reason": "出差在外，未能参会"}],
        "votes": {"forms": 3, "defect": {"yes": 2, "no": 0, "uncertain": 1}, "investigate": {"yes": 2, "no": 1},
                  "attention": {"yes": 1, "no": 2}},
        "decision": "investigate",
        "conclusions": {"defect": "yes", "investigate": True, "attention": False},
        "follow_up": "由上海市缺陷消费品召回技术机构按程序报请开展缺陷调查。",
        "cc": ["上海市缺陷消费品召回技术机构", "浙江省缺陷消费品召回技术机构", "安徽省缺陷消费品召回技术机构"],
        "issued_at": "2026-10-15T10:00:00+08:00",
    }


# ── reading the papers back ──────────────────────────────────────────────────────────────────────────────────────


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def docx_text(path: Path) -> str:
    """Every paragraph, then every table cell once (python-docx repeats a merged cell in each grid slot)."""
    import docx
    from docx.oxml.ns import qn
    from docx.table import _Cell

    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        for tc in table._tbl.iter(qn("w:tc")):
            parts.extend(p.text for p in _Cell(tc, table).paragraphs)
    for section in d.sections:
        parts.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(parts)


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def render_both(fn: Any, ctx: dict[str, Any], tmp_path: Path, stem: str) -> dict[str, str]:
    texts = {}
    for suffix, read in ((".docx", docx_text), (".pdf", pdf_text)):
        out = fn(ctx, tmp_path / f"{stem}{suffix}")
        assert out == tmp_path / f"{stem}{suffix}" and out.stat().st_size > 5_000
        texts[suffix] = _squash(read(out))
    snapshot(tmp_path / f"{stem}.pdf", stem)
    return texts


def snapshot(pdf: Path, stem: str) -> None:
    """Page 1 as PNG in artifacts/papers/, for a person to look at (git-ignored)."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        pytest.fail("pdftoppm not found: apt-get install -y poppler-utils")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    prefix = ARTIFACTS / stem
    subprocess.run([exe, "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(prefix)],
                   check=True, timeout=60)
    png = prefix.with_suffix(".png")
    assert png.exists() and png.stat().st_size > 10_000, png


def assert_all(text: str, values: list[str], where: str) -> None:
    missing = [v for v in values if _squash(v) not in text]
    assert not missing, f"{where}: not on the paper: {missing}"


def product_values() -> list[str]:
    return [PRODUCT[k] for k in ("name", "model", "brand", "producer", "test_basis", "suspected_defect")] + [
        "生产者注册地上海市", "实际生产地江苏省", *PRODUCT["report_numbers"]]


def expert_values() -> list[str]:
    return [e[k] for e in EXPERTS for k in ("name", "field", "employer", "title")]


def section_titles() -> list[str]:
    return [P.FORM_TITLE, P.PRODUCT_SECTION, P.SOURCES, P.REPORT_NUMBERS, P.EXPERT_SECTION, *P.EXPERT_COLUMNS,
            P.CONSULTATION_SECTION, P.STANDARD, P.NONSTANDARD, P.INJURY, P.SEVERITY, P.LIKELIHOOD,
            P.DEFECT_RULE, P.INVESTIGATE_RULE, P.ATTENTION_RULE, P.SIGNATURE, P.SIGNATURE_DATE,
            "不符合国家标准、行业标准中保障人身、财产安全要求的情形", "（如：生物性感染、生物性中毒、其他）",
            "设计原因", "制造原因：由于“人员（操作者对质量的认识", "警示原因",
            "存在于同一批次、类别或型号", "则判定为缺陷消费品", "国内外有同款产品类似问题进行召回的",
            "可能引发较大舆情关注时"]


# ── the form ─────────────────────────────────────────────────────────────────────────────────────────────────────


def test_rule_conditions_print_as_on_the_attachment() -> None:
    assert P.investigate_conditions()[0] == "1．“伤害的严重程度”勾选1级，“伤害发生的可能性”勾选8级或7级或6级；"
    assert P.investigate_conditions()[3] == ("4．“伤害的严重程度”勾选4级，“伤害发生的可能性”勾选8级或7级或6级或5级或4级或3级"
                                             "或2级；")
    assert P.attention_conditions()[0] == "（1）“伤害的严重程度”勾选1级，“伤害发生的可能性”勾选5级或4级或3级或2级或1级；"
    assert P.attention_conditions()[3] == "（4）“伤害的严重程度”勾选4级，“伤害发生的可能性”勾选1级。"
    assert P.REPORT_NUMBERS == "检测报告、缺陷技术分析报告、伤害调查报告、研究报告编号"


def test_form_with_a_defect_opinion(tmp_path: Path) -> None:
    ctx = form_ctx(opinion(), {"defect": "yes", "investigate": True, "attention": False})
    for fmt, text in render_both(render_form, ctx, tmp_path, "form-defect-yes").items():
        where = f"form {fmt}"
        assert_all(text, section_titles() + product_values() + expert_values(), where)
        assert_all(text, ["上海市缺陷消费品召回技术机构", "2026年10月14日", "（电子签名）王建国"], where)
        # 信息来源: the chosen boxes ticked, the others not, 其他 with its text
        for key, label in SOURCE_LABELS.items():
            assert ("☑" if key in ctx["sources"] else "☐") + label in text, (where, label)
        assert "消费者投诉" in text
        # severity 3 (严重) and likelihood 4 ticked; every other level empty
        for n, name in SEVERITY_LABELS.items():
            assert f"{n}级．{'☑' if n == 3 else '☐'}{name}（{P.SEVERITY_NOTES[n][:6]}" in text, (where, n)
        for n, label in LIKELIHOOD_LABELS.items():
            assert f"{n}级．{'☑' if n == 4 else '☐'}{_squash(label)}" in text, (where, n)
        # yes/no questions with their details
        assert _squash(P.STANDARD_Q) + "☑是☐否" + "具体描述：电池仓螺钉扭矩不符合GB6675.2第4.10条" in text, where
        assert "不合理危险：☐是☑否" in text, where
        assert "不合理危险的情形：☑是☐否具体描述：锂电池热失控无专门条款" in text, where
        assert "☑1．物理性质伤害" in text and "具体描述：烧伤、电击" in text, where
        assert "☐2．化学性质伤害" in text and "☐3．生物性质伤害" in text, where
        assert "的安全问题：☑是☐否2．制造原因" in text, where  # design yes
        assert "导致的安全问题：☐是☑否3．警示原因" in text, where  # manufacturing no
        assert "所有消费品存在同一性问题的状态：☑是☐否☐不确定" in text, where
        # the conclusions the rules derived
        assert "是否认定为缺陷消费品：☑是☐否☐不确定" in text, where
        assert "是否建议开展调查：☑是☐否" in text, where
        assert "是否建议持续关注：☐是☑否" in text, where
        assert "具体描述：有。2025年欧盟SafetyGate通报同款平衡车召回" in text, where
        assert "原由：有。短视频平台已有起火视频传播" in text, where
        # sources 3, safety questions 3, injury 1, severity 1, likelihood 1, causes 3, universality 1, conclusions 3
        assert text.count("☑") == 16, where


def test_form_with_an_uncertain_defect_derives_conclusions_when_absent(tmp_path: Path) -> None:
    # conclusions None: the paper derives them with the same rules (uncertain universality, opinion risk)
    ctx = form_ctx(opinion(universality="uncertain", severity=1, likelihood=2), None)
    for fmt, text in render_both(render_form, ctx, tmp_path, "form-defect-uncertain").items():
        where = f"form {fmt}"
        assert "1级．☑微弱" in text and "3级．☐严重" in text, where
        assert "2级．☑不会发生" in text, where
        assert "所有消费品存在同一性问题的状态：☐是☐否☑不确定" in text, where
        assert "是否认定为缺陷消费品：☐是☐否☑不确定" in text, where
        assert "是否建议开展调查：☑是☐否" in text, where  # similar recall (condition 5)
        assert "是否建议持续关注：☑是☐否" in text, where  # matrix (1)(1) and opinion risk
        assert_all(text, ["（电子签名）王建国", "2026年10月14日"], where)


def test_blank_form_has_every_box_empty(tmp_path: Path) -> None:
    ctx = form_ctx(None, None)
    ctx["sources"], ctx["source_other"] = [], ""
    boxes = 7 + 2 * 3 + 3 + 4 + 8 + 2 * 3 + 3 + 3 + 2 + 2
    for fmt, text in render_both(render_form, ctx, tmp_path, "form-blank").items():
        where = f"form {fmt}"
        assert "☑" not in text, where
        assert text.count("☐") == boxes, where
        assert_all(text, section_titles() + product_values() + expert_values(), where)
        assert "（电子签名）" not in text and "时间：年月日" in text and "日期：年月日" in text, where


def test_empty_context_still_renders(tmp_path: Path) -> None:
    for suffix in (".docx", ".pdf"):
        out = render_form({}, tmp_path / f"empty{suffix}")
        assert out.stat().st_size > 5_000


# ── the minutes ──────────────────────────────────────────────────────────────────────────────────────────────────


def test_minutes(tmp_path: Path) -> None:
    ctx = minutes_ctx()
    for fmt, text in render_both(render_minutes, ctx, tmp_path, "minutes").items():
        where = f"minutes {fmt}"
        values = [ctx["title"], ctx["document_number"], ctx["issuer"] + "会议纪要", "腾讯会议",
                  "https://meeting.example/123", "2026年10月14日14:00", ctx["applicant_name"], ctx["follow_up"],
                  PRODUCT["name"], PRODUCT["model"], PRODUCT["brand"], PRODUCT["producer"], "YRD-2026-0001",
                  "2026年10月15日", OUTCOME_LABELS["investigate"],
                  "缺席专家：赵一鸣（安徽省产品质量监督检验研究院，工程师），原因：出差在外，未能参会",
                  "抄送：上海市缺陷消费品召回技术机构，浙江省缺陷消费品召回技术机构，安徽省缺陷消费品召回技术机构。",
                  "是否认定为缺陷消费品：是2票，否0票，不确定1票", "是否建议开展调查：是2票，否1票",
                  "是否建议持续关注：是1票，否2票", "共收到专家会诊表3份",
                  "该批次产品是否认定为缺陷消费品：是；是否建议开展调查：是；是否建议持续关注：否"]
        for a in ctx["meeting"]["attendees"]:
            values += [a["institution"] + "：" + "、".join(a["names"])]
        for e in ctx["experts"]:
            values += [e["name"], e["employer"], e["title"]]
            if e["statement"]:
                values.append(e["name"] + "：" + e["statement"])
        assert_all(text, values, where)
        assert text.index("（一）王建国") < text.index("（二）陈晓梅") < text.index("（三）刘志远"), where
        assert "（四）赵一鸣" not in text, where  # absent, and no written statement
        if fmt == ".pdf":
            assert "—1—" in text, where  # page number, GB/T 9704 style


def test_draft_minutes_are_marked(tmp_path: Path) -> None:
    ctx = minutes_ctx() | {"draft": True, "issued_at": None, "absent": []}
    ctx["experts"][3] |= {"absent_reason": "", "statement": "书面意见：建议补充跌落试验。"}
    for fmt, text in render_both(render_minutes, ctx, tmp_path, "minutes-draft").items():
        assert text.startswith(P.DRAFT) and "（未印发）" in text, fmt
        # recorded absent without a reason: still listed as absent, and the written analysis is kept
        assert "缺席专家：赵一鸣（安徽省产品质量监督检验研究院，工程师），原因：未说明原因" in text, fmt
        assert "（四）赵一鸣（未出席会议，书面初步分析意见）：书面意见：建议补充跌落试验。" in text, fmt
        assert "刘志远：认定为缺陷消费品“不确定”，建议开展调查“否”，建议持续关注“是”。" in text, fmt


def _first_revision(pdf: bytes) -> bytes:
    """The PDF as rendered: a signature (issue 15) is an incremental update appended after the first %%EOF, with
    its own signing time, so only what precedes it is the same from one rendering to the next."""
    end = pdf.find(b"%%EOF")
    return pdf[:end + 5] if end >= 0 else pdf


def test_same_context_gives_the_same_bytes(tmp_path: Path) -> None:
    """A dossier's papers can be re-rendered years later and compared byte for byte (a PDF up to its signature)."""
    for fn, ctx in ((render_form, form_ctx(opinion(), None)), (render_form, form_ctx(None, None)),
                    (render_minutes, minutes_ctx())):
        for suffix in (".docx", ".pdf"):
            a = fn(ctx, tmp_path / f"a{suffix}").read_bytes()
            b = fn(ctx, tmp_path / f"b{suffix}").read_bytes()
            if suffix == ".pdf":
                a, b = _first_revision(a), _first_revision(b)
            assert a == b, (fn.__name__, suffix)


# ── errors ───────────────────────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("name", ["paper.txt", "paper", "paper.doc"])
def test_unknown_suffix_names_out(tmp_path: Path, name: str) -> None:
    for fn in (render_form, render_minutes):
        with pytest.raises(PaperError, match="^--out: "):
            fn(form_ctx(None, None), tmp_path / name)
    assert not any(tmp_path.iterdir())


def test_missing_cjk_font_names_the_debian_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from huizhen.papers import fonts

    monkeypatch.setattr(fonts, "installed_families", lambda: frozenset({"DejaVu Sans"}))
    with pytest.raises(PaperError, match="fonts-noto-cjk"):
        render_form(form_ctx(None, None), tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()
