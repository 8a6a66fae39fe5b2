"""Reads of the licenses domain: the access gate, holder lists, published keys, verification."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from yiwang.audit.models import AuditEntry
from yiwang.audit.selectors import subject_hash
from yiwang.audit.services import record_read
from yiwang.core import sql
from yiwang.core.crypto import canonicalize, public_key_from_pem, public_key_to_pem
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
    return _effective(license.status, license.valid_until, today or timezone.localdate())


def _effective(status: str, valid_until: dt.date | None, today: dt.date) -> str:
    if status == LicenseStatus.VALID and valid_until and valid_until < today:
        return LicenseStatus.EXPIRED
    return status


# What an agent or the issuing department's staff see through the gate: the license with its surface.
_GATE_READ_FIELDS = ("license",)


@transaction.atomic
def _log_third_party_read(actor, license: License, scope: LicenseScope | None = None) -> None:
    """Log a read by a mandated agent or an issuing-department administrator, with the ground of it."""
    facts = mandate_facts(actor, license.holder_code, scope=scope) or staff_facts(actor, license.issuer)
    record_read(
        action=AuditAction.LICENSE_READ,
        actor=actor,
        fields=_GATE_READ_FIELDS,
        purpose="经办人/签发部门查看",
        **license_facts(license),
        **facts,
    )


# What the gate and the license's readers need with it: its type, issuer and key (``select_related``).
_GATE_RELATED = ("license_type", "issuer", "signing_key")


def valid_licenses_of(*, holder_code: str, license_type_code: str) -> list[License]:
    """The holder's licenses of the type whose status is valid, newest first, with what the gate needs
    (not yet through it). In SQL: read on every submission (core.sql, ADR 0014)."""
    return sql.rows(
        License,
        "licenses_license.holder_code = %s AND t1.code = %s AND licenses_license.status = %s",
        [holder_code, license_type_code, str(LicenseStatus.VALID)],
        order_by="licenses_license.issued_on DESC, licenses_license.id DESC",
        related=_GATE_RELATED,
    )


def access_license_by_identifier(*, actor, identifier: str, scope: LicenseScope | None = None) -> License:
    """The license if the actor holds it, acts for its holder or administers its issuer; else NotFound.

    ``scope``: the actor's ``license_scope_for`` if the caller computed it already (in this call chain)."""
    found = sql.rows(
        License,
        "licenses_license.identifier = %s",
        [(identifier or "").strip().upper()],
        related=_GATE_RELATED,
    )
    if not found:
        raise NotFound("未找到该电子证照", code="license_not_found")
    return access_license(actor=actor, license=found[0], scope=scope)


def access_license(*, actor, license: License, scope: LicenseScope | None = None) -> License:
    """The gate on a license row the caller read with its type and issuer (``valid_licenses_of``, or by
    identifier above): the row if the actor holds it, acts for its holder or administers its issuer (an
    agent's or staff's read is logged); else NotFound."""
    if scope is None:
        scope = license_scope_for(actor)
    if license.holder_code in scope.own:
        return license
    if scope.covers(
        holder_code=license.holder_code, license_type_code=license.license_type.code
    ) or license.issuer_id in department_ids_with_permission(actor, "license.view"):
        _log_third_party_read(actor, license, scope)  # the holder sees agents and staff reading their license
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


def _finish(result: Verification, payload: dict[str, Any], license: _VerifiedRow | None) -> Verification:
    today = timezone.localdate()
    valid_until = payload.get("valid_until")
    result.within_validity = (payload.get("valid_from") or "") <= today.isoformat() and (
        valid_until is None or valid_until >= today.isoformat()
    )
    result.status = _effective(license.status, license.valid_until, today) if license else "unknown"
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


# --- verification's reads: one indexed query per request ---------------------------------------------
#
# A verification needs the license's status, validity, payload and signature and its key's public key
# and status. They are read in ONE statement (license joined to its key, by the unique identifier), not
# through the ORM: compiling three ORM queries cost ~3x the SM2 check itself (bench/README.md, "License
# verification: where the time goes"). Nothing about a license or a key's status is cached between
# requests, so a revocation, suspension or key rotation committed on any node is seen by the next
# verification on every node. What is cached per process is only what never changes for a key id: the
# public key bytes (a key row's public key is immutable once published; see ``_public_key``).


@dataclass(frozen=True)
class _VerifiedRow:
    """The columns of one license and its signing key that a verification reads."""

    status: str
    valid_until: dt.date | None
    payload: Any  # JSON text as stored (or already decoded, depending on the driver)
    signature: bytes
    key_pk: int
    key_id: str
    key_status: str
    public_key_hex: str

    def decoded_payload(self) -> Any:
        return json.loads(self.payload) if isinstance(self.payload, str | bytes) else self.payload


