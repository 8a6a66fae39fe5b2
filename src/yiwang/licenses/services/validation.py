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


def schema_errors(*, license_type: LicenseType, surface: Any) -> list[str]:
    """Human-readable schema violations of ``surface`` (empty when it is valid)."""
    import json

    validator = _validator(json.dumps(license_type.field_schema, sort_keys=True))
    errors = sorted(validator.iter_errors(surface), key=lambda error: list(error.path))
    return [f"{'.'.join(str(p) for p in error.path) or '照面信息'}：{error.message}" for error in errors]


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
