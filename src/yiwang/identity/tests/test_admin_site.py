import pytest

pytestmark = pytest.mark.django_db


def test_admin_without_second_factor_goes_to_the_platform_login(client, admin_user):
    # given a superuser who logged in with a password only
    client.force_login(admin_user)
    # when they open the admin
    response = client.get("/admin/catalog/implementation/", follow=True)
    # then they end on the platform login, which asks staff for their TOTP code, and come back after
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    assert "/admin/catalog/implementation/" in response.redirect_chain[-1][0]


def test_admin_with_second_factor_is_allowed(admin_client):
    assert admin_client.get("/admin/").status_code == 200


def _platform_admin(department):
    from yiwang.identity.constants import StaffRole
    from yiwang.identity.tests.factories import StaffAssignmentFactory

    return StaffAssignmentFactory(department=department, role=StaffRole.PLATFORM_ADMIN).user


def test_a_data_administrator_gets_the_catalog_in_the_admin_and_loses_it_with_the_role(client):
    from yiwang.catalog.tests.factories import DepartmentFactory
    from yiwang.conftest import login_with_second_factor
    from yiwang.identity.constants import StaffRole
    from yiwang.identity.services import grant_staff_role, revoke_staff_role
    from yiwang.identity.tests.factories import UserFactory

    # given a staff member granted the data administrator role by a platform administrator
    department = DepartmentFactory()
    member = UserFactory(staff=True)
    assignment = grant_staff_role(
        granted_by=_platform_admin(department), user=member, department=department, role=StaffRole.DATA_ADMIN
    )
    member.refresh_from_db()
    # then they may edit the catalog in the admin, but not accounts
    assert member.is_staff
    assert member.has_perm("catalog.change_implementation")
    assert not member.has_perm("identity.change_user")
    login_with_second_factor(client, member)
    assert client.get("/admin/catalog/implementation/").status_code == 200
    assert client.get("/admin/identity/user/").status_code == 403
    # when the role is revoked, the back office closes
    revoke_staff_role(revoked_by=_platform_admin(department), assignment=assignment)
    member = type(member).objects.get(pk=member.pk)
    assert not member.is_staff
    assert not member.has_perm("catalog.change_implementation")


def test_a_window_clerk_has_no_back_office(client):
    from yiwang.catalog.tests.factories import DepartmentFactory
    from yiwang.identity.constants import StaffRole
    from yiwang.identity.services import grant_staff_role
    from yiwang.identity.tests.factories import UserFactory

    department = DepartmentFactory()
    member = UserFactory(staff=True)
    grant_staff_role(
        granted_by=_platform_admin(department),
        user=member,
        department=department,
        role=StaffRole.WINDOW_CLERK,
    )
    member.refresh_from_db()
    assert not member.is_staff


def test_a_citizen_opening_the_admin_is_told_they_have_no_back_office_rights(client):
    from yiwang.identity.tests.factories import UserFactory

    # given a logged-in citizen
    client.force_login(UserFactory())
    # when they open the admin
    response = client.get("/admin/", follow=True)
    # then they are not shown the login form again but told why, with a way back
    html = response.content.decode()
    assert response.status_code == 403
    assert "您的账号没有管理后台权限" in html
    assert 'href="/"' in html
    assert 'name="password"' not in html


def test_a_window_clerk_opening_the_admin_is_told_they_have_no_back_office_rights(client):
    from yiwang.conftest import login_with_second_factor
    from yiwang.identity.tests.factories import UserFactory

    clerk = UserFactory(staff=True)
    login_with_second_factor(client, clerk)
    response = client.get("/admin/catalog/implementation/", follow=True)
    assert response.status_code == 403
    assert "您的账号没有管理后台权限" in response.content.decode()
