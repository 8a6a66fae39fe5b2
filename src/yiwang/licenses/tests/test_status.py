"""Status changes: allowed transitions, history, and every consent and pending request told at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.core import changes
from yiwang.core.errors import Conflict
from yiwang.licenses.constants import LICENSE_STATUS_CHANGED, LicenseStatus, NoticeKind
from yiwang.licenses.models import LicenseNotice
from yiwang.licenses.services import (
    change_license_status,
    create_consent_request,
    expire_licenses,
    grant_consent,
)

from .factories import DepartmentFactory, make_license

pytestmark = pytest.mark.django_db


def test_suspension_tells_every_consent_and_pending_request(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    # given a second consent (by type) and a pending window request for the license's type
    other = DepartmentFactory()
    by_type = grant_consent(
        actor=world.holder,
        holder_code=world.holder.id_number,
        requester=other,
        license_type=world.license.license_type,
        purpose="按类型授权",
        expires_at=timezone.now() + dt.timedelta(days=2),
    )
    pending, _ = create_consent_request(
        actor=world.requester,
        requester=world.requester_department,
        license_type=world.license.license_type,
        purpose="窗口",
    )
    heard: list[dict] = []
    # the notification hook: a subscriber of the topic, as the notifications app will be
    monkeypatch.setitem(
        changes._subscribers, LICENSE_STATUS_CHANGED, [lambda **payload: heard.append(payload)]
    )
    # when the issuer suspends the license
    with django_capture_on_commit_callbacks(execute=True):
        change_license_status(
            license=world.license,
            to_status=LicenseStatus.SUSPENDED,
            reason="核查中",
            changed_by=world.issuer_staff,
        )
    # then both active consents (not the expired one) and the pending request got a notice
    notices = LicenseNotice.objects.filter(license=world.license, kind=NoticeKind.LICENSE_SUSPENDED)
    assert {notice.consent_id for notice in notices if notice.consent_id} == {world.consent.pk, by_type.pk}
    assert [notice.consent_request_id for notice in notices if notice.consent_request_id] == [pending.pk]
    # and the event was announced after commit with the consents named
    assert heard[-1]["identifier"] == world.license.identifier
    assert set(heard[-1]["consent_ids"]) == {world.consent.pk, by_type.pk}


def test_revoked_is_final_and_history_is_kept(world):
    change_license_status(license=world.license, to_status=LicenseStatus.REVOKED, reason="吊销")
    with pytest.raises(Conflict):
        change_license_status(license=world.license, to_status=LicenseStatus.VALID, reason="恢复")
    history = [change.to_status for change in world.license.status_changes.all()]
    assert history == [LicenseStatus.VALID, LicenseStatus.REVOKED]


def test_expiry_job_marks_past_licenses():
    old = make_license(issued_on=timezone.localdate() - dt.timedelta(days=365 * 6))
    fresh = make_license()
    assert expire_licenses() >= 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == (LicenseStatus.EXPIRED, LicenseStatus.VALID)
