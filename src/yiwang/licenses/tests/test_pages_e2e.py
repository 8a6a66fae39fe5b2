"""License pages in headless Chromium: readable at 375 px (names not squeezed, type names as titles), the
QR code of 亮证 renewing itself, and axe-core's WCAG 2.1 AA checks on desktop, in elder mode and on a phone.

Runs against Django's live server on the test database; people are logged in by session cookie.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from yiwang.licenses import views_show
from yiwang.licenses.services import create_consent_request

from .conftest import log_in
from .factories import DepartmentFactory

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 900}
MODES = {
    "desktop": (DESKTOP, False),
    "elder": (DESKTOP, True),
    "phone": (PHONE, False),
    "elder-phone": (PHONE, True),
}


def _axe_clean(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_21_AA)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def _context(browser, live_server, user, *, viewport, elder=False):
    client = log_in(Client(), user)
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=viewport)
    context.set_default_timeout(20_000)
    cookies = [
        {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}
    ]
    if elder:
        cookies.append({"name": "elder", "value": "1"})
    context.add_cookies([dict(cookie, url=live_server.url) for cookie in cookies])
    return context


def _holder_pages(world) -> list[str]:
    identifier = world.license.identifier
    return ["/licenses/", f"/licenses/{identifier}/", "/licenses/consents/", f"/licenses/{identifier}/show"]


def test_license_names_are_readable_on_a_375px_phone(browser, live_server, world):
    DepartmentFactory(name="广安市不动产登记中心")
    license_type = world.license.license_type
    license_type.name = "中华人民共和国残疾人证"  # a long name from the catalog
    license_type.save(update_fields=["name"])
    context = _context(browser, live_server, world.holder, viewport=PHONE)
    page = context.new_page()
    for path in _holder_pages(world):
        page.goto(path)
        name = page.get_by_test_id("license-name").first
        assert name.inner_text().strip() == license_type.name, path
        box = name.bounding_box()
        font_size = float(name.evaluate("element => getComputedStyle(element).fontSize").removesuffix("px"))
        assert box["width"] > 100 and box["height"] < 3.5 * font_size, (path, box)  # two lines at most
        assert license_type.code not in page.locator("h1").first.inner_text(), path
        # nothing wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    context.close()


@pytest.mark.parametrize("mode", MODES.values(), ids=MODES.keys())
def test_license_pages_meet_wcag_21_aa(browser, live_server, world, mode):
    viewport, elder = mode
    _, token = create_consent_request(
        actor=world.requester,
        requester=world.requester_department,
        license_type=world.license.license_type,
        purpose="窗口办理",
        consent_days=1,
    )
    context = _context(browser, live_server, world.holder, viewport=viewport, elder=elder)
    page = context.new_page()
    for path in [*_holder_pages(world), f"/licenses/consent-requests/{token}"]:
        page.goto(path)
        if elder:
            assert page.locator("html.elder").count() == 1
        _axe_clean(page)
    context.close()
    staff = _context(browser, live_server, world.issuer_staff, viewport=viewport, elder=elder)
    page = staff.new_page()
    page.goto("/licenses/issue")
    _axe_clean(page)
    page.get_by_label("证照类型").select_option(label=world.license.license_type.name)
    page.get_by_role("button", name="下一步：填写照面信息").click()
    page.wait_for_selector("#issue-form")
    _axe_clean(page)
    # sent empty (past the browser's own required-field check): the server's errors, in Chinese
    page.locator("#issue-form").evaluate("form => { form.noValidate = true; }")
    page.get_by_role("button", name="签发").click()
    page.wait_for_selector(".field-errors")
    assert "这个字段是必填项" in page.locator("#issue-form").inner_text()
    _axe_clean(page)
    staff.close()


def test_the_qr_code_renews_itself(browser, live_server, world, monkeypatch):
    # renew two seconds after showing instead of after four minutes
    monkeypatch.setattr(views_show, "RENEW_MARGIN_SECONDS", 298)
    context = _context(browser, live_server, world.holder, viewport=PHONE)
    page = context.new_page()
    page.goto(f"/licenses/{world.license.identifier}/show")
    first = page.locator("#show-link").get_attribute("href")
    page.wait_for_function(
        "first => document.querySelector('#show-link').getAttribute('href') !== first",
        arg=first,
        timeout=15_000,
    )
    assert "二维码已更新" in page.locator("[data-show-status]").inner_text()
    assert page.locator("[data-show-qr] svg").count() == 1
    _axe_clean(page)
    context.close()
