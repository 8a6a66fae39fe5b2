"""Consent (用证授权): granted by the holder or a mandated agent, revocable, every read logged."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from yiwang.audit.constants import GroundKind, Outcome
from yiwang.audit.services import record_event, record_read
from yiwang.core import sql
from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.identity.selectors import LicenseScope, may_act_on_license, staff_department_ids
from yiwang.licenses.audit_facts import license_facts, mandate_facts, staff_facts
from yiwang.licenses.constants import (
    CONSENT_MAX_DAYS,
    WINDOW_REQUEST_SECONDS,
    AuditAction,
    ConsentChannel,
)
from yiwang.licenses.models import Consent, ConsentRequest, License, LicenseType
from yiwang.regions.models import Department

# What a requester reads under a consent: the whole license (its signed surface).
LICENSE_READ_FIELDS = ("license",)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_expiry(expires_at: dt.datetime) -> None:
    now = timezone.now()
    if timezone.is_naive(expires_at):
        raise InvalidInput("授权截止时间须带时区", code="naive_datetime")
    if expires_at <= now or expires_at > now + dt.timedelta(days=CONSENT_MAX_DAYS):
        raise InvalidInput(
            f"授权截止时间须在现在之后、{CONSENT_MAX_DAYS}天以内", code="invalid_consent_expiry"
        )


def grant_consent(
    *,
    actor,
    holder_code: str,
    requester: Department,
    purpose: str,
    expires_at: dt.datetime,
    license: License | None = None,
    license_type: LicenseType | None = None,
    requester_system: str = "",
    channel: str = ConsentChannel.PORTAL,
    scope: LicenseScope | None = None,
) -> Consent:
    """The holder (or a mandated agent) lets ``requester`` read one license, or any of one type.

    ``scope``: the actor's ``identity.selectors.license_scope_for``, when the caller computed it in this
    transaction (a submission's materials' plan); else it is computed here."""
    if (license is None) == (license_type is None):
        raise InvalidInput("授权须指明一本证照或一类证照", code="consent_scope_required")
    scoped_type = license.license_type if license is not None else license_type
    type_code = scoped_type.code if scoped_type is not None else ""
    allowed = (
        scope.covers(holder_code=holder_code, license_type_code=type_code)
        if scope is not None
        else may_act_on_license(actor, holder_code=holder_code, license_type_code=type_code)
    )
    if not allowed:
        raise PermissionDenied("只有持证人本人或受托经办人可以授权用证")
    if license is not None and license.holder_code != holder_code:
        raise NotFound("未找到该电子证照", code="license_not_found")
    if not purpose.strip():
        raise InvalidInput("请填写用证用途", code="purpose_required")
    _check_expiry(expires_at)
    consent = Consent(
        holder_code=holder_code,
        license=license,
        license_type=license_type,
        requester=requester,
        requester_system=requester_system[:100],
        purpose=purpose.strip()[:200],
        expires_at=expires_at,
        channel=channel,
        granted_by=actor,
    )
    # The checks above write nothing, so the writes need no savepoint of their own in a caller's
    # transaction (a submission's): a failure of theirs fails the caller's, as it would fail this one.
    with transaction.atomic(savepoint=False):
        sql.insert(consent)  # its text made once (core.sql, ADR 0014): every license-backed submission
        record_event(
            actor=actor,
            action=AuditAction.CONSENT_GRANTED,
            target=consent,
            subject=holder_code,
            purpose=consent.purpose,
            **mandate_facts(actor, holder_code, scope=scope),
            details={
                "requester": requester.credit_code,
                "scope": license.identifier if license else type_code,
            },
        )
    return consent


def _consent_type_code(consent: Consent) -> str:
    if consent.license_type is not None:
        return consent.license_type.code
    return consent.license.license_type.code if consent.license is not None else ""


@transaction.atomic
def revoke_consent(*, actor, consent_id: int) -> Consent:
    """Withdraw a consent at once; later reads under it are refused."""
    consent = Consent.objects.select_for_update().filter(pk=consent_id).first()
    if consent is None or not may_act_on_license(
        actor, holder_code=consent.holder_code, license_type_code=_consent_type_code(consent)
    ):
        raise NotFound("未找到该授权", code="consent_not_found")
    if consent.revoked_at is None:
        consent.revoked_at = timezone.now()
        consent.save(update_fields=["revoked_at"])
        record_event(
            actor=actor,
            action=AuditAction.CONSENT_REVOKED,
            target=consent,
            subject=consent.holder_code,
            **mandate_facts(actor, consent.holder_code),
        )
    return consent


@transaction.atomic
def create_consent_request(
    *, actor, requester: Department, license_type: LicenseType, purpose: str, consent_days: int = 1
) -> tuple[ConsentRequest, str]:
    """A window clerk asks for consent; the returned token goes into the QR code the holder scans."""
    if requester.pk not in staff_department_ids(actor):
        raise PermissionDenied("只能以本人所在部门的名义申请用证授权")
    if not 1 <= consent_days <= CONSENT_MAX_DAYS or not purpose.strip():
        raise InvalidInput("请填写用途，授权天数须在1至366天之间", code="invalid_consent_request")
    token = secrets.token_urlsafe(24)
    request = ConsentRequest.objects.create(
        token_hash=token_hash(token),
        requester=requester,
        requested_by=actor,
        license_type=license_type,
        purpose=purpose.strip()[:200],
        consent_days=consent_days,
        expires_at=timezone.now() + dt.timedelta(seconds=WINDOW_REQUEST_SECONDS),
    )
    record_event(
        actor=actor,
        action=AuditAction.CONSENT_REQUESTED,
        target=request,
        purpose=request.purpose,
        **staff_facts(actor, requester),
        details={"requester": requester.credit_code, "license_type": license_type.code},
    )
    return request, token


def get_pending_consent_request(*, token: str) -> ConsentRequest:
    request = (
        ConsentRequest.objects.select_related("requester", "license_type")
        .filter(token_hash=token_hash(token), consent__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if request is None:
        raise NotFound("授权二维码无效或已过期", code="consent_request_not_found")
    return request


@transaction.atomic
def accept_consent_request(*, actor, token: str, holder_code: str) -> Consent:
    """The holder scans the window's code and grants the consent it describes."""
    request = get_pending_consent_request(token=token)
    request = ConsentRequest.objects.select_for_update().get(pk=request.pk)
    if request.consent_id:
        raise NotFound("授权二维码无效或已过期", code="consent_request_not_found")
    consent = grant_consent(
        actor=actor,
        holder_code=holder_code,
        requester=request.requester,
        purpose=request.purpose,
        license_type=request.license_type,
        channel=ConsentChannel.WINDOW_CODE,
        expires_at=timezone.now() + dt.timedelta(days=request.consent_days),
    )
    request.consent = consent
    request.save(update_fields=["consent"])
    return consent