@lru_cache(maxsize=1)
def _verification_sql() -> str:
    """The one statement, its names taken from the models (no input reaches the text: ``%s`` binds it)."""
    quote = connection.ops.quote_name

    def column(model, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    picked = [f"l.{column(License, name)}" for name in ("status", "valid_until", "payload", "signature")]
    picked += [f"k.{column(SigningKey, name)}" for name in ("id", "key_id", "status", "public_key")]
    licenses, keys = quote(License._meta.db_table), quote(SigningKey._meta.db_table)
    joined = f"k.{column(SigningKey, 'id')} = l.{column(License, 'signing_key')}"
    where = f"l.{column(License, 'identifier')} = %s"
    return f"SELECT {', '.join(picked)} FROM {licenses} l JOIN {keys} k ON {joined} WHERE {where}"  # noqa: S608


def _verification_row(identifier: str) -> _VerifiedRow | None:
    """The license registered under ``identifier`` with its key, in one query; None when there is none."""
    with connection.cursor() as cursor:
        cursor.execute(_verification_sql(), [identifier])
        row = cursor.fetchone()
    if row is None:
        return None
    status, valid_until, payload, signature, key_pk, key_id, key_status, public_key_hex = row
    if isinstance(valid_until, str):  # a driver that hands dates back as text
        valid_until = dt.date.fromisoformat(valid_until)
    return _VerifiedRow(
        status, valid_until, payload, bytes(signature), key_pk, key_id, key_status, public_key_hex
    )


@lru_cache(maxsize=4096)
def _public_key(public_key_hex: str) -> bytes:
    """The 64 key bytes of a published key's hex form (keyed by the immutable value, never by key id)."""
    return bytes.fromhex(public_key_hex)


def _check_signature(
    result: Verification, *, canonical: bytes, signature: bytes, key_status: str, public_key_hex: str
) -> None:
    result.key_status = key_status
    result.signature_ok = signature_is_valid(
        canonical=canonical, signature=signature, public_key=_public_key(public_key_hex)
    )
    if not result.signature_ok:
        result.problems.append("签名验证未通过：内容被篡改或签名无效")


def verify_canonical(
    *, canonical: bytes, signature: bytes, payload: dict[str, Any], key_id: str
) -> Verification:
    """Check signature under the published key named in the payload, key, status and validity."""
    identifier = str(payload.get("identifier", ""))
    row = _verification_row(identifier) if is_valid_identifier(identifier) else None
    return _verify_against(canonical=canonical, signature=signature, payload=payload, key_id=key_id, row=row)


def _verify_against(
    *, canonical: bytes, signature: bytes, payload: dict[str, Any], key_id: str, row: _VerifiedRow | None
) -> Verification:
    result = Verification()
    if row is not None and row.key_id == key_id:  # the usual case: the key came with the license's row
        key: tuple[int, str, str] | None = (row.key_pk, row.key_status, row.public_key_hex)
    else:
        key = SigningKey.objects.filter(key_id=key_id).values_list("pk", "status", "public_key").first()
    if key is None:
        result.problems.append("签名公钥不是平台公布的签发机构公钥")
    else:
        _check_signature(
            result, canonical=canonical, signature=signature, key_status=key[1], public_key_hex=key[2]
        )
    if row is not None and key is not None and row.key_pk != key[0]:
        result.signature_ok = False
        result.problems.append("签名密钥与平台登记不一致")
    return _finish(result, payload, row)


def verify_license_identifier(*, identifier: str) -> Verification:
    """Verify what the platform holds under ``identifier`` (signature re-checked, not trusted)."""
    row = _verification_row(identifier.strip().upper())
    if row is None:
        raise NotFound("未找到该电子证照", code="license_not_found")
    payload = row.decoded_payload()
    return _verify_against(
        canonical=canonicalize(payload),
        signature=row.signature,
        payload=payload,
        key_id=row.key_id,
        row=row,
    )


def verify_bundle(*, bundle: dict[str, Any]) -> Verification:
    """Verify a holder's bundle: its key must be a published key, whatever key the bundle carries."""
    try:
        opened = open_bundle(bundle)
    except MalformedBundle:
        return Verification(problems=["验证包格式不正确"])
    identifier = str(opened.payload.get("identifier", ""))
    row = _verification_row(identifier) if is_valid_identifier(identifier) else None
    if opened.public_key_pem:
        try:
            carried = public_key_from_pem(opened.public_key_pem)
        except InvalidKey:
            return Verification(problems=["验证包中的公钥格式不正确"])
        if row is not None and row.key_id == opened.key_id:
            published: str | None = row.public_key_hex
        else:
            published = (
                SigningKey.objects.filter(key_id=opened.key_id).values_list("public_key", flat=True).first()
            )
        if published and published != carried.hex():
            return Verification(problems=["验证包中的公钥与平台公布的公钥不一致"])
    return _verify_against(
        canonical=opened.canonical,
        signature=opened.signature,
        payload=opened.payload,
        key_id=opened.key_id,
        row=row,
    )
