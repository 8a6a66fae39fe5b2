"""A small world for the authorization matrix: one license, its holder, agents, requesters and staff."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.identity.constants import StaffRole
from yiwang.licenses.models import Consent, License
from yiwang.licenses.services import grant_consent, read_license_with_consent

from .factories import DepartmentFactory, MandateFactory, StaffAssignmentFactory, UserFactory, make_license


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploads (bulk import files) go to a per-test folder, not var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


def log_in(client, user):
    """Log in as the platform does: staff sessions carry a confirmed TOTP device (second factor)."""
    client.force_login(user)
    if user.is_staff_member:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@dataclass
class World:
    license: License
    holder: object
    other_citizen: object
    agent: object
    agent_expired_mandate: object
    requester: object
    requester_no_consent: object
    requester_expired_consent: object
    issuer_staff: object
    other_staff: object
    requester_department: object
    consent: Consent


@pytest.fixture
def world(db) -> World:
    issuer = DepartmentFactory()
    holder = UserFactory(surname="李", given_name="明华")
    license = make_license(holder=holder, issuer=issuer)
    agent = MandateFactory(granted_by=holder).agent
    agent_expired = MandateFactory(granted_by=holder, expired=True).agent
    requester_department = DepartmentFactory()
    requester = StaffAssignmentFactory(department=requester_department, role=StaffRole.WINDOW_CLERK).user
    consent = grant_consent(
        actor=holder,
        holder_code=holder.id_number,
        license=license,
        requester=requester_department,
        purpose="办理公积金提取",
        expires_at=timezone.now() + dt.timedelta(days=7),
    )
    read_license_with_consent(
        actor=requester, identifier=license.identifier, requester_credit_code=requester_department.credit_code
    )
    expired_department = DepartmentFactory()
    expired = grant_consent(
        actor=holder,
        holder_code=holder.id_number,
        license=license,
        requester=expired_department,
        purpose="已过期的授权",
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    Consent.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    return World(
        license=license,
        holder=holder,
        other_citizen=UserFactory(),
        agent=agent,
        agent_expired_mandate=agent_expired,
        requester=requester,
        requester_no_consent=StaffAssignmentFactory(role=StaffRole.WINDOW_CLERK).user,
        requester_expired_consent=StaffAssignmentFactory(
            department=expired_department, role=StaffRole.WINDOW_CLERK
        ).user,
        issuer_staff=StaffAssignmentFactory(department=issuer).user,
        other_staff=StaffAssignmentFactory().user,
        requester_department=requester_department,
        consent=consent,
    )
