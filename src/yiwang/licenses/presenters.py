"""Plain dicts of licenses, keys, consents and verifications, shared by the API and the pages."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from yiwang.audit.constants import Outcome
from yiwang.audit.models import AuditEntry

from .constants import UseOutcome
from .models import Consent, License, SigningKey
from .selectors import Verification, effective_status, key_pem, list_status_history


def license_summary(license: License) -> dict[str, Any]:
    return {
        "identifier": license.identifier,
        "type_code": license.license_type.code,
        "type_name": license.license_type.name,
        "issuer_name": license.issuer.name,
        "holder_name": license.holder_name,
        "issued_on": license.issued_on,
        "valid_until": license.valid_until,
        "status": effective_status(license),
        "trust_level": license.trust_level,
    }


def license_detail(license: License) -> dict[str, Any]:
    history = [
        {
            "from_status": change.from_status,
            "to_status": change.to_status,
            "reason": change.reason,
            "created_at": change.created_at,
        }
        for change in list_status_history(license=license)
    ]
    return {
        **license_summary(license),
        "issuer_credit_code": license.issuer.credit_code,
        "holder_kind": license.holder_kind,
        "holder_code": license.holder_code,
        "surface": license.surface,
        "key_id": license.signing_key.key_id,
        "history": history,
    }


def surface_rows(license: License) -> list[tuple[str, Any]]:
    """The surface in the type's display order, as (label, value) pairs."""
    layout = license.license_type.display_layout or [{"field": key, "label": key} for key in license.surface]
    return [
        (item["label"], license.surface.get(item["field"], ""))
        for item in layout
        if item["field"] in license.surface
    ]


def key_out(key: SigningKey) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "department_credit_code": key.department.credit_code,
        "department_name": key.department.name,
        "status": key.status,
        "activated_at": key.activated_at,
        "retired_at": key.retired_at,
        "public_key_pem": key_pem(key),
    }


def consent_out(consent: Consent) -> dict[str, Any]:
    return {
        "id": consent.pk,
        "holder_code": consent.holder_code,
        "identifier": consent.license.identifier if consent.license_id else None,
        "type_code": consent.license_type.code if consent.license_type_id else None,
        "requester_credit_code": consent.requester.credit_code,
        "requester_name": consent.requester.name,
        "requester_system": consent.requester_system,
        "purpose": consent.purpose,
        "channel": consent.channel,
        "expires_at": consent.expires_at,
        "revoked_at": consent.revoked_at,
        "is_active": consent.revoked_at is None and consent.expires_at > timezone.now(),
    }


def use_out(entry: AuditEntry) -> dict[str, Any]:
    """One read of a license, from the audit log, as the holder sees it."""
    return {
        "identifier": entry.object_id,
        "requester_name": entry.actor_department.name if entry.actor_department_id else None,
        "purpose": entry.purpose,
        "outcome": UseOutcome.GRANTED if entry.outcome == Outcome.ALLOWED else UseOutcome.REFUSED,
        "created_at": entry.occurred_at,
    }


def verification_out(result: Verification) -> dict[str, Any]:
    return {
        "is_valid": result.is_valid,
        "signature_ok": result.signature_ok,
        "key_status": result.key_status,
        "status": result.status,
        "within_validity": result.within_validity,
        "problems": result.problems,
        "license": result.summary,
    }
