"""Issuing licenses: identifier, checks, signature; by staff, by another capability, or in bulk."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from yiwang.audit.services import record_event
from yiwang.core.crypto import canonicalize
from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.core.signing import get_backend
from yiwang.identity.selectors import has_permission_in
from yiwang.licenses.audit_facts import license_facts, staff_facts
from yiwang.licenses.constants import AuditAction, LicenseStatus, TrustLevel
from yiwang.licenses.identifiers import MAX_SERIAL, format_identifier
from yiwang.licenses.models import License, LicenseSerial, LicenseStatusChange, LicenseType, SigningKey
from yiwang.licenses.signed_form import build_payload
from yiwang.regions.models import Department

from .holder_messages import tell_license_issued
from .keys import ensure_signing_key
from .validation import check_surface, normalize_holder_code, validity_end

_BATCH = 2000


@dataclass(frozen=True)
class LicenseDraft:
    """One license to sign: everything but identifier, key and signature."""

    holder_code: str
    holder_name: str
    surface: dict[str, Any]
    issued_on: dt.date
    valid_until: dt.date | None = None
    trust_level: str = TrustLevel.A


def allocate_serials(*, license_type: LicenseType, issuer: Department, year: int, count: int) -> range:
    """Reserve ``count`` consecutive serials for the type, issuer and year (call inside a transaction)."""
    counter, _ = LicenseSerial.objects.get_or_create(license_type=license_type, department=issuer, year=year)
    counter = LicenseSerial.objects.select_for_update().get(pk=counter.pk)
    first = counter.last_serial + 1
    if counter.last_serial + count > MAX_SERIAL:
        raise InvalidInput("本年度该类证照流水号已用尽", code="serials_exhausted")
    LicenseSerial.objects.filter(pk=counter.pk).update(last_serial=F("last_serial") + count)
    return range(first, first + count)


def check_issuer(*, license_type: LicenseType, issuer: Department) -> None:
    if not license_type.is_active:
        raise InvalidInput("该证照类型已停用", code="license_type_inactive")
    issuers = list(license_type.issuing_departments.values_list("pk", flat=True))
    if issuers and issuer.pk not in issuers:
        raise PermissionDenied("该部门不是此类证照的签发部门", code="not_an_issuer")


def build_license(
    *,
    license_type: LicenseType,
    issuer: Department,
    key: SigningKey,
    draft: LicenseDraft,
    serial: int,
    issued_by=None,
    surface_checked: bool = False,
) -> License:
    """Validate a draft and return the signed, unsaved License."""
    holder_code = normalize_holder_code(holder_kind=license_type.holder_kind, holder_code=draft.holder_code)
    if not surface_checked:
        check_surface(license_type=license_type, surface=draft.surface)
    valid_until = validity_end(
        license_type=license_type, issued_on=draft.issued_on, valid_until=draft.valid_until
    )
    if not draft.holder_name.strip():
        raise InvalidInput("持证主体名称不能为空", code="holder_name_required")
    identifier = format_identifier(
        type_code=license_type.code,
        issuer_credit_code=issuer.credit_code,
        year=draft.issued_on.year,
        serial=serial,
    )
    payload = build_payload(
        identifier=identifier,
        type_code=license_type.code,
        type_name=license_type.name,
        issuer_code=issuer.credit_code,
        issuer_name=issuer.name,
        holder_kind=license_type.holder_kind,
        holder_code=holder_code,
        holder_name=draft.holder_name.strip(),
        surface=draft.surface,
        issued_on=draft.issued_on,
        valid_from=draft.issued_on,
        valid_until=valid_until,
        trust_level=draft.trust_level,
        key_id=key.key_id,
    )
    signature = get_backend(key.backend).sign(key=key, message=canonicalize(payload))
    return License(
        identifier=identifier,
        license_type=license_type,
        issuer=issuer,
        holder_kind=license_type.holder_kind,
        holder_code=holder_code,
        holder_name=draft.holder_name.strip(),
        surface=draft.surface,
        issued_on=draft.issued_on,
        valid_from=draft.issued_on,
        valid_until=valid_until,
        status=LicenseStatus.VALID,
        trust_level=draft.trust_level,
        signing_key=key,
        payload=payload,
        signature=signature,
        issued_by=issued_by if getattr(issued_by, "is_authenticated", False) else None,
    )


@transaction.atomic
def issue_license(
    *,
    license_type: LicenseType,
    issuer: Department,
    holder_code: str,
    holder_name: str,
    surface: dict[str, Any],
    issued_by=None,
    issued_on: dt.date | None = None,
    valid_until: dt.date | None = None,
    trust_level: str = TrustLevel.A,
) -> License:
    """Issue and sign one license; the entry point other capabilities (application results) call."""
    check_issuer(license_type=license_type, issuer=issuer)
    issued_on = issued_on or timezone.localdate()
    key = ensure_signing_key(department=issuer, actor=issued_by)
    (serial,) = allocate_serials(license_type=license_type, issuer=issuer, year=issued_on.year, count=1)
    draft = LicenseDraft(holder_code, holder_name, surface, issued_on, valid_until, trust_level)
    license = build_license(
        license_type=license_type, issuer=issuer, key=key, draft=draft, serial=serial, issued_by=issued_by
    )
    license.save()
    LicenseStatusChange.objects.create(
        license=license, to_status=LicenseStatus.VALID, reason="签发", changed_by=license.issued_by
    )
    record_event(
        actor=issued_by,
        action=AuditAction.LICENSE_ISSUED,
        **license_facts(license),
        **staff_facts(issued_by, issuer),
        details={"issuer": issuer.credit_code},
    )
    tell_license_issued(license=license)
    return license


def issue_in_bulk(
    *,
    license_type: LicenseType,
    issuer: Department,
    drafts: list[LicenseDraft],
    issued_by=None,
    import_job=None,
    reason: str = "批量签发",
    on_progress: Callable[[int], None] | None = None,
    surface_checked: bool = False,
) -> int:
    """Sign and insert many checked drafts (call inside the caller's transaction); returns how many."""
    key = ensure_signing_key(department=issuer, actor=issued_by)
    serials: dict[int, Iterator[int]] = {}
    for year in sorted({draft.issued_on.year for draft in drafts}):
        count = sum(1 for draft in drafts if draft.issued_on.year == year)
        serials[year] = iter(
            allocate_serials(license_type=license_type, issuer=issuer, year=year, count=count)
        )
    batch: list[License] = []
    for index, draft in enumerate(drafts, start=1):
        license = build_license(
            license_type=license_type,
            issuer=issuer,
            key=key,
            draft=draft,
            serial=next(serials[draft.issued_on.year]),
            issued_by=issued_by,
            surface_checked=surface_checked,
        )
        license.import_job = import_job
        batch.append(license)
        if len(batch) >= _BATCH or index == len(drafts):
            created = License.objects.bulk_create(batch)
            LicenseStatusChange.objects.bulk_create(
                LicenseStatusChange(license_id=item.pk, to_status=LicenseStatus.VALID, reason=reason)
                for item in created
            )
            batch = []
            if on_progress:
                on_progress(index)
    return len(drafts)


def issue_license_by_staff(
    *,
    actor,
    type_code: str,
    issuer_credit_code: str,
    holder_code: str,
    holder_name: str,
    surface: dict[str, Any],
    valid_until: dt.date | None = None,
) -> License:
    """Issue as a license administrator of the issuing department (form and API)."""
    issuer = Department.objects.filter(credit_code=issuer_credit_code).first()
    if issuer is None or not has_permission_in(
        actor=actor, permission="license.issue", department_id=issuer.pk
    ):
        raise PermissionDenied("只有签发部门的证照管理员可以签发证照")
    license_type = LicenseType.objects.filter(code=type_code).first()
    if license_type is None:
        raise NotFound("未找到该证照类型", code="license_type_not_found")
    return issue_license(
        license_type=license_type,
        issuer=issuer,
        holder_code=holder_code,
        holder_name=holder_name,
        surface=surface,
        issued_by=actor,
        valid_until=valid_until,
    )
