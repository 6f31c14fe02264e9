"""HTML forms into the shapes the use cases take (a case file, an opinion file). Only field names are mapped here:
every value is validated by the same parsers as the CLI's YAML files (states.case.parse_case_file,
states.rules.parse_opinion); text fields are first held to the web's no-markup rule."""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import FormData

from huizhen.web.common import field
from huizhen.web.inputs import text
from states.case import BASIS_KEYS, PRODUCT_FIELDS
from states.errors import InvalidInput
from states.rules import INJURY_TYPES, PRODUCER_CAUSES, YES_NO_FIELDS

INJURY_NAMES = {"physical": "物理性质伤害", "chemical": "化学性质伤害", "biological": "生物性质伤害"}
SPLIT_RE = re.compile(r"[,，;；、\s]+")


def _list(form: FormData, name: str) -> list[str]:
    values = []
    for v in form.getlist(name):
        if not isinstance(v, str):
            raise InvalidInput("must be text, not a file", key="not_text", field=name)
        values.append(v)
    return values


def case_file(form: FormData) -> dict[str, Any]:
    """The 产品及生产信息 form as a case file (what `huizhen case new FILE.yaml` reads)."""
    product: dict[str, Any] = {}
    for key in PRODUCT_FIELDS:
        name = f"product.{key}"
        value = text(field(form, name), name, max_len=2000)
        if key == "report_numbers":
            product[key] = [v for v in SPLIT_RE.split(value) if v]
        else:
            product[key] = value
    sources = [text(v, "sources") for v in _list(form, "sources")]
    basis = {k: text(field(form, f"basis.{k}"), f"basis.{k}", max_len=2000) for k in BASIS_KEYS}
    return {"product": product, "sources": sources, "source_other": text(field(form, "source_other"), "source_other"),
            "basis": basis}


def case_form_values(case: dict[str, Any]) -> dict[str, Any]:
    """A stored case back into form values, to edit a draft."""
    values: dict[str, Any] = {f"product.{k}": v for k, v in case.get("product", {}).items()}
    values["product.report_numbers"] = "、".join(case.get("product", {}).get("report_numbers", []))
    values["sources"] = list(case.get("sources", []))
    values["source_other"] = case.get("source_other", "")
    for k in BASIS_KEYS:
        values[f"basis.{k}"] = case.get("basis", {}).get(k, "")
    return values


def form_values(form: FormData) -> dict[str, Any]:
    """What was typed, to show it again next to an error (files left out)."""
    out: dict[str, Any] = {}
    for key in form:
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        if key in ("csrf_token", "password"):
            continue
        out[key] = values if len(values) > 1 or key in ("sources", "experts", "attendees") else (values[0] if values else "")
    return out


def _integer(raw: str, name: str, low: int, high: int) -> int:
    raw = raw.strip()
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidInput(f"must be a whole number from {low} to {high}, not {raw!r}", key="number_out_of_range",
                           field=name, low=low, high=high, value=raw)
    return int(raw)


def _yes_no(raw: str, name: str, allowed: tuple[str, ...] = ("yes", "no")) -> str:
    raw = raw.strip().lower()
    if raw not in allowed:
        raise InvalidInput(f"must be one of {', '.join(allowed)}, not {raw!r}", key="not_one_of", field=name,
                           allowed=list(allowed), value=raw)
    return raw


def opinion(form: FormData) -> dict[str, Any]:
    """The 会诊信息 part of the web form as an opinion file; unanswered questions are left out (the rules say
    which are missing)."""
    data: dict[str, Any] = {}
    for name in YES_NO_FIELDS:
        answer = field(form, name)
        if answer:
            data[name] = {"answer": _yes_no(answer, name),
                          "detail": text(field(form, f"{name}_detail"), f"{name}.detail", max_len=2000)}
    injuries: dict[str, str | None] = {}
    for kind in INJURY_TYPES:
        detail = text(field(form, f"injury_{kind}_detail"), f"injury_types.{kind}", max_len=2000)
        ticked = bool(field(form, f"injury_{kind}"))
        injuries[kind] = (detail or INJURY_NAMES[kind]) if ticked else None
    data["injury_types"] = injuries
    if field(form, "severity"):
        data["severity"] = _integer(field(form, "severity"), "severity", 1, 4)
    if field(form, "likelihood"):
        data["likelihood"] = _integer(field(form, "likelihood"), "likelihood", 1, 8)
    causes = {k: _yes_no(field(form, f"cause_{k}"), f"producer_cause.{k}") for k in PRODUCER_CAUSES
              if field(form, f"cause_{k}")}
    if causes:
        data["producer_cause"] = causes
    if field(form, "universality"):
        data["universality"] = _yes_no(field(form, "universality"), "universality", ("yes", "no", "uncertain"))
    return data
