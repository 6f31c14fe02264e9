"""What the web accepts from people before a use case sees it: no markup in text, sane upload names, known file
types whose bytes match their name. Everything else (the regulation's rules, field formats) the use cases check."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from states.errors import InvalidInput

# A tag opening (<script, </x, <!-- , <?xml) or a javascript: URL. "含量<0.1%" stays fine.
MARKUP_RE = re.compile(r"<\s*[a-zA-Z/!?]|javascript\s*:", re.IGNORECASE)
MAX_TEXT = 20_000


class UploadRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def text(value: Any, field: str, *, required: bool = False, max_len: int = MAX_TEXT) -> str:
    """A text field: a string, without HTML/script markup, within a length."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput("must be text", key="not_text", field=field)
    value = value.strip()
    if required and not value:
        raise InvalidInput("must not be empty", key="empty", field=field)
    if len(value) > max_len:
        raise InvalidInput(f"at most {max_len} characters", key="too_long", field=field, limit=max_len)
    if "\x00" in value:
        raise InvalidInput("contains a NUL character", key="nul_character", field=field)
    if MARKUP_RE.search(value):
        raise InvalidInput("HTML or script markup is not accepted in text", key="markup", field=field)
    return value


def no_markup(data: Any, field: str = "body") -> None:
    """Walk a JSON body: every string in it is held to `text`'s rules (markup, NUL)."""
    if isinstance(data, str):
        text(data, field)
    elif isinstance(data, Mapping):
        for k, v in data.items():
            no_markup(str(k), f"{field}.{k}")
            no_markup(v, f"{field}.{k}")
    elif isinstance(data, list | tuple):
        for i, v in enumerate(data):
            no_markup(v, f"{field}[{i}]")


# --- uploads -------------------------------------------------------------------------------------------------

ZIP = b"PK\x03\x04"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ALLOWED: dict[str, tuple[bytes, ...] | None] = {
    ".pdf": (b"%PDF-",),
    ".doc": (OLE,),
    ".docx": (ZIP,),
    ".xls": (OLE,),
    ".xlsx": (ZIP,),
    ".ofd": (ZIP,),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".txt": None,  # text: UTF-8 or GB18030, no NUL bytes
    ".csv": None,
}
MIME: dict[str, str] = {
    ".pdf": "application/pdf", ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ofd": "application/ofd", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".txt": "text/plain; charset=utf-8", ".csv": "text/csv; charset=utf-8",
}
ALLOWED_LABEL = "、".join(sorted({k.lstrip(".") for k in ALLOWED}))


def upload_name(raw: str | None) -> str:
    """The file name as sent: refused (400) when it carries a path, a hidden-file dot, control characters or markup."""
    name = (raw or "").strip()
    if not name:
        raise UploadRefused(400, "FILE: choose a file to upload")
    if "/" in name or "\\" in name or name.startswith(".") or ".." in name:
        raise UploadRefused(400, f"FILE: {name!r} is not a plain file name (no folders, no leading dot, no '..')")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name) or len(name) > 200:
        raise UploadRefused(400, f"FILE: {name!r} is not a usable file name")
    if MARKUP_RE.search(name) or any(ch in name for ch in '<>"\'`|:*?'):
        raise UploadRefused(400, f"FILE: {name!r} contains characters not allowed in a file name")
    return name


def check_upload(name: str, data: bytes, limit: int) -> None:
    """Size (413), then type (415): a known extension whose bytes look like that kind of file."""
    if not data:
        raise UploadRefused(400, f"FILE: {name} is empty")
    if len(data) > limit:
        raise UploadRefused(413, f"FILE: {name} is {len(data)} bytes; the limit is {limit} bytes")
    suffix = PurePath(name).suffix.lower()
    if suffix not in ALLOWED:
        raise UploadRefused(415, f"FILE: {name}: type {suffix or '(none)'} is not accepted (allowed: {ALLOWED_LABEL})")
    magic = ALLOWED[suffix]
    if magic is None:
        if b"\x00" in data[:65536]:
            raise UploadRefused(415, f"FILE: {name} is not a text file")
        for encoding in ("utf-8", "gb18030"):
            try:
                data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise UploadRefused(415, f"FILE: {name} is not text in UTF-8 or GB18030")
        return
    if not any(data.startswith(m) for m in magic):
        raise UploadRefused(415, f"FILE: {name}: its content is not a {suffix} file")


def mime_of(name: str) -> str:
    return MIME.get(PurePath(name).suffix.lower(), "application/octet-stream")
