"""Attaching the planned materials to a case: rows with trust levels, the holder's consent for the licenses
the case relies on, new uploads into the holder's vault (once). See ``materials``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from yiwang.audit.services import record_event
from yiwang.core import sql
from yiwang.core.errors import Conflict, InvalidInput
from yiwang.licenses.constants import CONSENT_MAX_DAYS, LicenseStatus
from yiwang.licenses.models import License
from yiwang.licenses.selectors import effective_status
from yiwang.licenses.services import grant_consent

from ..constants import Channel, MaterialSource, TrustLevel
from ..models import Case, CaseMaterial, VaultItem
from .material_plan import MaterialPlanItem, ScopeOnce
from .prefill import licenses_used
from .uploads import StoredFile

if TYPE_CHECKING:
    from yiwang.identity.models import User
    from yiwang.regions.models import Department

MATERIALS_ATTACHED = "applications.materials_attached"
DEFAULT_VAULT_DAYS = 365
DEFAULT_CONSENT_DAYS = 90
REQUESTER_SYSTEM = "yiwang-applications"


def _check_uploads(items: list[MaterialPlanItem], uploads: Mapping[str, StoredFile]) -> None:
    """Every required upload present, and no upload for a material that is not to be uploaded."""
    missing = [item.name for item in items if item.needs_upload and item.key not in uploads]
    to_upload = {item.key for item in items if item.satisfied_by == MaterialSource.UPLOAD}
    unexpected = sorted(set(uploads) - to_upload)
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"请上传：{'、'.join(missing)}")
        if unexpected:
            parts.append(f"以下材料无需上传：{'、'.join(unexpected)}")
        raise InvalidInput("；".join(parts), code="materials_missing", missing=missing, unexpected=unexpected)


def _departments(case: Case, items: Iterable[MaterialPlanItem]) -> list[Department]:
    """Every department that handles the case: the accepting one and each part's (a bundle's sub-cases)."""
    departments = {case.department_id: case.department}
    for item in items:
        for implementation in item.implementations:
            departments.setdefault(implementation.department_id, implementation.department)
    return list(departments.values())


def _consent(
    case: Case,
    actor: User,
    licenses: Iterable[License],
    departments: list[Department],
    scope: ScopeOnce | None = None,
) -> None:
    """The holder's consent (用证授权) for each department to read each license the case relies on
    (``scope``: the actor's license scope, when the caller's plan computed it in this transaction)."""
    scope_of = scope or ScopeOnce(actor)
    days = min(int(getattr(settings, "APPLICATIONS_CONSENT_DAYS", DEFAULT_CONSENT_DAYS)), CONSENT_MAX_DAYS)
    expires_at = timezone.now() + dt.timedelta(days=days)
    for license in licenses:
        if license.holder_code != case.holder_code or effective_status(license) != LicenseStatus.VALID:
            raise Conflict(
                f"电子证照《{license.license_type.name}》已不在有效状态，请重新选择材料",
                code="license_not_valid",
            )
        for department in departments:
            grant_consent(
                actor=actor,
                holder_code=case.holder_code,
                requester=department,
                license=license,
                purpose=f"办件 {case.number}",
                expires_at=expires_at,
                requester_system=REQUESTER_SYSTEM,
                scope=scope_of(),
            )


def _stored_in_vault(case: Case, actor: User, item: MaterialPlanItem, stored: StoredFile) -> VaultItem:
    """The upload in the holder's vault, once (the same file of the same material is not kept twice)."""
    existing = VaultItem.objects.filter(
        holder_code=case.holder_code, material_key=item.material.key or item.key, sha256=stored.sha256
    ).first()
    days = int(getattr(settings, "APPLICATIONS_VAULT_VALID_DAYS", DEFAULT_VAULT_DAYS))
    if existing is not None:
        return existing
    return VaultItem.objects.create(
        holder_code=case.holder_code,
        owner=actor,
        material_key=(item.material.key or item.key)[:64],
        name=item.name[:200],
        file=stored.name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        source_case=case,
        valid_until=timezone.localdate() + dt.timedelta(days=days),
    )


def _row(case: Case, item: MaterialPlanItem, **values: Any) -> CaseMaterial:
    return CaseMaterial(case=case, material=item.material, key=item.key[:64], name=item.name[:200], **values)


