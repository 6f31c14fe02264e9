"""The case file (YAML) an applicant writes: its sections, its sources, the Art. 4 basis, and its validation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from states.errors import InvalidInput

SOURCES = (
    "samr_referral",
    "spot_check",
    "market_purchase",
    "overseas_recall",
    "risk_monitoring",
    "injury_monitoring",
    "other",
)
PRODUCT_FIELDS = (
    "name",
    "model",
    "brand",
    "producer",
    "registered_province",
    "production_province",
    "test_basis",
    "report_numbers",
    "suspected_defect",
)
ONE_LINE_FIELDS = ("name", "model", "brand", "producer")  # they go into mail subjects and headers: one line each
CASE_FILE_KEYS = ("product", "sources", "source_other", "basis")
BASIS_KEYS = ("samr_assignment", "joint_decision")


def parse_case_file(data: Any, members: Iterable[str]) -> dict[str, Any]:
    """Validate the content of a case file (YAML): product section, sources, Art. 4 basis.

    Errors carry the path inside the file as `field`; the message starts with the same path, because a path in a
    file (unlike a command-line flag) reads the same in every shell.

    A draft may be incomplete (the guard on `submit` says what is missing); what is present must be well-formed.
    """
    codes = sorted(members)
    if not isinstance(data, Mapping):
        raise InvalidInput("case file: must hold a mapping with product, sources, basis", key="case_file_not_mapping",
                           field="case_file")
    unknown = sorted(set(map(str, data)) - set(CASE_FILE_KEYS))
    if unknown:
        raise InvalidInput(f"{unknown[0]}: unknown key (allowed: {', '.join(CASE_FILE_KEYS)})", key="unknown_key",
                           field=unknown[0], allowed=list(CASE_FILE_KEYS))
    raw_product = data.get("product") or {}
    if not isinstance(raw_product, Mapping):
        raise InvalidInput("product: must be a mapping", key="not_mapping", field="product")
    bad = sorted(set(map(str, raw_product)) - set(PRODUCT_FIELDS))
    if bad:
        raise InvalidInput(f"product.{bad[0]}: unknown key (allowed: {', '.join(PRODUCT_FIELDS)})", key="unknown_key",
                           field=f"product.{bad[0]}", allowed=list(PRODUCT_FIELDS))
    product: dict[str, Any] = {}
    for key in PRODUCT_FIELDS:
        value = raw_product.get(key)
        if key == "report_numbers":
            if value is None:
                value = []
            if isinstance(value, str | int):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
                raise InvalidInput("product.report_numbers: must be a list of report numbers", key="not_list",
                                   field="product.report_numbers")
            product[key] = [str(v).strip() for v in value if str(v).strip()]
            continue
        if value is not None and not isinstance(value, str | int | float):
            raise InvalidInput(f"product.{key}: must be text", key="not_text", field=f"product.{key}")
        text = "" if value is None else str(value).strip()
        if key in ONE_LINE_FIELDS and ("\r" in text or "\n" in text):
            raise InvalidInput(f"product.{key}: must be one line (no line break)", key="not_one_line",
                               field=f"product.{key}")
        if key in ("registered_province", "production_province") and text:
            text = text.upper()
            if text not in codes:
                raise InvalidInput(f"product.{key}: {text} is not a member institution ({', '.join(codes)})",
                                   key="not_member", field=f"product.{key}", value=text, members=codes)
        product[key] = text
    sources = data.get("sources") or []
    if isinstance(sources, str):
        sources = [sources]
    if not isinstance(sources, list):
        raise InvalidInput("sources: must be a list", key="not_list", field="sources")
    for i, s in enumerate(sources):
        if s not in SOURCES:
            raise InvalidInput(f"sources[{i}]: {s!r} is not one of {', '.join(SOURCES)}", key="not_one_of",
                               field=f"sources[{i}]", value=s, allowed=list(SOURCES))
    source_other = data.get("source_other")
    if source_other is not None and not isinstance(source_other, str):
        raise InvalidInput("source_other: must be text", key="not_text", field="source_other")
    raw_basis = data.get("basis") or {}
    if not isinstance(raw_basis, Mapping):
        raise InvalidInput("basis: must be a mapping with samr_assignment and/or joint_decision", key="not_mapping",
                           field="basis")
    bad = sorted(set(map(str, raw_basis)) - set(BASIS_KEYS))
    if bad:
        raise InvalidInput(f"basis.{bad[0]}: unknown key (allowed: {', '.join(BASIS_KEYS)})", key="unknown_key",
                           field=f"basis.{bad[0]}", allowed=list(BASIS_KEYS))
    basis: dict[str, str] = {}
    for key in BASIS_KEYS:
        value = raw_basis.get(key)
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"basis.{key}: must be text", key="not_text", field=f"basis.{key}")
        if value and value.strip():
            basis[key] = value.strip()
    return {
        "product": product,
        "sources": list(dict.fromkeys(sources)),
        "source_other": (source_other or "").strip(),
        "basis": basis,
    }

