"""Identity pages: register, log in (throttled; staff add TOTP), step up and return, act for a company."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.audit.models import AuditEntry
from yiwang.catalog.tests.factories import ServiceItemFactory
from yiwang.identity.constants import AuditAction, StaffRole
from yiwang.identity.tests.conftest import last_code
from yiwang.identity.tests.factories import PASSWORD, MandateFactory, StaffAssignmentFactory, UserFactory
from yiwang.identity.views.enterprise import ACTING_KEY

pytestmark = pytest.mark.django_db


def _post_login(client, username, password=PASSWORD, next_url="/accounts/"):
    return client.post(
        reverse("identity:login"), {"username": username, "password": password, "next": next_url}
    )


def test_register_page_creates_a_level_2_account_and_logs_in(client):
    response = client.post(
        reverse("identity:register"),
        {
            "username": "newcomer",
            "surname": "王",
            "given_name": "芳",
            "id_number": "11010519491231002X",
            "phone": "13912345678",
            "password": PASSWORD,
            "password_again": PASSWORD,
            "accept_privacy": "on",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("identity:account"))
    assert "二级" in page.content.decode()


def test_register_page_explains_a_bad_id_number(client):
    response = client.post(
        reverse("identity:register"),
        {
            "username": "newcomer",
            "surname": "王",
            "given_name": "芳",
            "id_number": "110105194912310021",
            "phone": "",
            "password": PASSWORD,
            "password_again": PASSWORD,
            "accept_privacy": "on",
        },
    )
    assert response.status_code == 200
    assert "身份证号码校验位不正确" in response.content.decode()


def test_citizen_logs_in_and_returns_to_next(client):
    user = UserFactory()
    response = _post_login(client, user.username, next_url="/accounts/enterprise/")
    assert response.status_code == 302 and response["Location"] == "/accounts/enterprise/"
    assert AuditEntry.objects.filter(action=AuditAction.LOGGED_IN, actor=user).exists()


def test_login_refuses_open_redirects(client):
    user = UserFactory()
    response = _post_login(client, user.username, next_url="https://evil.example/")
    assert response["Location"] == "/accounts/"


def test_repeated_failures_lock_the_login(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = UserFactory()
    for _ in range(3):
        _post_login(client, user.username, password="wrong-password-1")
    locked = _post_login(client, user.username)  # even the right password is refused now
    assert locked.status_code == 429
    assert "锁定" in locked.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED).count() >= 3


def test_staff_must_enrol_then_use_totp(client):
    staff = StaffAssignmentFactory(role=StaffRole.APPROVER).user
    # password alone does not log a staff member in
    response = _post_login(client, staff.username)
    assert response["Location"] == reverse("identity:login_totp")
    assert client.get(reverse("identity:account")).status_code == 302
    # first time: enrolment page with a QR code; a wrong token is refused
    page = client.get(reverse("identity:login_totp"))
    assert "<svg" in page.content.decode()
    assert client.post(reverse("identity:login_totp"), {"token": "000000"}).status_code == 200
    device = TOTPDevice.objects.get(user=staff)
    device.throttle_reset()  # django-otp makes each retry after a failure wait a little longer
    token = f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"
    done = client.post(reverse("identity:login_totp"), {"token": token})
    assert done.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("identity:staff_directory")).status_code == 200


def test_staff_page_refuses_citizens(client):
    client.force_login(UserFactory(level3=True))
    assert client.get(reverse("identity:staff_directory")).status_code == 403


def test_require_assurance_sends_to_step_up_and_back(client, sms_outbox, registers):
    # given a level-3 item and a level-2 citizen who is in the register
    item = ServiceItemFactory(required_assurance_level=3)
    person = registers.person(name="王芳")
    user = UserFactory(surname="王", given_name="芳", id_number=person.id_number)
    client.force_login(user)
    start = reverse("identity:start_service", args=[item.code])
    # when they open the service
    response = client.get(start)
    # then they are asked to step up, and come back when done
    assert response.status_code == 302 and response["Location"].startswith(reverse("identity:step_up"))
    step_up = response["Location"]
    client.post(step_up, {"step": "send", "phone": "13912345678", "level": 3, "next": start})
    done = client.post(
        step_up,
        {"step": "confirm", "phone": "13912345678", "code": last_code(sms_outbox), "level": 3, "next": start},
    )
    assert done.status_code == 302
    back = client.get(done["Location"], follow=True)
    assert back.redirect_chain[-1][0] == start
    assert "可以在线办理" in back.content.decode()


def test_agent_acting_for_a_company_is_refused_outside_the_mandate(client):
    inside, outside = (
        ServiceItemFactory(required_assurance_level=2),
        ServiceItemFactory(required_assurance_level=2),
    )
    mandate = MandateFactory(items=[inside])
    client.force_login(mandate.agent)
    client.post(reverse("identity:acting"), {"mandate": mandate.pk})
    assert client.session[ACTING_KEY] == mandate.pk
    allowed = client.get(reverse("identity:start_service", args=[inside.code]))
    assert allowed.status_code == 200 and mandate.enterprise.name in allowed.content.decode()
    refused = client.get(reverse("identity:start_service", args=[outside.code]))
    assert refused.status_code == 403 and "不在委托授权范围内" in refused.content.decode()


def test_someone_else_cannot_act_under_a_mandate(client):
    mandate = MandateFactory()
    client.force_login(UserFactory(level3=True))
    assert client.post(reverse("identity:acting"), {"mandate": mandate.pk}).status_code == 404


def test_account_page_lists_mandates_on_both_sides(client):
    mandate = MandateFactory()
    for user in (mandate.granted_by, mandate.agent):
        client.force_login(user)
        page = client.get(reverse("identity:account")).content.decode()
        assert mandate.enterprise.name in page and mandate.agent.full_name in page
