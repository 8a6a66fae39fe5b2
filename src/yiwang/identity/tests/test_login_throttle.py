"""Password spraying is slowed, and registration does not reveal which ID numbers have accounts (issue 7)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from yiwang.audit.models import AuditEntry
from yiwang.identity.constants import AuditAction
from yiwang.identity.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters(settings):
    settings.IDENTITY_LOGIN_IP_FAILURE_LIMIT = 8
    settings.IDENTITY_LOGIN_PASSWORD_FAILURE_LIMIT = 4
    cache.clear()
    yield
    cache.clear()


def _login(client, username, password, ip="198.51.100.7"):
    return client.post(
        reverse("identity:login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_one_password_sprayed_over_many_usernames_is_locked(client):
    victim = UserFactory(password="Spray-Password-2026")
    # given a sprayer trying one password on four other accounts from four addresses
    for number in range(4):
        tried = _login(client, f"someone{number}", "Spray-Password-2026", ip=f"203.0.113.{number}")
        assert tried.status_code == 200
    # when the same password reaches the victim's account, even though it is right
    response = _login(client, victim.username, "Spray-Password-2026", ip="203.0.113.99")
    # then the attempt is refused without being checked
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_many_usernames_from_one_address_get_the_address_locked(client):
    user = UserFactory()
    for number in range(8):
        _login(client, f"guess{number}", f"Wrong-password-{number}")
    # the address is locked for everyone, even a right username and password
    assert _login(client, user.username, PASSWORD).status_code == 429
    # another address is not
    assert _login(client, user.username, PASSWORD, ip="192.0.2.50").status_code == 302


def test_a_few_failures_do_not_lock_anyone_out(client):
    user = UserFactory()
    for number in range(3):
        _login(client, f"typo{number}", f"Wrong-password-{number}")
    assert _login(client, user.username, PASSWORD).status_code == 302


def _register(client, *, username: str, id_number: str):
    return client.post(
        reverse("identity:register"),
        {
            "username": username,
            "surname": "王",
            "given_name": "芳",
            "id_number": id_number,
            "phone": "",
            "password": PASSWORD,
            "password_again": PASSWORD,
            "accept_privacy": "on",
        },
    )


def test_registering_a_taken_id_number_does_not_say_it_is_taken(client):
    existing = UserFactory()

    response = _register(client, username="newcomer", id_number=existing.id_number)

    page = response.content.decode()
    assert response.status_code == 200
    assert "已注册" not in page
    assert "无法用所填信息开通新账号" in page
    # the attempt is recorded, with its real reason, for the auditors
    refused = AuditEntry.objects.filter(action=AuditAction.REGISTRATION_REFUSED).get()
    assert refused.reason == "id_number_registered"
