"""PDF: the neutral layout → HTML (Jinja2 templates beside this file) → WeasyPrint."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from huizhen.papers import fonts
from huizhen.papers import printed as P
from huizhen.papers.errors import PaperError
from huizhen.papers.model import FormLayout, MinutesLayout, keep_row, mark_size_pt

CSS_FONTS = {  # CSS inside <style>: not to be HTML-escaped
    "serif": Markup(f'"{fonts.SERIF}", "{fonts.SANS}", serif'),
    "sans": Markup(f'"{fonts.SANS}", "{fonts.SERIF}", sans-serif'),
    "symbols": Markup(f'"{fonts.SYMBOLS}", "{fonts.SERIF}", sans-serif'),
}


@functools.lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("huizhen.papers", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False)
    env.globals.update(keep_row=keep_row, fonts=CSS_FONTS)
    return env


def html_form(doc: FormLayout) -> str:
    return _env().get_template("form.html.j2").render(doc=doc)


def html_minutes(doc: MinutesLayout) -> str:
    return _env().get_template("minutes.html.j2").render(doc=doc, mark_pt=mark_size_pt(doc.mark), draft_label=P.DRAFT)


def html_page(template: str, **context: Any) -> str:
    """Any of the papers' templates (form, minutes, the destruction list) rendered with the CJK font stack."""
    return _env().get_template(template).render(**context)


def write_pdf(html: str, out: Path) -> None:
    fonts.require_pdf_fonts()
    try:
        import weasyprint
    except OSError as exc:  # WeasyPrint loads Pango through ctypes at import
        raise PaperError(f"PDF needs the Pango library ({exc}). "
                         "Install it with: apt-get install -y libpango-1.0-0 libpangoft2-1.0-0") from exc
    weasyprint.HTML(string=html).write_pdf(out)


def form(doc: FormLayout, out: Path) -> None:
    write_pdf(html_form(doc), out)


def minutes(doc: MinutesLayout, out: Path) -> None:
    write_pdf(html_minutes(doc), out)

