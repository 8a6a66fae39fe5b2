"""License types (证照目录): saved by code; the demo catalog ships in data/license_types.json."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from yiwang.audit.services import record_event
from yiwang.core.errors import InvalidInput
from yiwang.licenses.audit_facts import LICENSE_TYPE_OBJECT
from yiwang.licenses.constants import AuditAction, HolderKind, ValidityKind
from yiwang.licenses.identifiers import TYPE_CODE
from yiwang.licenses.models import LicenseType

from .validation import check_schema

CATALOG_FILE = Path(__file__).resolve().parent.parent / "data" / "license_types.json"


@transaction.atomic
def save_license_type(
    *,
    code: str,
    name: str,
    holder_kind: str,
    field_schema: dict,
    validity_kind: str,
    validity_years: int | None = None,
    issuer_description: str = "",
    display_layout: list | None = None,
    actor=None,
) -> LicenseType:
    """Create or update the type with ``code``; the schema must itself be valid JSON Schema."""
    if not TYPE_CODE.match(code):
        raise InvalidInput(
            "证照类型代码应为大写字母开头的字母、数字或下划线，最多32位", code="invalid_type_code"
        )
    if holder_kind not in HolderKind.values or validity_kind not in ValidityKind.values:
        raise InvalidInput("持证主体类型或有效期规则无效", code="invalid_license_type")
    if validity_kind == ValidityKind.YEARS and not validity_years:
        raise InvalidInput("固定年限的证照须填写有效年限", code="validity_years_required")
    check_schema(field_schema)
    license_type, _ = LicenseType.objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "holder_kind": holder_kind,
            "field_schema": field_schema,
            "validity_kind": validity_kind,
            "validity_years": validity_years,
            "issuer_description": issuer_description,
            "display_layout": display_layout or [],
        },
    )
    record_event(
        actor=actor, action=AuditAction.LICENSE_TYPE_SAVED, object_type=LICENSE_TYPE_OBJECT, object_id=code
    )
    return license_type


@transaction.atomic
def save_license_type_edit(*, actor, license_type: LicenseType, changed: list[str]) -> LicenseType:
    """Save a type as edited in the back office (its schema checked), recording who changed which fields."""
    check_schema(license_type.field_schema)
    created = license_type.pk is None
    license_type.save()
    record_event(
        actor=actor,
        action=AuditAction.LICENSE_TYPE_SAVED,
        object_type=LICENSE_TYPE_OBJECT,
        object_id=license_type.code,
        details={"changed": sorted(changed), "created": created},
    )
    return license_type


def load_license_type_catalog() -> int:
    """Save every type of the shipped catalog (idempotent); returns how many."""
    entries = json.loads(CATALOG_FILE.read_text("utf-8"))["types"]
    for entry in entries:
        save_license_type(**entry)
    return len(entries)
