"""Showing a license (亮证): a short-lived token behind a QR code that a verifier scans."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from yiwang.audit.constants import GroundKind
from yiwang.audit.services import record_event, record_read
from yiwang.core.errors import NotFound
from yiwang.licenses.audit_facts import license_facts
from yiwang.licenses.constants import SHOW_TOKEN_SECONDS, AuditAction
from yiwang.licenses.models import License, ShowToken

from .consents import token_hash

# What a scanner sees: the verification summary (holder name masked), not the license's surface.
SCAN_FIELDS = ("verification_summary",)


@transaction.atomic
def create_show_token(*, actor, license: License) -> tuple[str, dt.datetime]:
    """A token valid for a few minutes; call only with a license from the holder's access gate."""
    token = secrets.token_urlsafe(18)
    expires_at = timezone.now() + dt.timedelta(seconds=SHOW_TOKEN_SECONDS)
    ShowToken.objects.create(
        token_hash=token_hash(token), license=license, created_by=actor, expires_at=expires_at
    )
    record_event(actor=actor, action=AuditAction.LICENSE_SHOWN, **license_facts(license))
    return token, expires_at


@transaction.atomic
def scan_show_token(*, token: str) -> License:
    """The license behind a shown QR code, while the code is fresh; counts and logs the scan."""
    shown = ShowToken.objects.filter(token_hash=token_hash(token), expires_at__gt=timezone.now()).first()
    if shown is None:
        raise NotFound("亮证码无效或已过期，请持证人刷新", code="show_token_expired")
    ShowToken.objects.filter(pk=shown.pk).update(scans=F("scans") + 1)
    license = License.objects.select_related("license_type", "issuer", "signing_key").get(pk=shown.license_id)
    # The verifier is anonymous; the holder's showing of the code is the ground, and they see the scan.
    record_read(
        action=AuditAction.LICENSE_SCANNED,
        fields=SCAN_FIELDS,
        purpose="亮证核验",
        ground_kind=GroundKind.CONSENT,
        ground_ref=f"show:{shown.pk}",
        **license_facts(license),
    )
    return license
