"""The window clerk's register lookup page: the read is gated, recorded with its purpose and case, and
shows up on the citizen's tracker."""

from __future__ import annotations

import pytest

from yiwang.audit.constants import GroundKind
from yiwang.audit.models import AuditEntry, DataUseAlert
from yiwang.audit.subjects import subject_hash
from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.conftest import login_with_second_factor
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory, UserFactory
from yiwang.registers.tests.factories import PersonFactory, RegisterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def register():
    return RegisterFactory(department=DepartmentFactory())


def _lookup(client, id_number: str):
    return client.post(
        "/staff/register-lookup",
        {"id_number": id_number, "purpose": "受理居住证申领", "case_number": "BJ-2026-000731"},
    )


def test_a_clerk_reads_a_citizens_record_for_a_case_and_the_citizen_sees_it(client, register):
    person = PersonFactory()
    clerk = StaffAssignmentFactory(department=register.department, role=StaffRole.WINDOW_CLERK).user
    login_with_second_factor(client, clerk)
    response = _lookup(client, person.id_number)
    assert response.status_code == 200 and person.name in response.content.decode()
    entry = AuditEntry.objects.get(subject_hash=subject_hash(person.id_number))
    assert (entry.purpose, entry.ground_kind, entry.ground_ref) == (
        "受理居住证申领",
        GroundKind.CASE,
        "BJ-2026-000731",
    )
    assert not DataUseAlert.objects.exists()  # a read for a case is expected
    citizen = UserFactory(level3=True, id_number=person.id_number)
    client.force_login(citizen)
    page = client.get("/me/data-uses").content.decode()
    assert "受理居住证申领" in page and "BJ-2026-000731" in page and person.id_number not in page


def test_a_clerk_of_another_department_is_refused_and_sees_nothing(client, register):
    # fixed, distinct names: the page header shows the clerk's own name, which must not be the person's
    person = PersonFactory(surname="欧阳", given_name="明远")
    outsider = StaffAssignmentFactory(
        role=StaffRole.WINDOW_CLERK, user__surname="司马", user__given_name="清和"
    ).user
    login_with_second_factor(client, outsider)
    response = _lookup(client, person.id_number)
    assert response.status_code == 200 and person.name not in response.content.decode()
    assert "未找到该记录，或您无权查询" in response.content.decode()


def test_the_lookup_needs_a_staff_session_with_the_second_factor(client, register):
    clerk = StaffAssignmentFactory(department=register.department, role=StaffRole.WINDOW_CLERK).user
    client.force_login(clerk)
    assert client.get("/staff/register-lookup").status_code == 403
    client.force_login(UserFactory(level3=True))
    assert client.get("/staff/register-lookup").status_code == 403
