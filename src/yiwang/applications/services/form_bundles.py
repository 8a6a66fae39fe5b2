"""One form for a bundle (一件事，一表申请): the union of its parts' active forms, each field asked once.

Fields of different parts that ask the same thing share a key (``seller_name``, ``certificate_number``,
``child_name``…) and are merged: they must have the same type (and the same options); the merged field
is required when any part requires it and shown when any part shows it. Each merged field remembers the
part that first asked it (``origin``: its department reads the field's prefill, under its item) and
every part that asks it (``asked_by``: the value goes to each sub-case).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from yiwang.core.errors import InvalidInput

from .form_types import CHOICE_TYPES, SCHEMA_VERSION


class BundleFormConflict(InvalidInput):
    code = "bundle_form_conflict"


def _both(first: dict[str, Any] | None, second: dict[str, Any] | None) -> dict[str, Any] | None:
    if not first:
        return second
    if not second:
        return first
    return {"all": [first, second]}


def _either(first: dict[str, Any] | None, second: dict[str, Any] | None) -> dict[str, Any] | None:
    """Shown when either part shows it: no condition on one side means always."""
    if not first or not second:
        return None
    return first if first == second else {"any": [first, second]}


def _options(item: dict[str, Any]) -> list[str]:
    return sorted(option["value"] for option in item.get("options", []))


def _merge_field(merged: dict[str, Any], item: dict[str, Any], part: str, problems: list[str]) -> None:
    key = item["key"]
    if item["type"] != merged["type"]:
        problems.append(
            f"字段“{key}”在 {merged['origin']} 中为 {merged['type']}，在 {part} 中为 {item['type']}"
        )
        return
    if item["type"] in CHOICE_TYPES and _options(item) != _options(merged):
        problems.append(f"字段“{key}”在 {merged['origin']} 与 {part} 中的选项不同")
        return
    merged["visible_when"] = _either(merged.get("visible_when"), item.get("visible_when"))
    if item.get("required"):
        merged["required"] = True
        merged.pop("required_when", None)
    elif not merged.get("required") and item.get("required_when"):
        merged["required_when"] = (
            _either(merged.get("required_when"), item["required_when"]) or item["required_when"]
        )
    if not merged.get("prefill") and item.get("prefill"):
        merged["prefill"] = item["prefill"]
    merged["asked_by"].append(part)
    if merged["visible_when"] is None:
        merged.pop("visible_when")


def merge_forms(
    *, code: str, title: dict[str, str], parts: Sequence[tuple[str, dict[str, Any]]]
) -> dict[str, Any]:
    """The bundle's form from (implementation code, form definition) pairs, in the bundle's order."""
    sections: dict[str, dict[str, Any]] = {}
    fields: dict[str, dict[str, Any]] = {}
    materials: dict[str, Any] = {}
    problems: list[str] = []
    for part, schema in parts:
        for section in schema.get("sections", []):
            target = sections.setdefault(
                section["key"],
                {"key": section["key"], "label": copy.deepcopy(section["label"]), "fields": []},
            )
            for item in section["fields"]:
                # the section's condition moves onto the field: merged sections are shown when any field is
                visible = _both(section.get("visible_when"), item.get("visible_when"))
                if item["key"] in fields:
                    _merge_field(fields[item["key"]], {**item, "visible_when": visible}, part, problems)
                    continue
                merged = {**copy.deepcopy(item), "origin": part, "asked_by": [part]}
                merged.pop("visible_when", None)
                merged.pop("result_field", None)  # each part's own result: read from the part's form
                if visible:
                    merged["visible_when"] = copy.deepcopy(visible)
                fields[item["key"]] = merged
                target["fields"].append(merged)
        for key, entry in (schema.get("materials") or {}).items():
            materials.setdefault(key, copy.deepcopy(entry))
    if problems:
        raise BundleFormConflict(
            f"一件事“{code}”各事项的表单无法合并：{'；'.join(problems)}", problems=problems
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "bundle": code,
        "title": title,
        "parts": [part for part, _schema in parts],
        "sections": [section for section in sections.values() if section["fields"]],
        "materials": materials,
    }
