"""Finding the fonts the PDF needs, and saying which Debian package to install when one is missing.

WeasyPrint draws with whatever fontconfig finds; a missing CJK font does not fail, it prints tofu boxes. So the
PDF renderer asks here first and refuses with a clear message instead.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from huizhen.papers.errors import PaperError

SERIF = "Noto Serif CJK SC"  # 宋体/仿宋/小标宋 stand-in
SANS = "Noto Sans CJK SC"  # 黑体 stand-in
SYMBOLS = "DejaVu Sans"  # the Noto CJK fonts have no ☑ / ☐


@dataclass(frozen=True)
class Need:
    families: tuple[str, ...]  # any one of them will do
    file_prefixes: tuple[str, ...]  # file names to look for when fc-list is not there
    package: str
    why: str


NEEDS = (
    Need((SERIF, SANS), ("NotoSerifCJK", "NotoSansCJK"), "fonts-noto-cjk", "Chinese text"),
    Need((SYMBOLS,), ("DejaVuSans",), "fonts-dejavu-core", "the ☑/☐ check boxes"),
)
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")


@functools.lru_cache(maxsize=1)
def installed_families() -> frozenset[str] | None:
    """Every family fontconfig knows (None when fc-list is not installed)."""
    exe = shutil.which("fc-list")
    if exe is None:
        return None
    try:
        done = subprocess.run([exe, "--format", "%{family}\n"], capture_output=True, text=True, timeout=30,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    names: set[str] = set()
    for line in done.stdout.splitlines():
        names.update(n.strip() for n in line.split(",") if n.strip())
    return frozenset(names)


@functools.lru_cache(maxsize=1)
def _font_files() -> tuple[str, ...]:
    found: list[str] = []
    for d in FONT_DIRS:
        root = Path(os.path.expanduser(d))
        if root.is_dir():
            found.extend(p.name for p in root.rglob("*") if p.suffix.lower() in (".ttf", ".otf", ".ttc", ".otc"))
    return tuple(found)


def has(need: Need) -> bool:
    families = installed_families()
    if families is not None:
        return any(f in families for f in need.families)
    return any(name.startswith(need.file_prefixes) for name in _font_files())


def require_pdf_fonts() -> None:
    """Raise PaperError naming the Debian package(s) to install if a font the PDF needs is missing."""
    missing = [n for n in NEEDS if not has(n)]
    if missing:
        what = "; ".join(f"{' or '.join(n.families)} (for {n.why})" for n in missing)
        pkgs = " ".join(n.package for n in missing)
        raise PaperError(f"PDF needs fonts that are not installed: {what}. "
                         f"Install them with: apt-get install -y {pkgs}")
