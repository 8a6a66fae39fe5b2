"""What a citizen may object to: which items of which register, and how a correct value is read.

A citizen objects to their own population record (by their verified ID number) or to the legal-person
record of an enterprise they represent; the registers' gate decides which records are theirs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from yiwang.core.errors import InvalidInput
from yiwang.registers.constants import FIELD_LABELS, Gender, MaritalStatus, RegisterCode

from .constants import VALUE_MAX_LENGTH


@dataclass(frozen=True)
class ItemRule:
    kind: str  # "text", "date" or "choice"
    max_length: int = VALUE_MAX_LENGTH
    choices: tuple[tuple[str, Any], ...] = ()


TEXT = ItemRule("text")
DATE = ItemRule("date")
OBJECTABLE_ITEMS: dict[str, dict[str, ItemRule]] = {
    RegisterCode.POPULATION: {
        "name": ItemRule("text", 60),
        "gender": ItemRule("choice", choices=tuple(Gender.choices)),
        "birth_date": DATE,
        "ethnicity": ItemRule("text", 20),
        "household_address": TEXT,
        "phone": ItemRule("text", 20),
        "marital_status": ItemRule("choice", choices=tuple(MaritalStatus.choices)),
    },
    RegisterCode.LEGAL_PERSON: {
        "name": TEXT,
        "legal_representative_name": ItemRule("text", 60),
        "address": TEXT,
        "established_on": DATE,
        "approved_on": DATE,
    },
}
REGISTER_LABELS = {
    RegisterCode.POPULATION: _("人口库（本人户籍信息）"),
    RegisterCode.LEGAL_PERSON: _("法人库（本人代表的企业）"),
}


_CONTROL = {chr(code) for code in range(32)} - {"\n", "\r", "\t"} | {"\x7f"}


def check_characters(text: str, *, label: str) -> str:
    """Refuse control characters (a NUL byte cannot even be stored by PostgreSQL)."""
    if any(character in _CONTROL for character in text):
        raise InvalidInput(f"{label}含有不可见的控制字符", code="invalid_characters")
    return text


def item_label(item: str) -> str:
    return str(FIELD_LABELS.get(item, item))


def item_rule(register: str, item: str) -> ItemRule:
    items = OBJECTABLE_ITEMS.get(register)
    if items is None:
        raise InvalidInput("该基础库不受理数据异议", code="unknown_register", register=register)
    if item not in items:
        raise InvalidInput("该信息项不能提出异议", code="unknown_item", item=item)
    return items[item]


def parse_value(register: str, item: str, text: str) -> Any:
    """The proposed value as the register stores it; a clear 400 when it cannot be."""
    rule = item_rule(register, item)
    value = check_characters((text or "").strip(), label="正确的值")
    if not value:
        raise InvalidInput("请填写正确的值", code="value_required")
    if rule.kind == "date":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise InvalidInput("日期格式应为 YYYY-MM-DD", code="invalid_date", item=item) from None
    if rule.kind == "choice":
        by_label = {str(label): code for code, label in rule.choices}
        codes = {code for code, _label in rule.choices}
        if value in codes:
            return value
        if value in by_label:
            return by_label[value]
        allowed = "、".join(str(label) for _code, label in rule.choices)
        raise InvalidInput(f"{item_label(item)}只能是：{allowed}", code="invalid_choice", item=item)
    if len(value) > rule.max_length:
        raise InvalidInput(
            f"{item_label(item)}不得超过 {rule.max_length} 字", code="value_too_long", item=item
        )
    return value


def display_value(register: str, item: str, value: Any) -> str:
    """A stored value as people read it (a code's label, a date in ISO form)."""
    if value is None:
        return ""
    rule = OBJECTABLE_ITEMS.get(register, {}).get(item)
    if rule is not None and rule.kind == "choice":
        return str(dict(rule.choices).get(value, value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
