"""Checks a license must pass before it is signed: holder code, surface schema, validity dates."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator

from yiwang.core.errors import InvalidInput
from yiwang.core.identifiers import normalize_credit_code, parse_resident_id
from yiwang.licenses.constants import HolderKind, ValidityKind
from yiwang.licenses.models import LicenseType

_FORMATS = Draft202012Validator.FORMAT_CHECKER


def normalize_holder_code(*, holder_kind: str, holder_code: str) -> str:
    """The holder's ID number (person) or credit code (enterprise), validated and upper-cased."""
    if holder_kind == HolderKind.PERSON:
        return parse_resident_id(holder_code).number
    return normalize_credit_code(holder_code)


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Draft202012Validator:
    import json

    return Draft202012Validator(json.loads(schema_json), format_checker=_FORMATS)


def _missing_name(error: jsonschema.ValidationError) -> str:
    parts = error.message.split("'")
    return parts[1] if len(parts) > 2 else ""


def _message(error: jsonschema.ValidationError) -> str:
    """A Chinese message for the schema keywords license types use; the validator's own otherwise."""
    field = ".".join(str(part) for part in error.path) or "照面信息"
    messages = {
        "required": lambda: f"缺少必填项：{_missing_name(error)}",
        "enum": lambda: f"{field}：须为以下之一：{'、'.join(map(str, error.validator_value))}",
        "type": lambda: f"{field}：类型不正确",
        "pattern": lambda: f"{field}：格式不正确",
        "format": lambda: (
            f"{field}：须为有效的{'日期（YYYY-MM-DD）' if error.validator_value == 'date' else '格式'}"
        ),
        "minLength": lambda: f"{field}：不能为空",
        "maxLength": lambda: f"{field}：过长",
        "minimum": lambda: f"{field}：不能小于{error.validator_value}",
        "additionalProperties": lambda: f"{field}：含有证照类型未定义的字段",
    }
    builder = messages.get(str(error.validator))
    return builder() if builder else f"{field}：{error.message}"


def schema_errors(*, license_type: LicenseType, surface: Any) -> list[str]:
    """Human-readable schema violations of ``surface`` (empty when it is valid)."""
    import json

    validator = _validator(json.dumps(license_type.field_schema, sort_keys=True))
    errors = sorted(validator.iter_errors(surface), key=lambda error: list(error.path))
    return [_message(error) for error in errors]


def check_surface(*, license_type: LicenseType, surface: Any) -> None:
    errors = schema_errors(license_type=license_type, surface=surface)
    if errors:
        raise InvalidInput("照面信息不符合证照类型的结构要求", code="invalid_surface", errors=errors)


def check_schema(schema: dict) -> None:
    try:
        Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as error:
        raise InvalidInput(
            f"照面信息结构不是有效的 JSON Schema：{error.message}", code="invalid_schema"
        ) from None


def validity_end(
    *, license_type: LicenseType, issued_on: dt.date, valid_until: dt.date | None
) -> dt.date | None:
    """The last valid day under the type's rule; None means long-term (长期)."""
    if license_type.validity_kind == ValidityKind.LONG_TERM:
        return valid_until
    if license_type.validity_kind == ValidityKind.YEARS and valid_until is None:
        years = license_type.validity_years or 1
        try:
            return issued_on.replace(year=issued_on.year + years) - dt.timedelta(days=1)
        except ValueError:  # 29 February
            return issued_on.replace(year=issued_on.year + years, day=28)
    if valid_until is None:
        raise InvalidInput("该类证照须在签发时指定有效期截止日期", code="validity_required")
    if valid_until < issued_on:
        raise InvalidInput("有效期截止日期不能早于签发日期", code="invalid_validity")
    return valid_until
