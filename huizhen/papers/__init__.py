"""The two official papers, the 会诊表 (附件) and the 会议纪要, as DOCX (python-docx) or PDF (WeasyPrint).

Both formats are drawn from one neutral layout (`model`), built from the context dicts of
`workflow.documents`; the printed wording of the attachment lives in `printed`. The file suffix picks the format.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from huizhen.papers.errors import PaperError
from huizhen.papers.model import FormLayout, MinutesLayout, form_layout, minutes_layout

__all__ = ["PaperError", "render_form", "render_minutes"]

FORMATS = (".docx", ".pdf")


def _format(out: Path) -> str:
    suffix = Path(out).suffix.lower()
    if suffix not in FORMATS:
        raise PaperError(f"--out: {Path(out).name} must end in .docx or .pdf")
    return suffix


def _write(out: Path, layout: Any, docx: Callable[[Any, Path], None], pdf: Callable[[Any, Path], None]) -> Path:
    out = Path(out)
    suffix = _format(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    try:
        (docx if suffix == ".docx" else pdf)(layout, part)
        part.replace(out)  # never leave a half-written paper under the final name
    finally:
        part.unlink(missing_ok=True)
    return out


def render_form(ctx: Mapping[str, Any], out: Path) -> Path:
    """The 长三角缺陷消费品专家会诊表: one expert's signed form, or blank when ctx["opinion"] is None."""
    _format(Path(out))
    from huizhen.papers import docx_render, pdf_render

    layout: FormLayout = form_layout(ctx)
    return _write(out, layout, docx_render.form, pdf_render.form)


def render_minutes(ctx: Mapping[str, Any], out: Path) -> Path:
    """The 长三角缺陷消费品专家会诊会议纪要 in the GB/T 9704 manner."""
    _format(Path(out))
    from huizhen.papers import docx_render, pdf_render

    layout: MinutesLayout = minutes_layout(ctx)
    return _write(out, layout, docx_render.minutes, pdf_render.minutes)
