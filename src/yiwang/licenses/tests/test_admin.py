"""The licenses admin follows the API's department scope: a license administrator sees only their own."""

import pytest

from yiwang.conftest import login_with_second_factor
from yiwang.identity.constants import StaffRole
from yiwang.identity.services import grant_staff_role
from yiwang.licenses.models import SigningKey

from .factories import DepartmentFactory, StaffAssignmentFactory, UserFactory, make_license

pytestmark = pytest.mark.django_db


def _staff_with_role(department, role):
    platform_admin = StaffAssignmentFactory(department=department, role=StaffRole.PLATFORM_ADMIN).user
    member = UserFactory(staff=True)
    grant_staff_role(granted_by=platform_admin, user=member, department=department, role=role)
    return type(member).objects.get(pk=member.pk)


@pytest.fixture
def two_departments(world):
    """The world's issuing department and requesting department, and a license of another department."""
    other_holder = UserFactory(surname="王", given_name="秀英")
    other = make_license(holder=other_holder, issuer=DepartmentFactory())
    return world, other


def test_a_license_administrator_sees_only_their_departments_licenses(client, two_departments):
    world, other = two_departments
    # given the license administrator of the world's issuing department
    login_with_second_factor(client, _staff_with_role(world.license.issuer, StaffRole.LICENSE_ADMIN))
    # when they list licenses
    body = client.get("/admin/licenses/license/").content.decode()
    # then their department's license is there and the other department's is not, nor its holder
    assert world.license.identifier in body
    assert other.identifier not in body
    assert "王秀英" not in body
    # and a crafted change URL for the other license shows nothing of it
    crafted = client.get(f"/admin/licenses/license/{other.pk}/change/")
    assert crafted.status_code in (302, 404)
    assert "王秀英" not in crafted.content.decode()
    assert client.get(f"/admin/licenses/license/{world.license.pk}/change/").status_code == 200


def test_signing_keys_are_scoped_to_the_department(client, two_departments):
    world, other = two_departments
    login_with_second_factor(client, _staff_with_role(world.license.issuer, StaffRole.LICENSE_ADMIN))
    body = client.get("/admin/licenses/signingkey/").content.decode()
    assert SigningKey.objects.get(department=world.license.issuer, status="active").key_id in body
    other_key = SigningKey.objects.get(department=other.issuer, status="active")
    assert other_key.key_id not in body
    assert client.get(f"/admin/licenses/signingkey/{other_key.pk}/change/").status_code in (302, 404)


def test_consents_are_seen_by_the_requesting_department_only(client, two_departments):
    world, _ = two_departments
    # the issuing department's license administrator does not see the consent given to the requester
    login_with_second_factor(client, _staff_with_role(world.license.issuer, StaffRole.LICENSE_ADMIN))
    assert world.consent.purpose not in client.get("/admin/licenses/consent/").content.decode()
    assert client.get(f"/admin/licenses/consent/{world.consent.pk}/change/").status_code in (302, 404)
    # the requesting department's license administrator does
    login_with_second_factor(client, _staff_with_role(world.requester_department, StaffRole.LICENSE_ADMIN))
    assert world.consent.purpose in client.get("/admin/licenses/consent/").content.decode()


def test_the_platform_administrator_manages_license_types_but_reads_no_licenses(client, two_departments):
    world, _ = two_departments
    # 三员分立: the platform administrator configures, and reads no holder's data
    login_with_second_factor(client, _staff_with_role(world.license.issuer, StaffRole.PLATFORM_ADMIN))
    assert client.get("/admin/licenses/licensetype/").status_code == 200
    for page in ("license", "consent", "importjob"):
        assert client.get(f"/admin/licenses/{page}/").status_code == 403


def test_a_superuser_without_a_license_role_sees_no_licenses(admin_client, two_departments):
    world, other = two_departments
    body = admin_client.get("/admin/licenses/license/").content.decode()
    assert world.license.identifier not in body
    assert other.identifier not in body
    assert admin_client.get(f"/admin/licenses/license/{other.pk}/change/").status_code in (302, 404)


def test_a_license_type_edited_in_the_admin_is_audited_with_its_editor(client, two_departments):
    import json

    from django.forms.models import model_to_dict

    from yiwang.audit.models import AuditEntry

    # given the platform administrator on a license type's change page
    world, _ = two_departments
    editor = _staff_with_role(world.license.issuer, StaffRole.PLATFORM_ADMIN)
    login_with_second_factor(client, editor)
    license_type = world.license.license_type
    data = model_to_dict(license_type)
    data.update(
        name="更名后的证照",
        field_schema=json.dumps(license_type.field_schema),
        display_layout=json.dumps(license_type.display_layout),
        issuing_departments=[d.pk for d in data["issuing_departments"]],
        validity_years=data["validity_years"] or "",
    )
    # when they rename it
    response = client.post(f"/admin/licenses/licensetype/{license_type.pk}/change/", data)
    # then the change is saved and the log names who changed which field
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.filter(action="licenses.license_type_saved").latest("id")
    assert (entry.actor, entry.object_id) == (editor, license_type.code)
    assert "name" in entry.details["changed"]
    license_type.refresh_from_db()
    assert license_type.name == "更名后的证照"
    assert (
        client.post(f"/admin/licenses/licensetype/{license_type.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
