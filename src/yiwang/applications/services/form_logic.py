"""What a form asks for one applicant (conditions) and whether each answer is valid (every error at once).

Pure logic on a definition already checked by ``form_schema``: the situation answers (question code →
option code or codes), the other fields' values and the applicant's kind decide which sections and
fields are shown; a hidden field is neither required nor kept. Region codes are the only lookup.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from yiwang.core.identifiers import InvalidIdentifier, normalize_credit_code, parse_resident_id
from yiwang.regions.models import Region

from .form_schema import iter_fields
from .form_types import (
    ADDRESS,
    BOOLEAN,
    CHOICE,
    CREDIT_CODE,
    DATE,
    FILE,
    ID_NUMBER,
    MULTI_CHOICE,
    NUMBER,
    PHONE,
    REGION,
    TEXT_TYPES,
)

Situation = Mapping[str, str | list[str]]
PHONE_PATTERN = re.compile(r"1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}")
ADDRESS_MIN_LENGTH = 5
TEXT_MAX_LENGTH = 2000


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


def _chosen(situation: Situation, question: str) -> set[str]:
    value = situation.get(question)
    if value is None:
        return set()
    return {value} if isinstance(value, str) else {str(option) for option in value}


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


class _Visibility:
    """Which fields one applicant sees; a condition on a hidden field sees no value."""

    def __init__(
        self, schema: Mapping[str, Any], situation: Situation, data: Mapping[str, Any], applicant_kind: str
    ):
        self.situation, self.data, self.applicant_kind = situation, data, applicant_kind
        self.fields = {item["key"]: (section, item) for section, item in iter_fields(schema)}
        self.known: dict[str, bool] = {}
        self.resolving: set[str] = set()

    def value(self, key: str) -> Any:
        return self.data.get(key) if self.is_visible(key) else None

    def test(self, condition: Mapping[str, Any] | None) -> bool:
        if not condition:
            return True
        if "all" in condition:
            return all(self.test(part) for part in condition["all"])
        if "any" in condition:
            return any(self.test(part) for part in condition["any"])
        if "not" in condition:
            return not self.test(condition["not"])
        if "situation" in condition:
            wanted = {condition["is"]} if "is" in condition else set(condition["in"])
            return bool(_chosen(self.situation, condition["situation"]) & wanted)
        if "applicant_kind" in condition:
            return self.applicant_kind == condition["applicant_kind"]
        return self._field_test(condition)

    def _field_test(self, condition: Mapping[str, Any]) -> bool:
        value = self.value(condition["field"])
        if "filled" in condition:
            return _is_empty(value) != condition["filled"]
        wanted = condition["in"] if "in" in condition else [condition.get("equals")]
        if isinstance(value, list):
            return any(one in wanted for one in value)
        return value in wanted

    def is_visible(self, key: str) -> bool:
        if key in self.known:
            return self.known[key]
        if key not in self.fields or key in self.resolving:  # unknown, or a loop (merged bundle forms)
            return False
        self.resolving.add(key)
        section, item = self.fields[key]
        shown = self.test(section.get("visible_when")) and self.test(item.get("visible_when"))
        self.resolving.discard(key)
        self.known[key] = shown
        return shown

    def is_required(self, item: Mapping[str, Any]) -> bool:
        if item.get("required"):
            return True
        return bool(item.get("required_when")) and self.test(item["required_when"])


def visible_fields(
    *, schema: Mapping[str, Any], situation: Situation, data: Mapping[str, Any], applicant_kind: str = ""
) -> list[dict[str, Any]]:
    """The fields shown for these answers, in order, each with its section key and whether required."""
    visibility = _Visibility(schema, situation, data, applicant_kind)
    return [
        {**item, "section": section["key"], "is_required": visibility.is_required(item)}
        for section, item in iter_fields(schema)
        if visibility.is_visible(item["key"])
    ]


# Values ------------------------------------------------------------------------------------------------


def _label(item: Mapping[str, Any]) -> str:
    return str(item["label"]["zh"])


def _date_bound(text: str, today: dt.date) -> dt.date:
    return today if text == "today" else dt.date.fromisoformat(text)


def _text(item: Mapping[str, Any], value: Any) -> tuple[Any, str, str]:
    if not isinstance(value, str):
        return None, "invalid_type", f"{_label(item)}应为文字"
    text, rules = value.strip(), item.get("validation") or {}
    low = rules.get("min_length", ADDRESS_MIN_LENGTH if item["type"] == ADDRESS else 0)
    high = rules.get("max_length", TEXT_MAX_LENGTH)
    if len(text) < low:
        return None, "too_short", f"{_label(item)}至少 {low} 个字"
    if len(text) > high:
        return None, "too_long", f"{_label(item)}不能超过 {high} 个字"
    if "pattern" in rules and not re.fullmatch(rules["pattern"], text):
        message = (rules.get("pattern_message") or {}).get("zh") or f"{_label(item)}的格式不正确"
        return None, "pattern_mismatch", message
    return text, "", ""


def _number(item: Mapping[str, Any], value: Any) -> tuple[Any, str, str]:
    rules = item.get("validation") or {}
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, bool) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        return None, "invalid_number", f"{_label(item)}应为数字"
    if rules.get("integer") and number != number.to_integral_value():
        return None, "not_integer", f"{_label(item)}应为整数"
    if "min" in rules and number < Decimal(str(rules["min"])):
        return None, "too_small", f"{_label(item)}不能小于 {rules['min']}"
    if "max" in rules and number > Decimal(str(rules["max"])):
        return None, "too_large", f"{_label(item)}不能大于 {rules['max']}"
    return (int(number) if number == number.to_integral_value() else float(number)), "", ""


def _date(item: Mapping[str, Any], value: Any, today: dt.date) -> tuple[Any, str, str]:
    rules = item.get("validation") or {}
    try:
        day = dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None, "invalid_date", f"{_label(item)}应为有效日期（年-月-日）"
    if "min_date" in rules and day < _date_bound(rules["min_date"], today):
        return None, "date_too_early", f"{_label(item)}不能早于 {_date_bound(rules['min_date'], today)}"
    if "max_date" in rules and day > _date_bound(rules["max_date"], today):
        return None, "date_too_late", f"{_label(item)}不能晚于 {_date_bound(rules['max_date'], today)}"
    return day.isoformat(), "", ""


def _choices(item: Mapping[str, Any], value: Any) -> tuple[Any, str, str]:
    allowed = [option["value"] for option in item["options"]]
    if item["type"] == CHOICE:
        if value not in allowed:
            return None, "invalid_choice", f"请从给出的选项中选择{_label(item)}"
        return value, "", ""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or any(one not in allowed for one in values):
        return None, "invalid_choice", f"请从给出的选项中选择{_label(item)}"
    picked = [one for one in allowed if one in values]  # the definition's order, each once
    rules = item.get("validation") or {}
    if len(picked) < rules.get("min_items", 0):
        return None, "too_few_items", f"{_label(item)}至少选择 {rules['min_items']} 项"
    if len(picked) > rules.get("max_items", len(allowed)):
        return None, "too_many_items", f"{_label(item)}至多选择 {rules['max_items']} 项"
    return picked, "", ""


def _boolean(item: Mapping[str, Any], value: Any) -> tuple[Any, str, str]:
    if isinstance(value, str) and value.strip().lower() in ("true", "on", "1", "yes"):
        value = True
    elif isinstance(value, str) and value.strip().lower() in ("false", "off", "0", "no"):
        value = False
    if not isinstance(value, bool):
        return None, "invalid_boolean", f"{_label(item)}应为是或否"
    if (item.get("validation") or {}).get("must_be_true") and not value:
        return None, "must_be_true", f"请确认{_label(item)}"
    return value, "", ""


def _id_number(item: Mapping[str, Any], value: Any, today: dt.date) -> tuple[Any, str, str]:
    try:
        parsed = parse_resident_id(str(value), today=today)
    except InvalidIdentifier as error:
        return None, error.code, f"{_label(item)}：{error.message}"
    gender = (item.get("validation") or {}).get("gender")
    if gender and parsed.is_male != (gender == "male"):
        return None, "wrong_gender", f"{_label(item)}的性别与要求不符"
    return parsed.number, "", ""


def _credit_code(item: Mapping[str, Any], value: Any) -> tuple[Any, str, str]:
    try:
        return normalize_credit_code(str(value)), "", ""
    except InvalidIdentifier as error:
        return None, error.code, f"{_label(item)}：{error.message}"


def _phone(item: Mapping[str, Any], value: Any) -> tuple[Any, str, str]:
    text = str(value).strip().replace(" ", "")
    if not PHONE_PATTERN.fullmatch(text):
        return None, "invalid_phone", f"{_label(item)}应为11位手机号码或带区号的固定电话"
    return text, "", ""


def _region(item: Mapping[str, Any], value: Any, regions: set[str]) -> tuple[Any, str, str]:
    code = str(value).strip()
    within = (item.get("validation") or {}).get("within", "")
    if code not in regions:
        return None, "unknown_region", f"{_label(item)}不是有效的行政区划"
    if within and not code.startswith(within.rstrip("0") or within):
        return None, "region_out_of_scope", f"{_label(item)}不在本事项的办理区域内"
    return code, "", ""


def clean_value(
    item: Mapping[str, Any],
    value: Any,
    *,
    today: dt.date,
    regions: set[str] = frozenset(),  # type: ignore[assignment]
) -> tuple[Any, str, str]:
    """(cleaned value, error code, error message); a non-empty code means the value is refused."""
    kind = item["type"]
    if kind in TEXT_TYPES:
        return _text(item, value)
    if kind == NUMBER:
        return _number(item, value)
    if kind == DATE:
        return _date(item, value, today)
    if kind in (CHOICE, MULTI_CHOICE):
        return _choices(item, value)
    if kind == BOOLEAN:
        return _boolean(item, value)
    if kind == ID_NUMBER:
        return _id_number(item, value, today)
    if kind == CREDIT_CODE:
        return _credit_code(item, value)
    if kind == PHONE:
        return _phone(item, value)
    if kind == REGION:
        return _region(item, value, regions)
    return value, "", ""  # FILE: a material reference, handled by the materials' plan


def _region_codes(fields: list[dict[str, Any]], data: Mapping[str, Any]) -> set[str]:
    wanted = {
        str(data[item["key"]]).strip() for item in fields if item["type"] == REGION and data.get(item["key"])
    }
    return (
        set(Region.objects.filter(code__in=sorted(wanted)).values_list("code", flat=True))
        if wanted
        else set()
    )


def _cross_checks(fields: list[dict[str, Any]], cleaned: dict[str, Any]) -> list[FieldError]:
    labels = {item["key"]: _label(item) for item in fields}
    errors = []
    for item in fields:
        other = (item.get("validation") or {}).get("different_from")
        mine = cleaned.get(item["key"])
        if other and mine is not None and cleaned.get(other) == mine:
            errors.append(
                FieldError(
                    item["key"], "same_as_other", f"{_label(item)}不能与{labels.get(other, other)}相同"
                )
            )
    return errors


def validate_data(
    *, schema: Mapping[str, Any], situation: Situation, data: Mapping[str, Any], applicant_kind: str = ""
) -> tuple[dict[str, Any], list[FieldError]]:
    """The visible fields' cleaned values and every error (unknown, missing, invalid, cross-field)."""
    known = {item["key"] for _section, item in iter_fields(schema)}
    errors = [FieldError(key, "unknown_field", f"表单中没有字段“{key}”") for key in sorted(set(data) - known)]
    fields = [
        item
        for item in visible_fields(
            schema=schema, situation=situation, data=data, applicant_kind=applicant_kind
        )
        if item["type"] != FILE
    ]
    today, regions = timezone.localdate(), _region_codes(fields, data)
    cleaned: dict[str, Any] = {}
    for item in fields:
        value = data.get(item["key"])
        if _is_empty(value):
            if item["is_required"]:
                verb = "选择" if item["type"] in (CHOICE, MULTI_CHOICE) else "填写"
                errors.append(FieldError(item["key"], "required", f"请{verb}{_label(item)}"))
            continue
        result, code, message = clean_value(item, value, today=today, regions=regions)
        if code:
            errors.append(FieldError(item["key"], code, message))
        else:
            cleaned[item["key"]] = result
    return cleaned, errors + _cross_checks(fields, cleaned)
