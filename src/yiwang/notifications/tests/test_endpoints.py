"""Endpoints: only public http(s) URLs (SSRF guard), created and changed with an audit entry."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.audit.models import AuditEntry
from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.identity.tests.factories import UserFactory
from yiwang.notifications.constants import AuditAction
from yiwang.notifications.services import create_endpoint, update_endpoint
from yiwang.notifications.transports import UnsafeURL, check_url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "ftp://receiver.example.gov.cn/",
        "file:///etc/passwd",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[fe80::1]/hook",
        "http://0.0.0.0/hook",
        "http://127.0.0.1:8000/hook",
        "http://[::1]/hook",
        "https://receiver.example.gov.cn:99999/hook",
        "http://[::1/hook",
        "https:///hook",
    ],
)
def test_private_link_local_loopback_and_other_schemes_are_refused(settings, url):
    settings.NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK = False
    with pytest.raises(UnsafeURL):
        check_url(url)


def test_a_host_name_resolving_to_loopback_is_refused_at_send_time(settings):
    settings.NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK = False
    with pytest.raises(UnsafeURL):
        check_url("http://localhost:8000/hook")
    settings.NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK = True
    check_url("http://localhost:8000/hook")
    with pytest.raises(UnsafeURL):  # loopback allowed does not open the private ranges
        check_url("http://10.1.2.3/hook")


def test_creating_and_changing_an_endpoint_is_audited():
    admin = UserFactory(staff=True)
    department = DepartmentFactory()
    endpoint = create_endpoint(
        department=department,
        name="民政局业务系统",
        url="https://mz.example.gov.cn/hooks",
        topics=["registers.person_died", "registers.person_died"],
        created_by=admin,
    )
    assert endpoint.topics == "registers.person_died"
    created = AuditEntry.objects.get(action=AuditAction.ENDPOINT_CREATED)
    assert (created.actor, created.department, created.object_id) == (admin, department, str(endpoint.pk))
    update_endpoint(
        endpoint=endpoint, changed_by=admin, url="https://mz2.example.gov.cn/hooks", name=endpoint.name
    )
    changed = AuditEntry.objects.get(action=AuditAction.ENDPOINT_CHANGED)
    assert changed.fields == ["url"]
    with pytest.raises(UnsafeURL):
        update_endpoint(endpoint=endpoint, changed_by=admin, url="http://192.168.0.1/")


@given(address=st.ip_addresses())
def test_any_literal_address_is_accepted_only_if_it_is_public(address):
    # loopback is refused too in production (NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK off)
    from django.test import override_settings

    host = f"[{address}]" if address.version == 6 else str(address)
    with override_settings(NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK=False):
        try:
            check_url(f"https://{host}/hooks")
        except UnsafeURL:
            accepted = False
        else:
            accepted = True
    assert accepted == (address.is_global and not address.is_multicast)
