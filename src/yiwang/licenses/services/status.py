"""License status: suspend, revoke, reinstate, expire; every consent and pending request is told."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from yiwang.audit.services import record_event
from yiwang.core.changes import LICENSE_REVOKED, ChangeKind, announce, announce_now
from yiwang.core.errors import Conflict, NotFound
from yiwang.identity.selectors import has_permission_in
from yiwang.licenses.audit_facts import license_facts, staff_facts
from yiwang.licenses.constants import LICENSE_STATUS_CHANGED, AuditAction, LicenseStatus, NoticeKind
from yiwang.licenses.models import Consent, ConsentRequest, License, LicenseNotice, LicenseStatusChange

from .holder_messages import tell_license_revoked

_ALLOWED = {
    LicenseStatus.VALID: {LicenseStatus.SUSPENDED, LicenseStatus.REVOKED, LicenseStatus.EXPIRED},
    LicenseStatus.SUSPENDED: {LicenseStatus.VALID, LicenseStatus.REVOKED},
    LicenseStatus.EXPIRED: {LicenseStatus.REVOKED},
    LicenseStatus.REVOKED: set(),
}
_NOTICE = {
    LicenseStatus.SUSPENDED: NoticeKind.LICENSE_SUSPENDED,
    LicenseStatus.REVOKED: NoticeKind.LICENSE_REVOKED,
    LicenseStatus.VALID: NoticeKind.LICENSE_REINSTATED,
}


def active_consents_for(license: License, *, now: dt.datetime | None = None):
    """Consents in force that reach this license: naming it, or its type for its holder."""
    now = now or timezone.now()
    return Consent.objects.filter(
        Q(license=license) | Q(license_type_id=license.license_type_id, holder_code=license.holder_code),
        revoked_at__isnull=True,
        expires_at__gt=now,
    )


def _tell(license: License, to_status: str) -> list[int]:
    """Write one notice per active consent and pending window request, then announce after commit."""
    kind = _NOTICE.get(LicenseStatus(to_status))
    if kind is None:
        return []
    consents = list(active_consents_for(license))
    LicenseNotice.objects.bulk_create(
        LicenseNotice(license=license, kind=kind, consent=consent, recipient_id=consent.requester_id)
        for consent in consents
    )
    pending = ConsentRequest.objects.filter(
        license_type_id=license.license_type_id, consent__isnull=True, expires_at__gt=timezone.now()
    )
    LicenseNotice.objects.bulk_create(
        LicenseNotice(license=license, kind=kind, consent_request=request, recipient_id=request.requester_id)
        for request in pending
    )
    announce(
        LICENSE_STATUS_CHANGED,
        identifier=license.identifier,
        status=to_status,
        consent_ids=[consent.pk for consent in consents],
        requester_ids=sorted({consent.requester_id for consent in consents}),
    )
    return [consent.pk for consent in consents]


def _announce_revoked(license: License, history: LicenseStatusChange) -> None:
    """Tell the exchange's subscribers of the license library, in this transaction (ADR 0007)."""
    announce_now(
        LICENSE_REVOKED,
        identifier=license.identifier,
        license_type_code=license.license_type.code,
        holder_kind=license.holder_kind,
        holder_code=license.holder_code,
        issuer_id=license.issuer_id,
        kind=ChangeKind.LICENSE_REVOKED,
        changes={"status": {"old": history.from_status, "new": history.to_status}},
        occurred_at=(license.status_changed_at or timezone.now()).isoformat(),
        change_id=history.pk,
    )


@transaction.atomic
def change_license_status(*, license: License, to_status: str, reason: str, changed_by=None) -> License:
    """Move a license to ``to_status`` under a row lock, keep history, tell every consent."""
    license = License.objects.select_for_update().get(pk=license.pk)
    if to_status not in _ALLOWED[LicenseStatus(license.status)]:
        raise Conflict(
            f"证照当前为“{license.get_status_display()}”，不能变更为该状态", code="invalid_transition"
        )
    from_status = license.status
    license.status = to_status
    license.status_changed_at = timezone.now()
    license.save(update_fields=["status", "status_changed_at"])
    user = changed_by if getattr(changed_by, "is_authenticated", False) else None
    history = LicenseStatusChange.objects.create(
        license=license, from_status=from_status, to_status=to_status, reason=reason[:200], changed_by=user
    )
    told = _tell(license, to_status)
    if to_status == LicenseStatus.REVOKED:
        _announce_revoked(license, history)
        tell_license_revoked(license=license, reason=history.reason)
    record_event(
        actor=changed_by,
        action=AuditAction.LICENSE_STATUS_CHANGED,
        **license_facts(license),
        **staff_facts(changed_by, license.issuer),
        details={
            "from_status": from_status,
            "to_status": to_status,
            "reason": reason[:200],
            "consents_told": told,
        },
    )
    return license


def change_license_status_by_staff(*, actor, identifier: str, to_status: str, reason: str) -> License:
    """Suspend, revoke or reinstate as a license administrator of the issuing department."""
    license = License.objects.filter(identifier=identifier.strip().upper()).first()
    if license is None or not has_permission_in(
        actor=actor, permission="license.revoke", department_id=license.issuer_id
    ):
        raise NotFound("未找到该电子证照", code="license_not_found")
    if to_status == LicenseStatus.EXPIRED:
        raise Conflict("过期由有效期决定，不能手工设置", code="invalid_transition")
    return change_license_status(license=license, to_status=to_status, reason=reason, changed_by=actor)


def expire_licenses(*, today: dt.date | None = None) -> int:
    """Mark valid licenses past their last valid day as expired (a daily task); returns how many."""
    today = today or timezone.localdate()
    due = License.objects.filter(status=LicenseStatus.VALID, valid_until__lt=today).values_list(
        "pk", flat=True
    )
    count = 0
    for pk in list(due[:10000]):
        change_license_status(license=License(pk=pk), to_status=LicenseStatus.EXPIRED, reason="有效期届满")
        count += 1
    return count
