"""The demo step 办件: every bundle department has a window clerk and an approver who log in with the demo
TOTP, every demo form's prefill is granted on the exchange, result types name their issuers, and three demo
cases stand in their states (a supplement awaited, an approval with its license, a bundle in progress with
one part decided). A second run changes nothing."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.applications.constants import CaseStatus
from yiwang.applications.demo import (
    CONTRACT_FILING,
    DEMO_BUNDLES,
    TAX_RETURN,
    create_demo_cases,
    load_demo_applications,
)
from yiwang.applications.models import ApplicationForm, Case, CaseEvent, ClockStop
from yiwang.applications.services.prefill import grants_needed, has_live_grant
from yiwang.audit.models import AuditEntry
from yiwang.catalog.models import Bundle
from yiwang.demo.accounts import DEMO_PASSWORD, DEMO_TOTP_KEY_HEX, create_demo_accounts
from yiwang.exchange.models import Grant
from yiwang.identity.constants import StaffRole
from yiwang.identity.models import StaffAssignment, User
from yiwang.licenses.models import License, LicenseType
from yiwang.licenses.selectors import verify_license_identifier
from yiwang.notifications.models import OutboxEvent

from .demo_world import load_demo_world

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _counts() -> dict[str, int]:
    models = (Case, CaseEvent, ClockStop, Grant, License, AuditEntry, OutboxEvent, User, StaffAssignment)
    return {model.__name__: model.objects.count() for model in models}


def test_the_demo_step_makes_staff_grants_issuers_and_cases_and_a_second_run_changes_nothing():
    # given the demo up to the exchange
    load_demo_world()
    # when the applications step runs twice
    load_demo_applications()
    before = _counts()
    assert "none" not in load_demo_applications()
    create_demo_accounts()
    # then the second run changed nothing
    assert _counts() == before

    # every department of the two bundles has a window clerk and an approver of its own region, who
    # log in with the demo password and the demo TOTP secret
    for bundle in Bundle.objects.filter(code__in=DEMO_BUNDLES):
        for item in bundle.bundle_items.select_related("implementation__department"):
            department = item.implementation.department
            for role in (StaffRole.WINDOW_CLERK, StaffRole.APPROVER):
                assignment = StaffAssignment.objects.filter(department=department, role=role).first()
                assert assignment is not None, (department.name, role)
                assert assignment.region_id == department.region_id
                assert assignment.user.check_password(DEMO_PASSWORD)
                device = TOTPDevice.objects.get(user=assignment.user)
                assert device.confirmed and device.key == DEMO_TOTP_KEY_HEX

    # every demo form's prefill and shared materials are granted to its accepting department
    for form in ApplicationForm.objects.filter(status="active").select_related("implementation__item"):
        for resource, items in grants_needed(form.schema).items():
            assert has_live_grant(
                department=form.implementation.department,
                item_code=form.implementation.item.code,
                resource_code=resource,
                items=items,
            ), (form.implementation.code, resource)
        # and its department may sign its result
        code = form.implementation.result_license_type
        if code:
            license_type = LicenseType.objects.get(code=code)
            assert license_type.issuing_departments.filter(pk=form.implementation.department_id).exists()

    # citizen_l3 is asked for a supplement, the clock stopped
    waiting = Case.objects.get(applicant__username="citizen_l3")
    assert waiting.status == CaseStatus.SUPPLEMENT
    assert waiting.supplements.get().answered_at is None
    assert waiting.clock_stops.get().ended_on is None
    # citizen_l4's enrolment is approved and its 医疗保障电子凭证 verifies
    approved = Case.objects.get(applicant__username="citizen_l4")
    assert approved.status == CaseStatus.APPROVED and approved.decision_document
    assert approved.result_license.license_type.code == "MEDICAL_INSURANCE"
    assert verify_license_identifier(identifier=approved.result_license.identifier).is_valid
    # house_seller's bundle is accepted at the one window, its contract filing decided, the rest open
    parent = Case.objects.get(applicant__username="house_seller", parent__isnull=True)
    assert parent.status == CaseStatus.ACCEPTED and parent.promised_due is not None
    parts = {
        part.implementation.code: part.status for part in parent.children.select_related("implementation")
    }
    assert parts.pop(CONTRACT_FILING) == CaseStatus.APPROVED
    assert parts.pop(TAX_RETURN) == CaseStatus.ACCEPTED
    assert set(parts.values()) == {CaseStatus.SUBMITTED}
    assert len(create_demo_cases()) == 3
