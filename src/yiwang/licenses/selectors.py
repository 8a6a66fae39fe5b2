"""Reads of the licenses domain: the access gate, holder lists, published keys, verification."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from yiwang.audit.models import AuditEntry
from yiwang.audit.selectors import subject_hash
from yiwang.audit.services import record_read
from yiwang.core.crypto import public_key_from_pem, public_key_to_pem
from yiwang.core.crypto.sm2 import InvalidKey
from yiwang.core.errors import NotFound
from yiwang.identity.selectors import (
    LicenseScope,
    department_ids_with_permission,
    license_scope_for,
    may_act_on_license,
)
from yiwang.regions.models import Department

from .audit_facts import LICENSE_OBJECT, license_facts, mandate_facts, staff_facts
from .constants import AuditAction, LicenseStatus
from .identifiers import is_valid_identifier
from .models import Consent, License, LicenseStatusChange, LicenseType, SigningKey
from .signed_form import MalformedBundle, build_bundle, open_bundle, signature_is_valid


def effective_status(license: License, *, today: dt.date | None = None) -> str:
    """The status a reader must act on: a valid license past its last day is expired."""
    today = today or timezone.localdate()
    if license.status == LicenseStatus.VALID and license.valid_until and license.valid_until < today:
        return LicenseStatus.EXPIRED
    return license.status


# What an agent or the issuing department's staff see through the gate: the license with its surface.
_GATE_READ_FIELDS = ("license",)


@transaction.atomic
def _log_third_party_read(actor, license: License) -> None:
    """Log a read by a mandated agent or an issuing-department administrator, with the ground of it."""
    facts = mandate_facts(actor, license.holder_code) or staff_facts(actor, license.issuer)
    record_read(
        action=AuditAction.LICENSE_READ,
        actor=actor,
        fields=_GATE_READ_FIELDS,
        purpose="经办人/签发部门查看",
        **license_facts(license),
        **facts,
    )


def access_license_by_identifier(*, actor, identifier: str, scope: LicenseScope | None = None) -> License:
    """The license if the actor holds it, acts for its holder or administers its issuer; else NotFound.

    ``scope``: the actor's ``license_scope_for`` if the caller computed it already (in this call chain)."""
    license = (
        License.objects.select_related("license_type", "issuer", "signing_key")
        .filter(identifier=(identifier or "").strip().upper())
        .first()
    )
    if license is None:
        raise NotFound("未找到该电子证照", code="license_not_found")
    if scope is None:
        scope = license_scope_for(actor)
    if license.holder_code in scope.own:
        return license
    if scope.covers(
        holder_code=license.holder_code, license_type_code=license.license_type.code
    ) or license.issuer_id in department_ids_with_permission(actor, "license.view"):
        _log_third_party_read(actor, license)  # the holder sees agents and staff reading their license
        return license
    raise NotFound("未找到该电子证照", code="license_not_found")


def list_licenses_for_actor(*, actor, holder_code: str | None = None) -> QuerySet[License]:
    """Licenses the actor may act on (of one holder if given); a mandate shows only the types in its scope."""
    licenses = License.objects.filter(license_scope_for(actor).as_q(type_fields=["license_type__code"]))
    if holder_code is not None:
        licenses = licenses.filter(holder_code=holder_code)
    return licenses.select_related("license_type", "issuer")


def is_holder_side(*, actor, license: License) -> bool:
    """Whether the actor reads the license as its holder or for its holder (not as staff)."""
    return may_act_on_license(
        actor, holder_code=license.holder_code, license_type_code=license.license_type.code
    )


def list_license_types() -> QuerySet[LicenseType]:
    return LicenseType.objects.filter(is_active=True).order_by("code")


def list_issuable_license_types(*, actor) -> QuerySet[LicenseType]:
    """Active types the actor may issue: a type naming its issuing departments only by one of the actor's."""
    department_ids = department_ids_with_permission(actor, "license.issue")
    if not department_ids:
        return LicenseType.objects.none()
    named = LicenseType.objects.filter(issuing_departments__in=department_ids).values("pk")
    return (
        list_license_types()
        .filter(Q(issuing_departments__isnull=True) | Q(pk__in=named))
        .distinct()
        .order_by("name", "code")
    )


def list_consent_requesters(*, name_contains: str = "") -> QuerySet[Department]:
    """Departments a holder may consent to, by region and name; those whose name contains a text if given."""
    departments = Department.objects.select_related("region").order_by("region_id", "name")
    name_contains = name_contains.strip()
    if name_contains:
        departments = departments.filter(
            Q(name__icontains=name_contains) | Q(short_name__icontains=name_contains)
        )
    return departments


def list_status_history(*, license: License) -> QuerySet[LicenseStatusChange]:
    return license.status_changes.order_by("created_at", "id")


def list_consents_for_actor(*, actor) -> QuerySet[Consent]:
    in_scope = license_scope_for(actor).as_q(
        type_fields=["license_type__code", "license__license_type__code"]
    )
    return Consent.objects.filter(in_scope).select_related(
        "license__license_type", "license_type", "requester"
    )


# The entries a holder sees as "uses of my licenses": reads by requesters, agents, issuing staff, scanners.
USE_ACTIONS = (AuditAction.LICENSE_USED, AuditAction.LICENSE_READ, AuditAction.LICENSE_SCANNED)


