"""The audit log in the admin: read-only for every administrator, and only auditors see it, in scope."""

import pytest

from yiwang.audit.models import AuditEntry
from yiwang.audit.services import record_event
from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.conftest import login_with_second_factor
from yiwang.identity.constants import StaffRole
from yiwang.identity.services import grant_staff_role
from yiwang.identity.tests.factories import StaffAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/audit/auditentry/"


def _change_url(entry) -> str:
    return f"{CHANGELIST}{entry.pk}/change/"


def _delete_url(entry) -> str:
    return f"{CHANGELIST}{entry.pk}/delete/"


def _staff_with_role(department, role):
    """A staff member given ``role`` the way the platform does it: by a platform administrator."""
    platform_admin = StaffAssignmentFactory(department=department, role=StaffRole.PLATFORM_ADMIN).user
    member = UserFactory(staff=True)
    grant_staff_role(granted_by=platform_admin, user=member, department=department, role=role)
    return type(member).objects.get(pk=member.pk)


@pytest.fixture
def departments():
    return DepartmentFactory(), DepartmentFactory()


@pytest.fixture
def entries(departments):
    own, other = departments
    return (
        record_event(action="test.own_data", department=own, object_id="OWN-1"),
        record_event(action="test.own_staff", actor_department=own, object_id="OWN-2"),
        record_event(action="test.other", department=other, object_id="OTHER-1"),
    )


def test_granting_the_auditor_role_opens_the_log_read_only(client, departments):
    # given a staff member granted the auditor role
    auditor = _staff_with_role(departments[0], StaffRole.AUDITOR)
    # then they hold the admin's view permission on the log, and no write permission
    assert auditor.is_staff
    assert auditor.has_perm("audit.view_auditentry")
    assert not auditor.has_perm("audit.change_auditentry")
    assert not auditor.has_perm("audit.delete_auditentry")


def test_an_auditor_sees_only_their_departments_entries(client, departments, entries):
    own_data, _own_staff, other = entries
    # given an auditor of the first department
    login_with_second_factor(client, _staff_with_role(departments[0], StaffRole.AUDITOR))
    # when they open the log
    page = client.get(CHANGELIST)
    # then they see entries about their department's data and their department's staff, nothing else
    assert page.status_code == 200
    body = page.content.decode()
    assert "OWN-1" in body and "OWN-2" in body
    assert "OTHER-1" not in body
    assert client.get(_change_url(own_data)).status_code == 200
    # and a crafted URL of another department's entry shows nothing of it
    crafted = client.get(_change_url(other))
    assert crafted.status_code in (302, 404)
    assert "OTHER-1" not in crafted.content.decode()


def test_the_platform_administrator_cannot_see_the_log(client, departments, entries):
    # 三员分立: the platform administrator manages staff, the auditor reads the log
    login_with_second_factor(client, _staff_with_role(departments[0], StaffRole.PLATFORM_ADMIN))
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(_change_url(entries[0])).status_code in (302, 403, 404)
    assert "审计日志" not in client.get("/admin/").content.decode()


def test_a_superuser_without_the_auditor_role_does_not_see_the_log(admin_client, entries):
    assert admin_client.get(CHANGELIST).status_code == 403


def _administrators(client, admin_user, departments):
    """Every kind of administrator, logged in, each paired with an entry it can at least address."""
    auditor = _staff_with_role(departments[0], StaffRole.AUDITOR)
    # a superuser who is also an auditor: the strongest account that can open the page at all
    admin_user.is_staff_member = True
    admin_user.save(update_fields=["is_staff_member"])
    StaffAssignmentFactory(user=admin_user, department=departments[0], role=StaffRole.AUDITOR)
    platform_admin = _staff_with_role(departments[0], StaffRole.PLATFORM_ADMIN)
    return {"auditor": auditor, "superuser-auditor": admin_user, "platform admin": platform_admin}


@pytest.mark.parametrize("who", ["auditor", "superuser-auditor", "platform admin"])
def test_no_administrator_can_change_or_delete_an_entry(client, admin_user, departments, entries, who):
    # given an entry of the department and an administrator
    entry = entries[0]
    login_with_second_factor(client, _administrators(client, admin_user, departments)[who])
    before = AuditEntry.objects.filter(pk=entry.pk).values().get()
    # when they post an edit, a delete, an addition and a bulk delete
    changed = client.post(_change_url(entry), {"action": "edited", "purpose": "tampered"})
    deleted = client.post(_delete_url(entry), {"post": "yes"})
    added = client.post(f"{CHANGELIST}add/", {"action": "inserted", "kind": "write"})
    bulk_delete = {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    bulk = client.post(CHANGELIST, bulk_delete)
    # then each is refused and the row is exactly as it was
    assert changed.status_code == 403
    assert deleted.status_code == 403
    assert added.status_code == 403
    assert bulk.status_code in (200, 302, 403)
    assert AuditEntry.objects.filter(pk=entry.pk).values().get() == before
    assert not AuditEntry.objects.filter(action="inserted").exists()
