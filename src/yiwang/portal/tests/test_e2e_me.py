"""我的空间 in a browser (headless Debian Chromium), on a desktop and on a phone: a citizen reaches each part
of the personal space from the home page in at most two clicks (the header link, then the part), the pages
pass axe-core's WCAG 2.1 AA checks; a staff member lands on the workbench after logging in.

Runs against Django's live server on the test database (copied from applications' workbench browser test).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.applications.constants import CaseStatus
from yiwang.applications.tests.factories import CaseFactory
from yiwang.identity.tests.factories import PASSWORD, EnterpriseFactory, StaffAssignmentFactory, UserFactory
from yiwang.supervision.constants import EvaluationChannel, EvaluationStage
from yiwang.supervision.models import EvaluationInvitation

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
# Each part of the personal space: the link's test id on /me/ and where it leads.
PARTS = {
    "me-link-cases": "/cases/mine/",
    "me-link-licenses": "/licenses/",
    "me-link-vault": "/me/vault",
    "me-link-consents": "/licenses/consents/",
    "me-link-mandates": "/accounts/",
    "me-link-data-uses": "/me/data-uses",
    "me-link-evaluations": "/supervision/evaluations/",
    "me-link-feedback": "/supervision/feedback/mine/",
    "me-link-enterprise": "/me/enterprises/",
}


def _axe_clean(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_21_AA)
    assert results.violations_count == 0, results.generate_report()


def _citizen():
    citizen = UserFactory(level3=True)
    EnterpriseFactory(representative=citizen)
    CaseFactory(applicant=citizen, status=CaseStatus.SUPPLEMENT)
    approved = CaseFactory(applicant=citizen, status=CaseStatus.APPROVED, closed_at=timezone.now())
    EvaluationInvitation.objects.create(
        case=approved,
        stage=EvaluationStage.SERVICE,
        channel=EvaluationChannel.WEB,
        invitee=citizen,
        expires_at=timezone.now() + dt.timedelta(days=5),
    )
    return citizen


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_a_citizen_reaches_every_part_of_my_space_in_two_clicks(browser, live_server, viewport):
    citizen = _citizen()
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=viewport)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", citizen.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_load_state()
    assert page.url.endswith("/accounts/")
    page.goto("/")
    page.get_by_test_id("header-me").click()  # click 1
    page.wait_for_load_state()
    assert page.url.endswith("/me/")
    assert page.get_by_test_id("me-action-supplement").is_visible()
    assert page.get_by_test_id("me-action-rate").is_visible()
    _axe_clean(page)
    for test_id, target in PARTS.items():
        page.goto("/")
        page.get_by_test_id("header-me").click()
        page.wait_for_load_state()
        page.get_by_test_id(test_id).first.click()  # click 2
        page.wait_for_load_state()
        assert target in page.url, (test_id, page.url)
        assert page.locator("h1").first.is_visible()
        if target.startswith("/me/"):
            _axe_clean(page)
    context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_a_staff_member_lands_on_the_workbench(browser, live_server, viewport):
    staff = StaffAssignmentFactory().user
    device = TOTPDevice.objects.create(user=staff, name="e2e", confirmed=True)
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=viewport)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/")
    page.get_by_role("link", name="登录").click()
    page.fill("input[name=username]", staff.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_selector("input[name=token]")
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    page.fill("input[name=token]", f"{totp.token():06d}")
    page.locator("form:has(input[name=token]) [type=submit]").click()
    page.wait_for_load_state()
    assert page.url.endswith("/cases/workbench/")
    assert page.get_by_test_id("header-workbench").is_visible()
    context.close()


def test_account_care_pages_pass_axe(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=VIEWPORTS["phone"])
    page = context.new_page()
    for path in [
        "/accounts/login/sms/",
        "/accounts/password/forgot/",
        "/accounts/privacy/",
        "/accounts/register/",
    ]:
        page.goto(path)
        _axe_clean(page)
    context.close()
