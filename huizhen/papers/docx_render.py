"""DOCX: the neutral layout → python-docx.

Chinese text carries East Asian font names (w:eastAsia on w:rFonts): 宋体 for the form, 仿宋 for the minutes body,
黑体 for headings, as offices in China have them; the document's font table names Noto CJK (fonts-noto-cjk) as
each one's alternative, for machines without the Windows fonts.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import docx
from docx.document import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.table import CT_Row
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Mm, Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph
from lxml import etree

from huizhen.papers import fonts
from huizhen.papers import printed as P
from huizhen.papers.model import FormLayout, Grid, MinutesLayout, Para, Span, keep_row, mark_size_pt

LATIN = "Times New Roman"
SONG, FANGSONG, HEI = "宋体", "仿宋", "黑体"
SYMBOL = "Segoe UI Symbol"  # has ☑/☐ on Windows; elsewhere the font table points to DejaVu Sans
ALT_NAMES = {SONG: fonts.SERIF, FANGSONG: fonts.SERIF, HEI: fonts.SANS, SYMBOL: fonts.SYMBOLS}
RED = RGBColor(0xE0, 0x00, 0x00)
FILL_BLUE = RGBColor(0x00, 0x26, 0x7F)
ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT,
         "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}
THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


# ── fonts ────────────────────────────────────────────────────────────────────────────────────────────────────────


def _rfonts(rpr: BaseOxmlElement, east_asia: str, latin: str = LATIN) -> None:
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in THEME_ATTRS:  # a theme font would win over the names below
        rfonts.attrib.pop(qn(attr), None)
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:cs"), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:hint"), "eastAsia")


def _font_table(doc: Document) -> None:
    """Declare 宋体/仿宋/黑体 with w:altName → Noto CJK, and the symbol font → DejaVu Sans."""
    part = doc.part.part_related_by(RT.FONT_TABLE)
    root = parse_xml(part.blob)
    for name, alt in ALT_NAMES.items():
        charset = "02" if name == SYMBOL else "86"  # 86: GB2312
        root.append(parse_xml(
            f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{alt}"/>'
            f'<w:charset w:val="{charset}"/><w:family w:val="auto"/><w:pitch w:val="variable"/></w:font>'))
    # python-docx loads the font table as an opaque part: replace its bytes.
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _base(east_asia: str, size_pt: float, meta: dict[str, str]) -> Document:
    doc = docx.Document()
    _font_table(doc)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(size_pt)
    rpr = normal.element.get_or_add_rPr()
    _rfonts(rpr, east_asia)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(lang)
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        for rf in defaults.iter(qn("w:rFonts")):
            _rfonts(rf.getparent(), east_asia)
    pf = normal.paragraph_format
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    props = doc.core_properties
    props.title = meta.get("title", "")
    props.subject = meta.get("subject", "")
    props.author = meta.get("author", "")
    props.last_modified_by = "huizhen"
    props.comments = ""
    if meta.get("date"):  # the paper's own date, never the clock: the same context gives the same file
        when = datetime.fromisoformat(meta["date"]) if "T" in meta["date"] else datetime.fromisoformat(
            meta["date"] + "T00:00:00+08:00")
        props.created = props.modified = when
    else:  # no date on the paper (blank form, draft): drop the template's 2013 timestamps
        for child in list(props._element):
            if child.tag in (qn("dcterms:created"), qn("dcterms:modified")):
                props._element.remove(child)
    return doc


def _page(doc: Document, top: float, bottom: float, left: float, right: float) -> None:
    s = doc.sections[0]
    s.start_type = WD_SECTION.NEW_PAGE
    s.page_width, s.page_height = Mm(210), Mm(297)
    s.top_margin, s.bottom_margin, s.left_margin, s.right_margin = Mm(top), Mm(bottom), Mm(left), Mm(right)


def _field(paragraph: Paragraph, instr: str, size: float) -> None:
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), instr)
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), str(round(size * 2)))
    rpr.append(sz)
    run.append(rpr)
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)


def _border(paragraph: Paragraph, side: str, size_eighths: int, color: str = "000000") -> None:
    ppr = paragraph._p.get_or_add_pPr()
    bdr = ppr.find(qn("w:pBdr"))
    if bdr is None:
        bdr = OxmlElement("w:pBdr")
        ppr.append(bdr)
    el = OxmlElement(f"w:{side}")
    el.set(qn("w:val"), "single")
    el.set(qn("w:sz"), str(size_eighths))
    el.set(qn("w:space"), "1")
    el.set(qn("w:color"), color)
    bdr.append(el)


# ── paragraphs and runs ──────────────────────────────────────────────────────────────────────────────────────────


def _run(paragraph: Paragraph, text: str, east_asia: str, *, style: str = "", size: float | None = None,
         bold: bool = False, color: RGBColor | None = None, fill_font: str | None = None) -> None:
    run = paragraph.add_run(text)
    if style == "box":
        _rfonts(run._r.get_or_add_rPr(), SYMBOL, SYMBOL)
    else:
        _rfonts(run._r.get_or_add_rPr(), fill_font if (style == "fill" and fill_font) else east_asia)
    if size:
        run.font.size = Pt(size)
    if bold or style == "h2":
        run.bold = True
    if color is not None:
        run.font.color.rgb = color


def _para(paragraph: Paragraph, p: Para, east_asia: str, *, fill_color: RGBColor | None = None,
          fill_font: str | None = None, size: float | None = None) -> Paragraph:
    paragraph.alignment = ALIGN.get(p.align, WD_ALIGN_PARAGRAPH.LEFT)
    if p.indent:
        paragraph.paragraph_format.first_line_indent = Pt((size or 16) * 2)
    font = HEI if p.kind == "h1" else east_asia
    if p.kind == "h1":
        paragraph.paragraph_format.keep_with_next = True
    for s in p.spans:
        _run(paragraph, s.text, font, style=s.style, size=size,
             color=fill_color if s.style == "fill" else None, fill_font=fill_font)
    return paragraph


# ── tables ───────────────────────────────────────────────────────────────────────────────────────────────────────


def _positions(grid: Grid) -> list[list[tuple[int, int]]]:
    """Column index of each listed cell, skipping slots covered by a rowspan from above."""
    taken: set[tuple[int, int]] = set()
    out = []
    for r, row in enumerate(grid.rows):
        col = 0
        spots = []
        for cell in row:
            while (r, col) in taken:
                col += 1
            spots.append((r, col))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, col + dc))
            col += cell.colspan
        out.append(spots)
    return out


def _shade(cell: _Cell, fill: str) -> None:
    shd = parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="{fill}"/>')
    cell._tc.get_or_add_tcPr().append(shd)


def _no_split(row_el: CT_Row) -> None:
    trpr = row_el.get_or_add_trPr()
    trpr.append(OxmlElement("w:cantSplit"))


def _grid(doc: Document, grid: Grid, total_mm: float, east_asia: str, size: float) -> None:
    scale = total_mm / sum(grid.widths)
    widths = [Mm(w * scale) for w in grid.widths]
    table = doc.add_table(rows=len(grid.rows), cols=len(grid.widths))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for i, col in enumerate(table.columns):
        col.width = widths[i]
    for row in table.rows:
        for i, c in enumerate(row.cells):
            c.width = widths[i]
    for r, (row, spots) in enumerate(zip(grid.rows, _positions(grid), strict=True)):
        if keep_row(row):
            _no_split(table.rows[r]._tr)
        for cell, (_, col) in zip(row, spots, strict=True):
            target = table.cell(r, col)
            if cell.rowspan > 1 or cell.colspan > 1:
                target = target.merge(table.cell(r + cell.rowspan - 1, col + cell.colspan - 1))
            target.vertical_alignment = (WD_CELL_VERTICAL_ALIGNMENT.CENTER if cell.kind in ("label", "group", "colhead",
                                                                                              "head")
                                         else WD_CELL_VERTICAL_ALIGNMENT.TOP)
            if cell.kind == "head":
                _shade(target, "E6E6E6")
            first = True
            for p in cell.paras or [Para(())]:
                para = target.paragraphs[0] if first else target.add_paragraph()
                first = False
                if cell.kind in ("head", "label", "colhead", "group") and p.align == "left":
                    p = Para(p.spans, "center", p.indent, p.kind)
                _para(para, p, HEI if cell.kind == "head" else east_asia, fill_color=FILL_BLUE, fill_font=HEI,
                      size=size)
                if cell.kind in ("head", "colhead", "group"):
                    for run in para.runs:
                        run.bold = True
                if cell.kind in ("head", "colhead"):  # a band or column head never ends a page
                    para.paragraph_format.keep_with_next = True
                if p.awaiting:
                    para.paragraph_format.space_after = Pt(7)


def _spacer(doc: Document) -> None:
    """Two tables in a row would merge in Word; a 1 pt paragraph keeps them apart, visually touching."""
    sp = doc.add_paragraph()
    sp.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    sp.paragraph_format.line_spacing = Pt(1)
    _run(sp, "", SONG, size=1)


def _footer_page_number(doc: Document, fmt: str, *, odd_even: bool, size: float) -> None:
    """fmt with fields in braces: "— {PAGE} —" (minutes, outside corner) or "第 {PAGE} 页 共 {NUMPAGES} 页" (form)."""
    section = doc.sections[0]
    footers = [(section.footer, WD_ALIGN_PARAGRAPH.RIGHT if odd_even else WD_ALIGN_PARAGRAPH.CENTER)]
    if odd_even:
        doc.settings.odd_and_even_pages_header_footer = True
        footers.append((section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT))
    for footer, align in footers:
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0]
        p.alignment = align
        if odd_even:  # GB/T 9704: 单页码居右空一字，双页码居左空一字
            if align == WD_ALIGN_PARAGRAPH.RIGHT:
                p.paragraph_format.right_indent = Pt(size)
            else:
                p.paragraph_format.left_indent = Pt(size)
        for i, piece in enumerate(re.split(r"\{(\w+)\}", fmt)):
            if i % 2:
                _field(p, piece, size)
            elif piece:
                _run(p, piece, SONG, size=size)


def _save(doc: Document, out: Path) -> None:
    """Save with fixed ZIP timestamps: the same context always gives the same bytes (a dossier can be re-checked)."""
    buf = io.BytesIO()
    doc.save(buf)
    buf.seek(0)
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            fixed = zipfile.ZipInfo(item.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = item.external_attr
            dst.writestr(fixed, src.read(item.filename))


# ── the papers ───────────────────────────────────────────────────────────────────────────────────────────────────


def form(layout: FormLayout, out: Path) -> None:
    size = 10.5  # 五号
    doc = _base(SONG, size, layout.meta)
    _page(doc, 18, 18, 22, 18)
    _footer_page_number(doc, "第 {PAGE} 页 共 {NUMPAGES} 页", odd_even=False, size=9)
    title = doc.add_paragraph()
    _para(title, Para((Span(layout.title),), "center"), SONG, size=18)
    for run in title.runs:
        run.bold = True
    title.paragraph_format.space_after = Pt(12)
    head = doc.add_table(rows=1, cols=2)
    head.autofit = False
    for i, p in enumerate(layout.header):
        cell = head.cell(0, i)
        cell.width = Mm(85)
        _para(cell.paragraphs[0], Para(p.spans, "left" if i == 0 else "right"), SONG, fill_color=FILL_BLUE,
              fill_font=HEI, size=size)
    _spacer(doc)
    for i, g in enumerate(layout.grids):
        if i:
            _spacer(doc)
        _grid(doc, g, 170, SONG, size)
    doc.add_paragraph().paragraph_format.space_after = Pt(12)
    sig = doc.add_paragraph()
    sig.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for i, p in enumerate(layout.signature):
        if i:
            _run(sig, "　" * 4, SONG, size=size)
        for s in p.spans:
            _run(sig, s.text, SONG, style=s.style, size=size, color=FILL_BLUE if s.style == "fill" else None,
                 fill_font=HEI)
    _save(doc, out)


def minutes(layout: MinutesLayout, out: Path) -> None:
    size = 16  # 三号
    doc = _base(FANGSONG, size, layout.meta)
    _page(doc, 37, 35, 28, 26)
    _footer_page_number(doc, "— {PAGE} —", odd_even=True, size=14)
    normal = doc.styles["Normal"].paragraph_format
    normal.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.line_spacing = Pt(28.9)  # 22 lines in the 225 mm 版心
    if layout.draft:
        _run(doc.add_paragraph(), P.DRAFT, HEI, size=size, color=RED)
    mark = doc.add_paragraph()
    mark.alignment = WD_ALIGN_PARAGRAPH.CENTER
    pt = mark_size_pt(layout.mark)
    mark.paragraph_format.line_spacing = Pt(pt * 1.3)
    _run(mark, layout.mark, SONG, size=pt, bold=True, color=RED)
    number = doc.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    number.paragraph_format.space_before = Pt(28)
    _run(number, layout.number, FANGSONG, size=size)
    _border(number, "bottom", 12, "E00000")  # the red separator line, 4 mm under the number
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_before = Pt(40)
    title.paragraph_format.space_after = Pt(22)
    title.paragraph_format.line_spacing = Pt(34)
    _run(title, layout.title, SONG, size=22, bold=True)
    for p in layout.body:
        _para(doc.add_paragraph(), p, FANGSONG, size=size)
    for i, (line, indent) in enumerate(zip((layout.signer, layout.signed_date), layout.signoff_indents,
                                           strict=True)):
        sp = doc.add_paragraph()
        sp.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        sp.paragraph_format.right_indent = Pt(size * indent)
        sp.paragraph_format.keep_with_next = i == 0
        if i == 0:
            sp.paragraph_format.space_before = Pt(size * 3)
        _run(sp, line, FANGSONG, size=size)
    record_size = 14  # 四号
    gap = doc.add_paragraph()
    gap.paragraph_format.space_before = Pt(size * 3)
    if layout.cc:
        cc = doc.add_paragraph()
        cc.paragraph_format.left_indent = Pt(record_size)
        cc.paragraph_format.right_indent = Pt(record_size)
        _run(cc, layout.cc, FANGSONG, size=record_size)
        _border(cc, "top", 8)
        _border(cc, "bottom", 4)
    printed_line = doc.add_paragraph()
    printed_line.paragraph_format.left_indent = Pt(record_size)
    printed_line.paragraph_format.right_indent = Pt(record_size)
    printed_line.paragraph_format.tab_stops.add_tab_stop(Mm(156) - Pt(record_size * 2), WD_TAB_ALIGNMENT.RIGHT)
    _run(printed_line, f"{layout.printed_by[0]}\t{layout.printed_by[1]}", FANGSONG, size=record_size)
    if not layout.cc:
        _border(printed_line, "top", 8)
    _border(printed_line, "bottom", 8)
    _save(doc, out)