def _rows(
    case: Case, actor: User, items: list[MaterialPlanItem], uploads: Mapping[str, StoredFile]
) -> list[CaseMaterial]:
    rows = []
    for item in items:
        if item.satisfied_by == MaterialSource.LICENSE and item.license is not None:
            rows.append(
                _row(
                    case,
                    item,
                    source=MaterialSource.LICENSE,
                    trust=TrustLevel.SIGNED,
                    license=item.license,
                    note=item.why[:300],
                )
            )
        elif item.satisfied_by == MaterialSource.SHARED_DATA:
            rows.append(
                _row(
                    case,
                    item,
                    source=MaterialSource.SHARED_DATA,
                    trust=TrustLevel.VERIFIED,
                    note=item.why[:300],
                )
            )
        elif item.satisfied_by == MaterialSource.VAULT and item.vault_item is not None:
            vault = item.vault_item
            rows.append(
                _row(
                    case,
                    item,
                    source=MaterialSource.VAULT,
                    trust=TrustLevel.DECLARED,
                    vault_item=vault,
                    file=vault.file.name,
                    content_type=vault.content_type,
                    size=vault.size,
                    sha256=vault.sha256,
                    note=item.why[:300],
                )
            )
        elif item.satisfied_by == MaterialSource.UPLOAD and item.key in uploads:
            stored = uploads[item.key]
            source = MaterialSource.PAPER_SCAN if case.channel == Channel.WINDOW else MaterialSource.UPLOAD
            rows.append(
                _row(
                    case,
                    item,
                    source=source,
                    trust=TrustLevel.DECLARED,
                    vault_item=_stored_in_vault(case, actor, item, stored),
                    file=stored.name,
                    file_name=stored.original_name,
                    content_type=stored.content_type,
                    size=stored.size,
                    sha256=stored.sha256,
                )
            )
    return rows


def _still_valid_vault(items: list[MaterialPlanItem], holder_code: str) -> None:
    today = timezone.localdate()
    for item in items:
        vault = item.vault_item
        if (
            item.satisfied_by == MaterialSource.VAULT
            and vault is not None
            and (
                vault.holder_code != holder_code
                or (vault.valid_until is not None and vault.valid_until < today)
            )
        ):
            raise Conflict(f"材料库中的“{item.name}”已过期，请重新上传", code="vault_item_expired")


def _licenses_relied_on(case: Case, items: list[MaterialPlanItem]) -> dict[int, License]:
    """The licenses the case relies on: those satisfying materials, those its prefilled fields came from."""
    licenses = {
        item.license.pk: item.license
        for item in items
        if item.license is not None and item.satisfied_by == MaterialSource.LICENSE
    }
    prefill_identifiers = licenses_used(case.prefilled or {})
    if prefill_identifiers:
        for license in License.objects.filter(identifier__in=sorted(prefill_identifiers)).select_related(
            "license_type"
        ):
            licenses.setdefault(license.pk, license)
    return licenses


@transaction.atomic
def attach(
    *,
    case: Case,
    plan: Sequence[MaterialPlanItem],
    uploads: Mapping[str, StoredFile],
    actor: User,
    consent: bool = True,
) -> list[CaseMaterial]:
    """Write the case's materials (with their trust levels), record the holder's consent for the
    licenses it relies on (materials and prefilled fields), and put new uploads in the holder's vault.

    ``consent=False``: the caller records the consent itself with ``record_consent`` once the case has its
    number (the consent's purpose names it; a submission takes the number last)."""
    return attach_in_transaction(case=case, plan=plan, uploads=uploads, actor=actor, consent=consent)


def attach_in_transaction(
    *,
    case: Case,
    plan: Sequence[MaterialPlanItem],
    uploads: Mapping[str, StoredFile],
    actor: User,
    consent: bool = True,
) -> list[CaseMaterial]:
    """``attach`` without its savepoint, for a caller inside a transaction that rolls back whole on any
    error (a submission): the savepoint would cost two statements and protect nothing."""
    items = list(plan)
    _check_uploads(items, uploads)
    _still_valid_vault(items, case.holder_code)
    licenses = _licenses_relied_on(case, items)
    if consent:
        _consent(case, actor, licenses.values(), _departments(case, items))
    rows = sql.insert_many(_rows(case, actor, items, uploads))  # text made once (core.sql, ADR 0014)
    record_event(
        action=MATERIALS_ATTACHED,
        actor=actor,
        target=case,
        department=case.department,
        subject=case.holder_code,
        details={"materials": {row.key: row.source for row in rows}, "consents": len(licenses)},
    )
    return rows


def record_consent(
    *, case: Case, plan: Sequence[MaterialPlanItem], actor: User, scope: ScopeOnce | None = None
) -> None:
    """The holder's consent for the licenses the case relies on, when ``attach`` was called without it
    (``scope``: the one the submission's plan used)."""
    items = list(plan)
    licenses = _licenses_relied_on(case, items)
    _consent(case, actor, licenses.values(), _departments(case, items), scope)
