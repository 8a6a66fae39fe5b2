"""The workbench in a browser (headless Debian Chromium): a window clerk logs in with password and TOTP,
finds a submitted case in the queue and accepts it; the approver logs in the same way, reviews and
approves it with reason and legal basis. And 一窗受理: the citizen consents on their phone, the clerk
applies for them with paper scans. Screenshots of each page go to test-results/.

It runs against Django's live server on the test database (the case is made through the real services)
rather than the demo server of tests/e2e, so it needs no demo seed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.applications.constants import CaseStatus, Channel, Decision
from yiwang.applications.models import Case
from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import PASSWORD, StaffAssignmentFactory
from yiwang.licenses.services import load_license_type_catalog

from .cases_world import PDF
from .workbench_world import make_page_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RESULTS_DIR = Path(__file__).resolve().parents[4] / "test-results"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _totp_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="e2e", confirmed=True)


def _current_token(device: TOTPDevice) -> str:
    """The code the staff member's authenticator app shows now (RFC 6238, as django-otp checks it)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def _log_in(page, user, device: TOTPDevice, next_url: str) -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_selector("input[name=token]")
    page.fill("input[name=token]", _current_token(device))
    page.locator("form:has(input[name=token]) [type=submit]").click()
    page.wait_for_load_state()


def _shot(page, name: str) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"workbench-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_a_clerk_accepts_and_the_approver_decides_in_the_browser(browser, live_server):
    pages = make_page_world()
    case = pages.case
    clerk, approver = pages.people["clerk"], pages.people["approver"]
    clerk_device, approver_device = _totp_device(clerk), _totp_device(approver)

    # the clerk logs in with password and TOTP and finds the case in the queue
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    _log_in(page, clerk, clerk_device, "/cases/workbench/")
    assert page.url.endswith("/cases/workbench/")
    row = page.locator("[data-testid=queue-row]", has_text=case.number)
    assert row.is_visible() and "受理" in row.inner_text()
    _shot(page, "queue")
    row.get_by_role("link", name=case.number).click()
    assert page.locator("#case-status").inner_text() == "已提交，待受理"
    # when the clerk accepts it
    page.locator("#accept-button").click()
    page.wait_for_load_state()
    assert page.locator("#case-status").inner_text() == "已受理，办理中"
    assert page.locator("#promised-due").inner_text() != "—"
    _shot(page, "accepted")
    context.close()

    # the approver logs in the same way, reviews and approves with reason and legal basis
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    _log_in(page, approver, approver_device, f"/cases/workbench/{case.number}/")
    page.locator("[data-testid=complete-form] textarea").fill("申请材料齐全，符合法定形式")
    page.locator("[data-testid=complete-form] button").click()
    page.wait_for_load_state()
    page.get_by_label("准予").check()
    page.locator("#decide-reason").fill("申请人符合法定条件")
    page.locator("#decide-basis").fill("《中华人民共和国行政许可法》第三十八条第一款")
    page.locator("#decide-button").click()
    page.wait_for_load_state()
    assert page.locator("#case-decision").inner_text() == "准予"
    shot = _shot(page, "decided")
    context.close()

    decided = Case.objects.get(pk=case.pk)
    assert decided.decision == Decision.APPROVE and decided.decided_by == approver
    assert decided.status in (CaseStatus.ACCEPTED, CaseStatus.APPROVED)
    assert shot.exists() and shot.stat().st_size > 10_000
    assert os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE") == "true"


def test_a_window_clerk_applies_for_a_citizen_who_consents_on_their_phone(browser, live_server):
    load_license_type_catalog()
    pages = make_page_world()
    window_department = DepartmentFactory(name="区政务服务中心综合窗口", region=pages.world.department.region)
    clerk = StaffAssignmentFactory(department=window_department, role=StaffRole.WINDOW_CLERK).user
    device = _totp_device(clerk)
    holder = pages.people["citizen"]

    # the clerk at the comprehensive window shows the consent QR code
    clerk_context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    clerk_context.set_default_timeout(20_000)
    desk = clerk_context.new_page()
    _log_in(desk, clerk, device, "/cases/window/")
    desk.get_by_role("button", name="生成授权二维码").click()
    desk.wait_for_load_state()
    assert desk.locator(".consent-qr img").is_visible()
    _shot(desk, "window-consent")
    consent_path = (
        desk.locator("#consent-link").get_attribute("href").split(live_server.url.split("://")[1])[-1]
    )

    # the citizen scans it on their phone, signs in and agrees
    phone_context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 390, "height": 844}
    )
    phone_context.set_default_timeout(20_000)
    phone = phone_context.new_page()
    phone.goto(f"/accounts/login/?next={consent_path}")
    phone.fill("input[name=username]", holder.username)
    phone.fill("input[name=password]", PASSWORD)
    phone.locator("form:has(input[name=password]) [type=submit]").click()
    phone.get_by_role("button", name="同意授权").click()
    phone.wait_for_load_state()
    phone_context.close()

    # the clerk checks the ID card, picks the item, answers, fills, scans and submits
    desk.fill("#id_number", holder.id_number)
    desk.get_by_role("button", name="查找申请人").click()
    desk.wait_for_load_state()
    desk.locator("[data-testid=window-item]", has_text=pages.world.implementation.name).get_by_role(
        "link", name="代为申请"
    ).click()
    desk.get_by_label("不在职").check()
    desk.get_by_role("button", name="下一步").click()
    desk.wait_for_load_state()
    assert desk.locator("#f-applicant_name").get_attribute("readonly") is not None
    desk.fill("#f-applicant_id_number", holder.id_number)
    desk.fill("#f-phone", "13900000000")
    desk.select_option("#f-kind", "a")
    for index, name in enumerate(("身份证扫描件.pdf", "申请表扫描件.pdf"), start=1):
        desk.set_input_files(f"#scan-{index}", {"name": name, "mimeType": "application/pdf", "buffer": PDF})
    _shot(desk, "window-form")
    desk.locator("#window-submit").click()
    desk.wait_for_load_state()
    number = desk.locator("#case-number").inner_text()
    assert desk.locator("#visits").inner_text() == "1"
    _shot(desk, "window-done")
    clerk_context.close()

    case = Case.objects.get(number=number)
    assert (case.channel, case.window_clerk, case.applicant) == (Channel.WINDOW, clerk, holder)
    assert case.department == pages.world.department
