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


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """`write` fills a `.part` file beside PATH, which then replaces PATH: never a half-written file under the
    final name, whatever fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    try:
        write(part)
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)
    return path


def _write(out: Path, layout: Any, docx: Callable[[Any, Path], None], pdf: Callable[[Any, Path], None],
           signer: str | None = None) -> Path:
    """SIGNER: the institution whose key signs the PDF (an issued paper), None for a draft or a blank."""
    out = Path(out)
    if _format(out) == ".docx":
        return atomic_write(out, lambda part: docx(layout, part))

    def render_pdf(part: Path) -> None:
        pdf(layout, part)
        if signer:
            from huizhen.signing import sign_file

            sign_file(part, signer)

    return atomic_write(out, render_pdf)


def render_form(ctx: Mapping[str, Any], out: Path) -> Path:
    """The 长三角缺陷消费品专家会诊表: one expert's signed form, or blank when ctx["opinion"] is None."""
    _format(Path(out))
    from huizhen.papers import docx_render, pdf_render
    from huizhen.signing import code_of

    layout: FormLayout = form_layout(ctx)
    # An expert's signed form is signed by the applicant institution whose form it is; a blank one is not.
    signer = code_of(None, str(ctx.get("institution") or "")) if ctx.get("opinion") is not None else None
    return _write(out, layout, docx_render.form, pdf_render.form, signer)


def render_minutes(ctx: Mapping[str, Any], out: Path) -> Path:
    """The 长三角缺陷消费品专家会诊会议纪要 in the GB/T 9704 manner."""
    _format(Path(out))
    from huizhen.papers import docx_render, pdf_render
    from huizhen.signing import code_of

    layout: MinutesLayout = minutes_layout(ctx)
    # Issued minutes are signed by their issuer (the lead institution); a draft is not.
    signer = None if ctx.get("draft") else code_of(None, str(ctx.get("issuer") or ""))
    return _write(out, layout, docx_render.minutes, pdf_render.minutes, signer)
