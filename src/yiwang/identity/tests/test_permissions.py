"""May this staff member do this here: the role table, within the role's department and region."""

from __future__ import annotations

import pytest

from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.identity.constants import StaffRole
from yiwang.identity.selectors import (
    assignment_with_permission,
    department_ids_with_permission,
    has_permission_in,
    staff_department_ids,
)
from yiwang.identity.tests.factories import StaffAssignmentFactory, UserFactory
from yiwang.regions.models import Region

pytestmark = pytest.mark.django_db


def _street_of(county_code: str) -> Region:
    return Region.objects.filter(code__startswith=county_code[:6], level=4).order_by("code").first()


def test_a_role_grants_its_permissions_in_its_department_only():
    clerk = StaffAssignmentFactory(role=StaffRole.WINDOW_CLERK)
    other = DepartmentFactory()
    assert has_permission_in(actor=clerk.user, permission="register.read", department_id=clerk.department_id)
    assert not has_permission_in(actor=clerk.user, permission="register.read", department_id=other.pk)
    issue = {"permission": "license.issue", "department_id": clerk.department_id}
    assert not has_permission_in(actor=clerk.user, **issue)


def test_the_matching_role_is_returned_for_the_audit_log():
    clerk = StaffAssignmentFactory(role=StaffRole.WINDOW_CLERK)
    found = assignment_with_permission(
        actor=clerk.user, permission="register.read", department_id=clerk.department_id
    )
    assert found == clerk and (found.role, found.region_id) == (StaffRole.WINDOW_CLERK, clerk.region_id)


def test_a_role_scoped_to_a_street_does_not_reach_the_rest_of_the_county():
    department = DepartmentFactory()
    street = _street_of(department.region_id)
    clerk = StaffAssignmentFactory(department=department, region=street, role=StaffRole.WINDOW_CLERK)
    read = {"actor": clerk.user, "permission": "register.read", "department_id": department.pk}
    assert has_permission_in(**read, region_code=street.code)
    assert not has_permission_in(**read, region_code=department.region_id)


def test_citizens_and_deactivated_staff_hold_no_permission():
    admin = StaffAssignmentFactory(role=StaffRole.LICENSE_ADMIN)
    citizen = UserFactory(level3=True)
    assert department_ids_with_permission(admin.user, "license.issue") == {admin.department_id}
    assert department_ids_with_permission(citizen, "license.issue") == set()
    admin.user.is_active = False
    admin.user.save()
    assert department_ids_with_permission(admin.user, "license.issue") == set()
    assert staff_department_ids(admin.user) == set()
