"""好差评 in a browser (headless Debian Chromium): a citizen rates their closed case 非常不满意 on their
phone; the department head records the measures, the region's supervisor records the revisit; the
citizen follows the ticket to its close. Screenshots go to test-results/.

It runs against Django's live server on the test database (the case made with applications' factories).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.identity.tests.factories import PASSWORD
from yiwang.supervision.constants import RectificationStatus
from yiwang.supervision.models import Rectification

from .evaluations_world import make_eval_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RESULTS_DIR = Path(__file__).resolve().parents[4] / "test-results"


def _current_token(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def _context(browser, live_server, *, phone: bool = False):
    viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=viewport)
    context.set_default_timeout(20_000)
    return context


def _citizen_log_in(page, user, next_url: str) -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_load_state()


def _staff_log_in(page, user, next_url: str) -> None:
    device = TOTPDevice.objects.create(user=user, name="e2e", confirmed=True)
    _citizen_log_in(page, user, next_url)
    page.wait_for_selector("input[name=token]")
    page.fill("input[name=token]", _current_token(device))
    page.locator("form:has(input[name=token]) [type=submit]").click()
    page.wait_for_load_state()


def _shot(page, name: str) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"evaluations-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_a_citizen_rates_a_closed_case_badly_and_follows_the_rectification(browser, live_server):
    world = make_eval_world()
    case = world.case
    applicant, head, supervisor = (world.people[who] for who in ("applicant", "head", "supervisor"))

    # the citizen rates the closed case on their phone: 非常不满意, with a comment
    phone_context = _context(browser, live_server, phone=True)
    phone = phone_context.new_page()
    _citizen_log_in(phone, applicant, f"/supervision/evaluate/{case.number}/")
    phone.locator("[data-testid=level-1]").check()
    phone.locator("[data-testid=comment]").fill("材料被要求重复提交，跑了三趟")
    _shot(phone, "rate")
    phone.locator("[data-testid=submit-rating]").click()
    phone.wait_for_load_state()
    assert phone.locator("[data-testid=rating-level]").inner_text() == "非常不满意"
    phone.locator("[data-testid=rectification-link] a").click()
    phone.wait_for_load_state()
    assert phone.locator("[data-testid=ticket-status]").inner_text() == RectificationStatus.OPEN.label
    ticket = Rectification.objects.get(evaluation__case=case)

    # the department head finds the ticket in the queue and records the measures
    head_context = _context(browser, live_server)
    desk = head_context.new_page()
    _staff_log_in(desk, head, "/supervision/rectifications/")
    desk.locator("[data-testid=ticket]", has_text=case.number).get_by_role("link", name=case.number).click()
    desk.wait_for_load_state()
    desk.locator("[data-testid=measures]").fill("一次性告知材料清单，窗口增设引导员")
    desk.locator("[data-testid=submit-measures]").click()
    desk.wait_for_load_state()
    assert desk.locator("[data-testid=ticket-status]").inner_text() == RectificationStatus.RECTIFIED.label
    head_context.close()

    # the region's supervisor calls the citizen back and records the revisit
    supervisor_context = _context(browser, live_server)
    office = supervisor_context.new_page()
    _staff_log_in(office, supervisor, f"/supervision/rectifications/{ticket.pk}/")
    office.locator("[data-testid=revisit-result]").select_option("satisfied")
    office.locator("[data-testid=revisit-note]").fill("电话回访，群众对整改表示满意")
    office.locator("[data-testid=submit-revisit]").click()
    office.wait_for_load_state()
    assert office.locator("[data-testid=ticket-status]").inner_text() == RectificationStatus.CLOSED.label
    supervisor_context.close()

    # the citizen sees the measures and the revisit
    phone.reload()
    assert phone.locator("[data-testid=ticket-status]").inner_text() == RectificationStatus.CLOSED.label
    assert "窗口增设引导员" in phone.locator("[data-testid=ticket-measures]").inner_text()
    assert "群众对整改表示满意" in phone.locator("[data-testid=revisit]").inner_text()
    shot = _shot(phone, "followed")
    phone_context.close()
    assert shot.exists() and shot.stat().st_size > 10_000