def _matching_consent(*, license: License, requester: Department) -> Consent | None:
    return (
        Consent.objects.filter(
            Q(license=license) | Q(license_type_id=license.license_type_id, holder_code=license.holder_code),
            requester=requester,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )


def _record_use(*, actor, license: License, requester: Department, consent: Consent | None) -> None:
    """Log a requester's read under a consent (or its refusal): the holder sees it among their uses."""
    record_read(
        action=AuditAction.LICENSE_USED,
        actor=actor,
        fields=LICENSE_READ_FIELDS,
        purpose=consent.purpose if consent else "",
        outcome=Outcome.ALLOWED if consent else Outcome.REFUSED,
        reason="" if consent else "no_consent",
        ground_kind=GroundKind.CONSENT if consent else GroundKind.NONE,
        ground_ref=str(consent.pk) if consent else "",
        system=consent.requester_system if consent else "",
        **license_facts(license),
        **staff_facts(actor, requester),
        details={"requester": requester.credit_code},
    )


def read_license_with_consent(*, actor, identifier: str, requester_credit_code: str) -> License:
    """A requester's read: only under a consent in force, logged either way; refusals look like 404."""
    requester = Department.objects.filter(credit_code=requester_credit_code).first()
    if requester is None or requester.pk not in staff_department_ids(actor):
        raise NotFound("未找到该电子证照", code="license_not_found")
    license = (
        License.objects.select_related("license_type", "issuer")
        .filter(identifier=identifier.strip().upper())
        .first()
    )
    if license is None:
        raise NotFound("未找到该电子证照", code="license_not_found")
    with transaction.atomic():
        consent = _matching_consent(license=license, requester=requester)
        _record_use(actor=actor, license=license, requester=requester, consent=consent)
    if consent is None:
        raise NotFound("未找到该电子证照，或持证人未授权本部门使用", code="license_not_found")
    return license
