"""The terminal in a browser: big tiles, a QR login approved on a phone that the terminal picks up by itself
(terminal.js polls), a receipt to print, the idle countdown logging out, and axe-core on every page."""

from __future__ import annotations

import pytest

from yiwang.applications.tests.factories import CaseFactory
from yiwang.identity.tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
KIOSK = {"width": 1080, "height": 1920}  # a portrait kiosk screen
PHONE = {"width": 390, "height": 844}
MIN_TARGET = 64


def _axe_clean(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_21_AA)
    assert results.violations_count == 0, results.generate_report()


def _assert_large(locator) -> None:
    for index in range(locator.count()):
        box = locator.nth(index).bounding_box()
        assert box and box["height"] >= MIN_TARGET and box["width"] >= MIN_TARGET, box


@pytest.fixture
def scanned(monkeypatch) -> list[str]:
    from yiwang.portal.views import terminal as views

    urls: list[str] = []
    original = views._qr_image

    def capture(url: str) -> str:
        urls.append(url)
        return original(url)

    monkeypatch.setattr(views, "_qr_image", capture)
    return urls


def test_terminal_home_qr_login_receipt_and_idle_logout(browser, live_server, settings, scanned):
    settings.TERMINAL_KEYS = {"hall-01": "e2e-key"}
    person = UserFactory(level3=True)
    case = CaseFactory(applicant=person)
    kiosk = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=KIOSK).new_page()
    kiosk.set_default_timeout(20_000)

    # the home: big tiles, axe-clean, then enrolled by an administrator
    kiosk.goto("/terminal/")
    _assert_large(kiosk.locator(".terminal-tile"))
    _axe_clean(kiosk)
    kiosk.goto("/terminal/search?q=身份证")
    _assert_large(kiosk.locator(".terminal-search input, .terminal-search button"))
    _axe_clean(kiosk)
    kiosk.goto("/terminal/enrol")
    _axe_clean(kiosk)
    kiosk.fill("#terminal-id", "hall-01")
    kiosk.fill("#terminal-key", "e2e-key")
    kiosk.get_by_role("button", name="登记").click()
    kiosk.wait_for_url("**/terminal/")
    assert "hall-01" in kiosk.locator("footer").inner_text()

    # the QR login: the phone approves, the terminal notices by itself
    kiosk.get_by_role("link", name="登录", exact=True).click()
    _axe_clean(kiosk)
    kiosk.get_by_role("link", name="手机扫码登录").click()
    kiosk.wait_for_selector("img[alt='扫码登录二维码']")
    _axe_clean(kiosk)
    phone = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE).new_page()
    phone.goto(scanned[-1])  # login_required: the phone logs in first, then comes back
    phone.fill("input[name=username]", person.username)
    phone.fill("input[name=password]", PASSWORD)
    phone.locator("form:has(input[name=password]) [type=submit]").click()
    phone.get_by_role("button", name="确认登录").click()
    assert "已确认" in phone.locator("main").inner_text()
    kiosk.wait_for_url("**/terminal/", timeout=15_000)
    logout = kiosk.get_by_role("button", name="退出登录")
    assert logout.is_visible()
    _assert_large(logout)

    # a receipt to print
    kiosk.get_by_role("link", name="我的办件").click()
    _axe_clean(kiosk)
    kiosk.get_by_role("link", name=f"打印回执 {case.number}").click()
    assert case.number in kiosk.locator("article").inner_text()
    _assert_large(kiosk.get_by_role("button", name="打印"))
    _axe_clean(kiosk)

    # nobody touches the screen: the countdown shows, then the session ends and the home comes back
    settings.TERMINAL_IDLE_SECONDS = 3
    kiosk.goto("/terminal/licenses")
    kiosk.wait_for_url("**/terminal/?ended=idle", timeout=15_000)
    assert "已自动退出登录" in kiosk.locator("main").inner_text()
    assert kiosk.get_by_role("button", name="退出登录").count() == 0
    _axe_clean(kiosk)
