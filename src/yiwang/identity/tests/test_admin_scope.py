"""三员分立 in the identity admin: the platform administrator manages staff and clients, not citizens."""

import pytest

from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.conftest import login_with_second_factor
from yiwang.identity.constants import StaffRole
from yiwang.identity.models import User
from yiwang.identity.services import grant_staff_role

from .factories import MandateFactory, StaffAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform_admin(client):
    department = DepartmentFactory()
    granting = StaffAssignmentFactory(department=department, role=StaffRole.PLATFORM_ADMIN).user
    member = UserFactory(staff=True)
    grant_staff_role(granted_by=granting, user=member, department=department, role=StaffRole.PLATFORM_ADMIN)
    member = User.objects.get(pk=member.pk)
    login_with_second_factor(client, member)
    return member


def test_the_platform_administrator_lists_staff_but_not_citizens(client, platform_admin):
    citizen = UserFactory(surname="赵", given_name="公民")
    staff = UserFactory(staff=True, surname="钱", given_name="干部")
    body = client.get("/admin/identity/user/").content.decode()
    assert staff.username in body
    assert citizen.username not in body
    assert client.get(f"/admin/identity/user/{citizen.pk}/change/").status_code in (302, 404)


def test_the_platform_administrator_cannot_make_a_superuser(client, platform_admin):
    # given the platform administrator's own account page
    page = client.get(f"/admin/identity/user/{platform_admin.pk}/change/")
    # then the superuser and back-office flags are not form fields they can post
    assert page.status_code == 200
    assert 'name="is_superuser"' not in page.content.decode()
    assert 'name="is_staff"' not in page.content.decode()


def test_the_platform_administrator_reads_no_mandates_or_sign_in_sessions(client, platform_admin):
    MandateFactory()
    assert client.get("/admin/identity/mandate/").status_code == 403
    assert client.get("/admin/identity/clientsession/").status_code == 403
    assert client.get("/admin/oauth2_provider/application/").status_code == 200
