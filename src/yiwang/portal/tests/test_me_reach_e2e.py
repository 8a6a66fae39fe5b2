"""我的空间 in a browser (headless Debian Chromium via the shared fixture), on a desktop and a phone viewport.

- A citizen, logged in once, reaches every part of the personal space from the home page in at most two
  clicks, counted: the header's 我的空间 link (visible on the phone without a menu), then the part's link.
  The parts are every ``me-link-*`` link /me/ shows (so a part added later — messages, bookings — is
  walked too) and must include the ones the issue names; the parts shown on /me/ itself (what needs my
  action, favourites, recently viewed) take the one click.
- /me/, the vault and 一企一档 pass axe-core's WCAG 2.1 AA checks on the desktop, on the phone and in
  elder mode; so do the account-care pages (SMS login, forgotten password, privacy notice, registration).
- A staff member who logs in from the home page lands on the workbench, with its header link on a phone.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.applications.constants import CaseStatus
from yiwang.applications.tests.factories import CaseFactory
from yiwang.catalog.tests.factories import ImplementationFactory
from yiwang.identity.models import FavouriteService
from yiwang.identity.tests.factories import PASSWORD, EnterpriseFactory, StaffAssignmentFactory, UserFactory
from yiwang.supervision.constants import EvaluationChannel, EvaluationStage
from yiwang.supervision.models import EvaluationInvitation

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# The parts the issue names, by the test id of their link on /me/ and where it leads.
REQUIRED_PARTS = {
    "me-link-cases": "/cases/mine/",
    "me-link-licenses": "/licenses/",
    "me-link-vault": "/me/vault",
    "me-link-consents": "/licenses/consents/",
    "me-link-mandates": "/accounts/",
    "me-link-data-uses": "/me/data-uses",
    "me-link-evaluations": "/supervision/evaluations/",
    "me-link-feedback": "/supervision/feedback/mine/",
    "me-link-enterprise": "/me/enterprises/",
    "me-link-account": "/accounts/",
}
ON_MY_SPACE = ["me-action-supplement", "me-action-collect", "me-action-rate", "me-favourites", "me-recent"]


def _axe_clean(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_21_AA)
    assert results.violations_count == 0, results.generate_report()


class Clicks:
    """Clicks on the way from the home page to a part; navigation waits included."""

    def __init__(self, page) -> None:
        self.page, self.count = page, 0

    def follow(self, test_id: str) -> None:
        link = self.page.get_by_test_id(test_id).first
        assert link.is_visible(), test_id
        box = link.bounding_box()
        viewport = self.page.viewport_size
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (test_id, box)
        self.count += 1
        with self.page.expect_navigation():
            link.click()


def _citizen_world():
    citizen = UserFactory(level3=True)
    enterprise = EnterpriseFactory(representative=citizen)
    CaseFactory(applicant=citizen, status=CaseStatus.SUPPLEMENT)
    approved = CaseFactory(applicant=citizen, status=CaseStatus.APPROVED, closed_at=timezone.now())
    CaseFactory(applicant=citizen, holder_code=enterprise.credit_code, applicant_kind="enterprise")
    EvaluationInvitation.objects.create(
        case=approved,
        stage=EvaluationStage.SERVICE,
        channel=EvaluationChannel.WEB,
        invitee=citizen,
        expires_at=timezone.now() + dt.timedelta(days=5),
    )
    FavouriteService.objects.create(user=citizen, implementation=ImplementationFactory(complete=True))
    viewed = ImplementationFactory(complete=True)
    return citizen, enterprise, viewed


def _walk(page, viewport: dict) -> set[str]:
    """Every part from the home page in at most two clicks; the /me/ pages pass axe. Returns the parts."""
    page.set_viewport_size(viewport)
    page.goto("/")
    clicks = Clicks(page)
    clicks.follow("header-me")
    assert page.url.endswith("/me/") and clicks.count == 1
    for test_id in ON_MY_SPACE:
        assert page.get_by_test_id(test_id).first.is_visible(), test_id
    _axe_clean(page)
    found = page.eval_on_selector_all(
        "[data-testid^='me-link-']", "links => links.map(link => link.dataset.testid)"
    )
    parts = set(found)
    assert set(REQUIRED_PARTS) <= parts, set(REQUIRED_PARTS) - parts
    for test_id in sorted(parts):
        page.goto("/")
        clicks = Clicks(page)
        clicks.follow("header-me")
        clicks.follow(test_id)
        assert clicks.count <= 2
        assert REQUIRED_PARTS.get(test_id, "/") in page.url, (test_id, page.url)
        assert page.locator("h1").first.is_visible(), test_id
        if "/me/" in page.url:
            _axe_clean(page)
    return parts


def test_a_citizen_reaches_every_part_of_my_space_in_two_clicks(browser, live_server):
    citizen, enterprise, viewed = _citizen_world()
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=DESKTOP)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/accounts/login/")  # the one login of this test
    page.fill("input[name=username]", citizen.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.locator("form:has(input[name=password]) [type=submit]").click()
    assert page.get_by_test_id("header-me").is_visible()
    assert page.goto(f"/items/{viewed.code}").ok  # a guide seen: 最近浏览 has something to show

    desktop = _walk(page, DESKTOP)
    phone = _walk(page, PHONE)
    assert desktop == phone
    # elder mode (on the phone, then the desktop): the personal space's own pages stay clean
    page.goto("/me/")
    page.get_by_role("button", name="长者模式").click()
    page.wait_for_load_state()
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        for path in ("/me/", "/me/vault", f"/me/enterprises/{enterprise.credit_code}"):
            page.goto(path)
            assert "elder" in (page.locator("html").get_attribute("class") or "")
            _axe_clean(page)
    context.close()


def test_a_staff_member_lands_on_the_workbench(browser, live_server):
    staff = StaffAssignmentFactory().user
    device = TOTPDevice.objects.create(user=staff, name="e2e", confirmed=True)
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE)
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
    with page.expect_navigation():
        page.locator("form:has(input[name=token]) [type=submit]").click()
    assert page.url.endswith("/cases/workbench/")
    assert page.get_by_test_id("header-workbench").is_visible()  # on the phone
    page.set_viewport_size(DESKTOP)
    page.goto("/me/")  # staff asking for the personal space get their entrances instead
    assert page.get_by_test_id("staff-workbench").is_visible()
    assert not page.get_by_test_id("header-me").count()
    context.close()


def test_account_care_pages_pass_axe(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE)
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
