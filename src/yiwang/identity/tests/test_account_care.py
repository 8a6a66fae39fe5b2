"""Account care: forgot password and SMS login through a verified phone, change phone, privacy version kept;
wrong, expired and repeated codes are refused, sending is throttled, every change is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from yiwang.audit.models import AuditEntry
from yiwang.identity.constants import PRIVACY_NOTICE_VERSION, AuditAction
from yiwang.identity.models import PhoneCode, User

from .conftest import last_code
from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Shenzhen-River-2026"
PHONE = "13911112222"


@pytest.fixture
def citizen():
    return UserFactory(level3=True, phone=PHONE)


def _send(client, url, phone=PHONE):
    return client.post(url, {"step": "send", "phone": phone})


def _actions() -> list[str]:
    return list(AuditEntry.objects.values_list("action", flat=True))


def test_forgot_password_through_the_verified_phone(client, citizen, sms_outbox):
    url = reverse("identity:forgot_password")
    assert _send(client, url).status_code == 200
    response = client.post(
        url,
        {
            "step": "confirm",
            "phone": PHONE,
            "code": last_code(sms_outbox),
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.check_password(NEW_PASSWORD) and not citizen.check_password(PASSWORD)
    assert AuditAction.PASSWORD_RESET in _actions()


def test_an_unknown_phone_is_answered_alike_and_gets_no_code(client, sms_outbox):
    UserFactory(phone=PHONE)  # not verified: does not identify the account
    response = _send(client, reverse("identity:forgot_password"))
    assert response.status_code == 200 and "如该手机号已在本平台完成验证" in response.content.decode()
    assert len(sms_outbox) == 0
    assert AuditAction.PASSWORD_RESET_REFUSED in _actions()


def test_staff_cannot_reset_or_log_in_by_sms(client, sms_outbox):
    UserFactory(staff=True, phone=PHONE, phone_verified_at=timezone.now())
    _send(client, reverse("identity:sms_login"))
    assert len(sms_outbox) == 0


def test_a_wrong_code_is_refused_and_a_used_code_cannot_be_replayed(client, citizen, sms_outbox):
    url = reverse("identity:forgot_password")
    _send(client, url)
    code = last_code(sms_outbox)
    form = {"step": "confirm", "phone": PHONE, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    wrong = client.post(url, {**form, "code": "000000" if code != "000000" else "111111"})
    assert "验证码不正确" in wrong.content.decode()
    assert client.post(url, {**form, "code": code}).status_code == 302
    again = client.post(url, {**form, "code": code})
    assert again.status_code == 200 and "请先获取短信验证码" in again.content.decode()
    assert AuditAction.PHONE_CODE_REFUSED in _actions()


def test_an_expired_code_is_refused(client, citizen, sms_outbox):
    url = reverse("identity:sms_login")
    _send(client, url)
    PhoneCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.post(url, {"step": "confirm", "phone": PHONE, "code": last_code(sms_outbox)})
    assert "验证码已过期" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_too_many_wrong_codes_lock_the_code(client, citizen, sms_outbox):
    url = reverse("identity:sms_login")
    _send(client, url)
    code = last_code(sms_outbox)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        client.post(url, {"step": "confirm", "phone": PHONE, "code": wrong})
    response = client.post(url, {"step": "confirm", "phone": PHONE, "code": code})
    assert "错误次数过多" in response.content.decode()


def test_sending_is_throttled_per_minute_and_per_hour(client, citizen, sms_outbox, settings):
    url = reverse("identity:sms_login")
    _send(client, url)
    assert "过于频繁" in _send(client, url).content.decode()
    settings.IDENTITY_PHONE_CODE_RESEND_SECONDS = 0
    for _ in range(4):
        _send(client, url)
    assert len(sms_outbox) == 5
    assert "本小时获取验证码次数已达上限" in _send(client, url).content.decode()
    assert len(sms_outbox) == 5


def test_log_in_by_sms_code_lands_in_my_space(client, citizen, sms_outbox):
    url = reverse("identity:sms_login")
    _send(client, url)
    response = client.post(url, {"step": "confirm", "phone": PHONE, "code": last_code(sms_outbox)})
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert client.session["_auth_user_id"] == str(citizen.pk)
    entry = AuditEntry.objects.filter(action=AuditAction.LOGGED_IN).get()
    assert entry.details["second_factor"] == "sms"


def test_change_phone_needs_the_password_and_the_new_phones_code(client, citizen, sms_outbox):
    client.force_login(citizen)
    url = reverse("identity:change_phone")
    bad = client.post(url, {"step": "send", "new_phone": "13733334444", "password": "wrong"})
    assert "当前密码不正确" in bad.content.decode() and len(sms_outbox) == 0
    client.post(url, {"step": "send", "new_phone": "13733334444", "password": PASSWORD})
    assert sms_outbox[-1]["phone"] == "13733334444"
    done = client.post(url, {"step": "confirm", "new_phone": "13733334444", "code": last_code(sms_outbox)})
    assert done.status_code == 302
    citizen.refresh_from_db()
    assert citizen.phone == "13733334444" and citizen.phone_verified_at is not None
    entry = AuditEntry.objects.filter(action=AuditAction.PHONE_CHANGED).get()
    assert "13733334444" not in str(entry.details)  # masked
    assert AuditAction.PHONE_CHANGE_REFUSED in _actions()


def test_a_phone_verified_by_another_account_cannot_be_taken(client, citizen, sms_outbox):
    other = UserFactory(level3=True, phone="13755556666")
    client.force_login(citizen)
    response = client.post(
        reverse("identity:change_phone"), {"step": "send", "new_phone": other.phone, "password": PASSWORD}
    )
    assert "已绑定其他账号" in response.content.decode() and len(sms_outbox) == 0


def test_change_phone_needs_login(client):
    response = client.get(reverse("identity:change_phone"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_registration_keeps_the_privacy_notice_version(client):
    form = {
        "username": "privacyfan",
        "surname": "王",
        "given_name": "芳",
        "id_number": "11010519491231002X",
        "password": PASSWORD,
        "password_again": PASSWORD,
    }
    refused = client.post(reverse("identity:register"), form)
    assert refused.status_code == 200 and "须阅读并同意隐私政策" in refused.content.decode()
    assert client.post(reverse("identity:register"), {**form, "accept_privacy": "on"}).status_code == 302
    user = User.objects.get(username="privacyfan")
    assert user.privacy_notice_version == PRIVACY_NOTICE_VERSION and user.privacy_accepted_at
    account = client.get(reverse("identity:account")).content.decode()
    assert PRIVACY_NOTICE_VERSION in account and 'data-testid="deletion-rules"' in account
    assert client.get(reverse("identity:privacy")).status_code == 200


def test_staff_land_on_the_workbench_after_login(client):
    staff = UserFactory(staff=True)
    client.post(reverse("identity:login"), {"username": staff.username, "password": PASSWORD})
    assert client.session["identity_pending_staff"]["next"] == "/cases/workbench/"


def test_staff_logging_in_from_the_home_page_land_on_the_workbench_but_keep_a_real_destination(client):
    staff = UserFactory(staff=True)
    form = {"username": staff.username, "password": PASSWORD}
    client.post(reverse("identity:login") + "?next=/", form)
    assert client.session["identity_pending_staff"]["next"] == "/cases/workbench/"
    client.post(reverse("identity:login") + "?next=/supervision/cards/", form)
    assert client.session["identity_pending_staff"]["next"] == "/supervision/cards/"
