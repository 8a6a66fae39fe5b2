"""我的消息 in a browser, on a desktop and on a phone: a logged-in citizen reaches messages from the home
page in at most two clicks (the header's 消息 link with its unread badge, then the message), and the inbox,
a message and the settings pass axe-core's WCAG 2.1 AA checks."""

from __future__ import annotations

import pytest
from django.utils.translation import gettext_noop
from playwright.sync_api import expect

from yiwang.identity.tests.factories import PASSWORD, UserFactory
from yiwang.notifications.constants import MessageTopic
from yiwang.notifications.services import notify

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _axe_clean(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_21_AA)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_a_citizen_reaches_a_message_in_two_clicks(browser, live_server, viewport):
    citizen = UserFactory(level3=True)
    notify(
        recipient=citizen,
        topic=MessageTopic.CASE_SUPPLEMENT_REQUESTED,
        title=gettext_noop("办件 {number} 需要补正材料"),
        body=gettext_noop("请补正以下 {count} 项后重新提交（补正期间暂停计时）：{listing}"),
        context={"number": "SQ-E2E-1", "count": 1, "listing": "1. 申请表未签字"},
        link="/cases/mine/",
    )
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=viewport)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", citizen.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_load_state()
    page.goto("/")
    assert page.get_by_test_id("header-unread").inner_text().startswith("1")
    page.get_by_test_id("header-messages").click()  # click 1
    page.wait_for_load_state()
    assert page.url.endswith("/me/messages")
    _axe_clean(page)
    page.get_by_role("link", name="办件 SQ-E2E-1 需要补正材料").click()  # click 2
    page.wait_for_load_state()
    assert page.get_by_test_id("message-title").inner_text() == "办件 SQ-E2E-1 需要补正材料"
    assert "申请表未签字" in page.get_by_test_id("message-body").inner_text()
    assert page.get_by_test_id("header-unread").count() == 0  # read now
    _axe_clean(page)
    page.goto("/me/messages/settings")
    _axe_clean(page)
    if viewport == VIEWPORTS["phone"]:  # and in elder mode (large type)
        page.get_by_role("button", name="长者模式").click()
        page.goto("/me/messages")
        expect(page.locator("html")).to_have_class("elder")
        _axe_clean(page)
    context.close()
