"""Admin: endpoints are saved through the services (audited); replays from the admin; notices in scope."""

from __future__ import annotations

import pytest
from django.urls import reverse

from yiwang.audit.models import AuditEntry
from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.conftest import login_with_second_factor
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory
from yiwang.notifications.constants import AuditAction, DeliveryStatus, NoticeKind
from yiwang.notifications.models import Delivery, Notice, WebhookEndpoint, WebhookKey
from yiwang.notifications.services import enqueue_event

from .factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db


def test_an_endpoint_added_in_the_admin_is_created_through_the_service_and_audited(admin_client, admin_user):
    department = DepartmentFactory()
    response = admin_client.post(
        reverse("admin:notifications_webhookendpoint_add"),
        {
            "department": department.pk,
            "name": "民政局业务系统",
            "url": "https://mz.example.gov.cn/hooks",
            "topics": "registers.person_died",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    endpoint = WebhookEndpoint.objects.get()
    entry = AuditEntry.objects.get(action=AuditAction.ENDPOINT_CREATED)
    assert (entry.actor, entry.object_id) == (admin_user, str(endpoint.pk))
    assert endpoint.created_by == admin_user


def test_replaying_dead_deliveries_from_the_admin(admin_client):
    endpoint = WebhookEndpointFactory()
    enqueue_event(topic="t.changed", payload={}, endpoints=[endpoint])
    Delivery.objects.update(status=DeliveryStatus.DEAD, attempts=10, next_attempt_at=None)
    response = admin_client.post(
        reverse("admin:notifications_delivery_changelist"),
        {"action": "replay", "_selected_action": [Delivery.objects.get().pk]},
    )
    assert response.status_code == 302
    assert Delivery.objects.get().status == DeliveryStatus.PENDING
    assert AuditEntry.objects.filter(action=AuditAction.DELIVERIES_REPLAYED).count() == 1


def test_notices_are_listed_to_the_data_administrators_of_their_department_only(client):
    mine, other = DepartmentFactory(), DepartmentFactory()
    Notice.objects.create(kind=NoticeKind.DELIVERY_DEAD, department=mine, title="推送失败：本部门系统")
    Notice.objects.create(kind=NoticeKind.DELIVERY_DEAD, department=other, title="推送失败：他部门系统")
    assignment = StaffAssignmentFactory(department=mine, role=StaffRole.DATA_ADMIN, user__is_staff=True)
    login_with_second_factor(client, assignment.user)
    page = client.get(reverse("admin:notifications_notice_changelist"))
    assert page.status_code == 200
    assert "本部门系统" in page.content.decode()
    assert "他部门系统" not in page.content.decode()


def test_the_webhook_key_page_shows_the_pem_receivers_verify_with(admin_client):
    from yiwang.notifications.selectors import get_webhook_public_key

    key = get_webhook_public_key()
    page = admin_client.get(reverse("admin:notifications_webhookkey_changelist"))
    assert key["key_id"] in page.content.decode()
    detail = admin_client.get(
        reverse("admin:notifications_webhookkey_change", args=[WebhookKey.objects.get().pk])
    )
    assert "BEGIN PUBLIC KEY" in detail.content.decode()


def test_the_platform_administrator_manages_endpoints_and_a_data_administrator_does_not(client):
    from yiwang.identity.services import sync_admin_access

    endpoint = WebhookEndpointFactory(name="公安业务系统")
    platform = StaffAssignmentFactory(role=StaffRole.PLATFORM_ADMIN)
    data_admin = StaffAssignmentFactory(role=StaffRole.DATA_ADMIN)
    for assignment in (platform, data_admin):
        sync_admin_access(user=assignment.user)
    login_with_second_factor(client, platform.user)
    page = client.get(reverse("admin:notifications_webhookendpoint_change", args=[endpoint.pk]))
    assert page.status_code == 200 and "公安业务系统" in page.content.decode()
    client.logout()
    login_with_second_factor(client, data_admin.user)
    page = client.get(reverse("admin:notifications_webhookendpoint_changelist"))
    assert page.status_code == 403


def test_a_data_administrator_marks_their_notices_read(client):
    mine = DepartmentFactory()
    notice = Notice.objects.create(kind=NoticeKind.DELIVERY_DEAD, department=mine, title="推送失败")
    foreign = Notice.objects.create(kind=NoticeKind.DELIVERY_DEAD, department=DepartmentFactory(), title="他")
    assignment = StaffAssignmentFactory(department=mine, role=StaffRole.DATA_ADMIN, user__is_staff=True)
    login_with_second_factor(client, assignment.user)
    response = client.post(
        reverse("admin:notifications_notice_changelist"),
        {"action": "mark_read", "_selected_action": [notice.pk, foreign.pk]},
    )
    assert response.status_code == 302
    notice.refresh_from_db()
    foreign.refresh_from_db()
    assert notice.read_at is not None
    assert foreign.read_at is None  # another department's notice is out of reach, even by a crafted post


def test_a_notice_raised_by_another_app_reaches_the_department_administrators(client):
    from yiwang.notifications.services import raise_notice

    department = DepartmentFactory()
    raise_notice(department=department, title="数据共享申请已超期：人口库")
    assignment = StaffAssignmentFactory(department=department, role=StaffRole.DATA_ADMIN, user__is_staff=True)
    login_with_second_factor(client, assignment.user)
    page = client.get(reverse("admin:notifications_notice_changelist"))
    assert "数据共享申请已超期" in page.content.decode()
