"""Registration, assurance levels, phone codes and staff roles: what users and departments rely on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.audit.constants import Outcome
from yiwang.audit.models import AuditEntry
from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.core.errors import Conflict, InvalidInput, PermissionDenied
from yiwang.identity.constants import AssuranceLevel, AuditAction, PhoneCodePurpose, StaffRole
from yiwang.identity.models import PhoneCode
from yiwang.identity.selectors import staff_has_permission
from yiwang.identity.services import (
    confirm_register_verification,
    create_staff_member,
    grant_staff_role,
    register_citizen,
    start_register_verification,
    verify_face,
)
from yiwang.identity.tests.conftest import last_code
from yiwang.identity.tests.factories import PASSWORD, StaffAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def _register(**overrides):
    data = {
        "username": "wangfang",
        "password": PASSWORD,
        "surname": "王",
        "given_name": "芳",
        "id_number": "11010519491231002X",
        "phone": "13912345678",
    }
    return register_citizen(**{**data, **overrides})


def test_registration_with_valid_id_gives_level_2_and_an_audit_event():
    user = _register()
    assert user.assurance_level == AssuranceLevel.FORMAT_CHECKED
    assert user.full_name == "王芳"
    assert AuditEntry.objects.filter(action=AuditAction.USER_REGISTERED, actor=user).exists()


@pytest.mark.parametrize(
    ("id_number", "code"),
    [
        ("110105194912310021", "invalid_id_checksum"),  # wrong check digit
        ("110105194902300020", "invalid_id_date"),  # 30 February
        ("11010519491231002", "invalid_id_format"),  # 17 characters
        ("1101051949123100ZX", "invalid_id_format"),
    ],
)
def test_invalid_id_numbers_are_refused_with_a_clear_message_and_logged(id_number, code):
    with pytest.raises(InvalidInput) as refused:
        _register(id_number=id_number)
    assert refused.value.code == code
    assert "身份证号码" in refused.value.message
    event = AuditEntry.objects.get(action=AuditAction.REGISTRATION_REFUSED)
    assert event.details["reason"] == code and (event.outcome, event.reason) == (Outcome.REFUSED, code)
    assert id_number not in str(event.details)  # masked


def test_weak_password_and_duplicate_id_are_refused():
    with pytest.raises(InvalidInput):
        _register(password="1234567890")
    _register()
    with pytest.raises(Conflict):
        _register(username="someoneelse")


def test_step_up_to_level_3_checks_register_then_phone_code(sms_outbox, registers):
    # given a level-2 citizen who is in the population register
    person = registers.person(name="王芳")
    user = UserFactory(surname="王", given_name="芳", id_number=person.id_number)
    # when
    start_register_verification(user=user, phone="13912345678")
    raised = confirm_register_verification(user=user, phone="13912345678", code=last_code(sms_outbox))
    # then
    assert raised.assurance_level == AssuranceLevel.REGISTER_VERIFIED
    assert raised.phone == "13912345678" and raised.phone_verified_at is not None
    assert registers.reads == [("population", user.id_number, user.pk)]  # asked on the citizen's behalf
    assert AuditEntry.objects.filter(action=AuditAction.ASSURANCE_RAISED, actor=user).exists()


def test_name_not_matching_register_is_refused_and_logged(sms_outbox, registers):
    person = registers.person(name="王芳")
    user = UserFactory(surname="王", given_name="方", id_number=person.id_number)
    with pytest.raises(InvalidInput) as refused:
        start_register_verification(user=user, phone="13912345678")
    assert refused.value.code == "register_mismatch"
    assert "人口库" in refused.value.message
    assert (
        AuditEntry.objects.get(action=AuditAction.ASSURANCE_REFUSED).details["reason"] == "register_mismatch"
    )
    assert not sms_outbox


def test_expired_wrong_and_reused_codes_are_refused(sms_outbox, registers):
    person = registers.person(name="王芳")
    user = UserFactory(surname="王", given_name="芳", id_number=person.id_number)
    start_register_verification(user=user, phone="13912345678")
    code = last_code(sms_outbox)
    # wrong code
    with pytest.raises(InvalidInput) as wrong:
        confirm_register_verification(
            user=user, phone="13912345678", code="000000" if code != "000000" else "111111"
        )
    assert wrong.value.code == "code_mismatch"
    # expired code
    PhoneCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(InvalidInput) as expired:
        confirm_register_verification(user=user, phone="13912345678", code=code)
    assert expired.value.code == "code_expired" and "过期" in expired.value.message
    assert AuditEntry.objects.filter(action=AuditAction.PHONE_CODE_REFUSED).count() == 2
    user.refresh_from_db()
    assert user.assurance_level == AssuranceLevel.FORMAT_CHECKED


def test_codes_cannot_be_requested_too_often(sms_outbox):
    user = UserFactory()
    from yiwang.identity.services import send_phone_code

    send_phone_code(phone="13912345678", purpose=PhoneCodePurpose.VERIFY_PHONE, user=user)
    with pytest.raises(Conflict):
        send_phone_code(phone="13912345678", purpose=PhoneCodePurpose.VERIFY_PHONE, user=user)


def test_face_level_4_needs_a_configured_provider(settings):
    user = UserFactory(level3=True)
    settings.IDENTITY_FACE_PROVIDER = ""
    with pytest.raises(PermissionDenied):
        verify_face(user=user, sample="anything")


def test_test_face_provider_is_refused_in_production_settings(settings):
    from django.core.exceptions import ImproperlyConfigured

    from yiwang.identity.face import get_face_provider

    settings.IDENTITY_FACE_PROVIDER, settings.DEBUG, settings.IDENTITY_ALLOW_TEST_FACE_PROVIDER = (
        "test",
        False,
        False,
    )
    with pytest.raises(ImproperlyConfigured):
        get_face_provider()


def test_test_face_provider_is_deterministic(settings):
    from yiwang.identity.face import get_face_provider

    settings.IDENTITY_FACE_PROVIDER, settings.IDENTITY_ALLOW_TEST_FACE_PROVIDER = "test", True
    user = UserFactory(level3=True)
    with pytest.raises(InvalidInput):
        verify_face(user=user, sample="not-a-face")
    raised = verify_face(user=user, sample=get_face_provider().sample_hint(user=user))
    assert raised.assurance_level == AssuranceLevel.FACE_VERIFIED


def test_staff_permissions_are_scoped_to_department_and_region():
    # given an approver of department A in 广安区
    assignment = StaffAssignmentFactory(role=StaffRole.APPROVER)
    other = DepartmentFactory()
    user = assignment.user
    # then
    assert staff_has_permission(
        user=user,
        permission="application.decide",
        department=assignment.department,
        region_code="511602001000",
    )
    assert not staff_has_permission(user=user, permission="application.decide", department=other)
    assert not staff_has_permission(
        user=user,
        permission="application.decide",
        department=assignment.department,
        region_code="510104017000",
    )
    assert not staff_has_permission(user=user, permission="license.issue", department=assignment.department)


def test_only_platform_admins_of_the_region_create_staff():
    department = DepartmentFactory()
    admin = StaffAssignmentFactory(role=StaffRole.PLATFORM_ADMIN, department=department).user
    clerk = StaffAssignmentFactory(role=StaffRole.WINDOW_CLERK, department=department).user
    created = create_staff_member(
        created_by=admin,
        username="newclerk",
        password=PASSWORD,
        surname="李",
        given_name="明",
        department=department,
        role=StaffRole.WINDOW_CLERK,
    )
    assert created.is_staff_member and created.staff_assignments.get().role == StaffRole.WINDOW_CLERK
    with pytest.raises(PermissionDenied):
        grant_staff_role(granted_by=clerk, user=created, department=department, role=StaffRole.APPROVER)


def test_a_code_sent_to_one_account_cannot_raise_another(sms_outbox, registers):
    # given a code sent during a genuine check of A's identity to a phone the attacker also holds
    person = registers.person(name="王芳")
    genuine = UserFactory(surname="王", given_name="芳", id_number=person.id_number)
    attacker = UserFactory()
    start_register_verification(user=genuine, phone="13912345678")
    # when the attacker's account presents that code
    with pytest.raises(InvalidInput):
        confirm_register_verification(user=attacker, phone="13912345678", code=last_code(sms_outbox))
    # then the attacker stays at level 2
    attacker.refresh_from_db()
    assert attacker.assurance_level == AssuranceLevel.FORMAT_CHECKED


def test_separation_of_duties_nobody_grants_themselves_and_no_admin_audits(django_user_model):
    from yiwang.catalog.tests.factories import DepartmentFactory
    from yiwang.core.errors import InvalidInput, PermissionDenied
    from yiwang.identity.constants import StaffRole
    from yiwang.identity.services import grant_staff_role
    from yiwang.identity.tests.factories import StaffAssignmentFactory, UserFactory

    # given two platform administrators of one department
    department = DepartmentFactory()
    admin = StaffAssignmentFactory(department=department, role=StaffRole.PLATFORM_ADMIN).user
    colleague = StaffAssignmentFactory(department=department, role=StaffRole.PLATFORM_ADMIN).user
    # when an administrator tries to make themselves the auditor, or a colleague administrator one
    with pytest.raises(PermissionDenied) as self_grant:
        grant_staff_role(granted_by=admin, user=admin, department=department, role=StaffRole.AUDITOR)
    with pytest.raises(InvalidInput) as combined:
        grant_staff_role(granted_by=admin, user=colleague, department=department, role=StaffRole.AUDITOR)
    # then both are refused, and a third person can be the auditor
    assert (self_grant.value.code, combined.value.code) == ("self_grant_refused", "separation_of_duties")
    auditor = UserFactory(staff=True)
    grant_staff_role(granted_by=admin, user=auditor, department=department, role=StaffRole.AUDITOR)
    assert auditor.staff_assignments.get().role == StaffRole.AUDITOR
