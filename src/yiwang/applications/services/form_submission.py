"""The server's check of a submitted form: every error at once, and every prefilled field read again.

The browser's word is never taken for a prefilled value. Each visible field with a prefill source is
read again from its source (the exchange, the license, the account) under this application's purpose;
a submitted value that differs from what the source says now is refused as tampering
(``prefill_tampered``), and an empty one is filled from the source. What the client claims as prefilled
and the server cannot confirm is kept as the applicant's own declaration, not as verified.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from yiwang.core.errors import InvalidInput

from .form_logic import FieldError, Situation, validate_data, visible_fields
from .form_types import NUMBER
from .prefill import PrefillPurpose, prefill

if TYPE_CHECKING:
    from yiwang.identity.models import User
    from yiwang.regions.models import Department


class InvalidForm(InvalidInput):
    """The submitted form has errors: ``details["errors"]`` lists them all, ``details["fields"]`` by field."""

    code = "invalid_form"
    default_message = "申请表填写有误"


class PrefillTampered(InvalidForm):
    """A locked (prefilled) field was changed: its value differs from what its source says."""

    code = "prefill_tampered"
    default_message = "预填信息与权威来源不一致，已拒绝提交"


@dataclass(frozen=True)
class CheckedSubmission:
    """The cleaned values of the visible fields, and the prefilled ones with their source (Case.prefilled)."""

    data: dict[str, Any]
    prefilled: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Fields the page showed as prefilled that no source confirms now: kept as the applicant's declaration.
    unconfirmed: list[str] = field(default_factory=list)


def _comparable(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_comparable(one) for one in value]
    return str(value).strip().upper()  # ID numbers and codes: case does not matter


def _number(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number.normalize() if number.is_finite() else None


def _same(submitted: Any, verified: Any, kind: str) -> bool:
    """Whether the submitted value is the source's (a number field compares numbers: 89.5 is 89.50)."""
    if kind == NUMBER or (isinstance(verified, (int, float)) and not isinstance(verified, bool)):
        number = _number(submitted)
        return number is not None and number == _number(verified)
    return _comparable(submitted) == _comparable(verified)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _raise(errors: list[FieldError], tampered: list[FieldError]) -> None:
    everything = tampered + errors
    if not everything:
        return
    by_field: dict[str, list[str]] = {}
    for error in everything:
        by_field.setdefault(error.field, []).append(error.message)
    details: dict[str, Any] = {"errors": [error.as_dict() for error in everything], "fields": by_field}
    if tampered:
        names = "、".join(error.field for error in tampered)
        raise PrefillTampered(
            f"预填信息被改动（{names}），与权威来源不一致，已拒绝提交；请刷新页面重新填写", **details
        )
    raise InvalidForm(f"申请表有 {len(everything)} 处需要修改", **details)


def check_submission(
    *,
    form_schema: Mapping[str, Any],
    situation: Situation,
    data: Mapping[str, Any],
    prefilled_claims: Mapping[str, Any] | None,
    actor: User,
    holder_code: str,
    applicant_kind: str,
    department: Department,
    purpose: PrefillPurpose | None = None,
) -> CheckedSubmission:
    """Check a submission on the server; raise ``InvalidForm`` (every error) or ``PrefillTampered``.

    ``prefilled_claims`` (what the page showed as prefilled) is only compared, never trusted.
    ``purpose`` names this application for the reads (default: the submission, without a reference).
    """
    purpose = purpose or PrefillPurpose(reference="网上申报提交核验")
    shown = visible_fields(schema=form_schema, situation=situation, data=data, applicant_kind=applicant_kind)
    verified = prefill(
        schema=form_schema,
        actor=actor,
        holder_code=holder_code,
        applicant_kind=applicant_kind,
        department=department,
        purpose=purpose,
        data=data,
        only=[item["key"] for item in shown],
    )
    labels = {item["key"]: item["label"]["zh"] for item in shown}
    kinds = {item["key"]: item["type"] for item in shown}
    merged, tampered = dict(data), []
    for key, entry in verified.items():
        if _empty(merged.get(key)):
            merged[key] = entry["value"]  # a locked field the page did not send: the source's value
        elif not _same(merged[key], entry["value"], kinds.get(key, "")):
            tampered.append(
                FieldError(key, "prefill_tampered", f"{labels.get(key, key)}与{entry['label']}不一致")
            )
    cleaned, errors = validate_data(
        schema=form_schema, situation=situation, data=merged, applicant_kind=applicant_kind
    )
    _raise(errors, tampered)
    now = timezone.now().isoformat()
    prefilled = {
        key: {**entry, "value": cleaned.get(key, entry["value"]), "verified_at": now}
        for key, entry in verified.items()
        if key in cleaned
    }
    unconfirmed = sorted(key for key in (prefilled_claims or {}) if key in cleaned and key not in prefilled)
    return CheckedSubmission(data=cleaned, prefilled=prefilled, unconfirmed=unconfirmed)