def list_uses_for_actor(*, actor) -> QuerySet[AuditEntry]:
    """Reads of the licenses of the holders the actor may act for, newest first (from the audit log)."""
    scope = license_scope_for(actor)
    hashes = sorted(subject_hash(code) for code in scope.all_types)
    # A mandate limited to some items shows the uses of the licenses of the types in its scope only.
    partial = LicenseScope(some_types=scope.some_types).as_q(type_fields=["license_type__code"])
    typed = License.objects.filter(partial)
    return (
        AuditEntry.objects.filter(object_type=LICENSE_OBJECT, action__in=USE_ACTIONS)
        .filter(Q(subject_hash__in=hashes) | Q(object_id__in=typed.values("identifier")))
        .select_related("actor_department")
        .order_by("-occurred_at", "-id")
    )


def list_published_keys() -> QuerySet[SigningKey]:
    """Every issuer key ever used, active or retired: what verifiers need."""
    return SigningKey.objects.select_related("department").order_by(
        "department__credit_code", "-activated_at"
    )


def get_published_key(*, key_id: str) -> SigningKey:
    key = SigningKey.objects.select_related("department").filter(key_id=key_id).first()
    if key is None:
        raise NotFound("未找到该签名公钥", code="key_not_found")
    return key


def key_pem(key: SigningKey) -> str:
    return public_key_to_pem(bytes.fromhex(key.public_key))


def get_bundle(*, license: License) -> dict[str, Any]:
    """The verification bundle of a license obtained through the access gate."""
    return build_bundle(
        payload=license.payload,
        signature=bytes(license.signature),
        public_key=bytes.fromhex(license.signing_key.public_key),
    )


@dataclass
class Verification:
    """The outcome of a verification: each check, and the minimal fields a verifier may see."""

    is_valid: bool = False
    signature_ok: bool = False
    key_status: str = "unknown"
    status: str = "unknown"
    within_validity: bool = False
    problems: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def _mask_name(name: str) -> str:
    """A person's name with all but the surname's first character hidden (张*, 欧阳**)."""
    return name[:1] + "*" * (len(name) - 1)


def _summary(payload: dict[str, Any], status: str) -> dict[str, Any]:
    holder = payload.get("holder", {})
    name = holder.get("name", "")
    return {
        "identifier": payload.get("identifier"),
        "type_name": payload.get("type", {}).get("name"),
        "issuer_name": payload.get("issuer", {}).get("name"),
        "holder_name": _mask_name(name) if holder.get("kind") == "person" else name,
        "issued_on": payload.get("issued_on"),
        "valid_until": payload.get("valid_until"),
        "status": status,
    }


def _finish(result: Verification, payload: dict[str, Any], license: License | None) -> Verification:
    today = timezone.localdate().isoformat()
    valid_until = payload.get("valid_until")
    result.within_validity = (payload.get("valid_from") or "") <= today and (
        valid_until is None or valid_until >= today
    )
    result.status = effective_status(license) if license else "unknown"
    if license is None:
        result.problems.append("平台未登记该证照")
    elif result.status != LicenseStatus.VALID:
        result.problems.append(f"证照状态：{LicenseStatus(result.status).label}")
    if not result.within_validity:
        result.problems.append("不在有效期内")
    result.is_valid = (
        result.signature_ok and result.key_status != "unknown" and result.status == LicenseStatus.VALID
    )
    result.is_valid = result.is_valid and result.within_validity
    result.summary = _summary(payload, result.status)
    return result


def verify_canonical(
    *, canonical: bytes, signature: bytes, payload: dict[str, Any], key_id: str
) -> Verification:
    """Check signature under the published key named in the payload, key, status and validity."""
    result = Verification()
    key = SigningKey.objects.filter(key_id=key_id).first()
    if key is None:
        result.problems.append("签名公钥不是平台公布的签发机构公钥")
    else:
        result.key_status = key.status
        result.signature_ok = signature_is_valid(
            canonical=canonical, signature=signature, public_key=bytes.fromhex(key.public_key)
        )
        if not result.signature_ok:
            result.problems.append("签名验证未通过：内容被篡改或签名无效")
    identifier = str(payload.get("identifier", ""))
    license = (
        License.objects.filter(identifier=identifier).first() if is_valid_identifier(identifier) else None
    )
    if license is not None and key is not None and license.signing_key_id != key.pk:
        result.signature_ok = False
        result.problems.append("签名密钥与平台登记不一致")
    return _finish(result, payload, license)


def verify_license_identifier(*, identifier: str) -> Verification:
    """Verify what the platform holds under ``identifier`` (signature re-checked, not trusted)."""
    from yiwang.core.crypto import canonicalize

    license = (
        License.objects.select_related("signing_key").filter(identifier=identifier.strip().upper()).first()
    )
    if license is None:
        raise NotFound("未找到该电子证照", code="license_not_found")
    return verify_canonical(
        canonical=canonicalize(license.payload),
        signature=bytes(license.signature),
        payload=license.payload,
        key_id=license.signing_key.key_id,
    )


def verify_bundle(*, bundle: dict[str, Any]) -> Verification:
    """Verify a holder's bundle: its key must be a published key, whatever key the bundle carries."""
    try:
        opened = open_bundle(bundle)
    except MalformedBundle:
        return Verification(problems=["验证包格式不正确"])
    if opened.public_key_pem:
        try:
            carried = public_key_from_pem(opened.public_key_pem)
        except InvalidKey:
            return Verification(problems=["验证包中的公钥格式不正确"])
        published = (
            SigningKey.objects.filter(key_id=opened.key_id).values_list("public_key", flat=True).first()
        )
        if published and published != carried.hex():
            return Verification(problems=["验证包中的公钥与平台公布的公钥不一致"])
    return verify_canonical(
        canonical=opened.canonical, signature=opened.signature, payload=opened.payload, key_id=opened.key_id
    )
