"""The admin pages for identity and registers render, and client registration shows the platform settings."""

from __future__ import annotations

import pytest

from yiwang.conftest import login_with_second_factor
from yiwang.identity.tests.factories import MandateFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/admin/identity/user/",
        "/admin/identity/mandate/",
        "/admin/oauth2_provider/application/add/",
        "/admin/registers/register/",
    ],
)
def test_admin_pages_render(client, path):
    MandateFactory()
    login_with_second_factor(client, UserFactory(is_staff=True, is_superuser=True))
    response = client.get(path)
    assert response.status_code == 200
    if "application/add" in path:
        assert "后端通道退出地址" in response.content.decode()


@pytest.mark.parametrize("path", ["/admin/identity/auditevent/", "/admin/registers/accesslog/"])
def test_the_legacy_logs_are_gone_from_the_admin(client, path):
    # the one audit log (yiwang.audit) replaced them; auditors read it there
    login_with_second_factor(client, UserFactory(is_staff=True, is_superuser=True))
    assert client.get(path).status_code == 404


def test_register_records_are_not_browsable_in_the_admin(client):
    login_with_second_factor(client, UserFactory(is_staff=True, is_superuser=True))
    assert client.get("/admin/registers/person/").status_code == 404
