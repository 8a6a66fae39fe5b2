"""The search-miss screen in Chromium: axe-core's WCAG 2.1 AA checks on desktop, in elder mode and on a
phone, and a missed and a never-clicked query each turned into an implementation's keyword in one step."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from yiwang.conftest import login_with_second_factor
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory
from yiwang.search.models import LearnedKeyword, SearchMiss, SearchQueryDay
from yiwang.search.selectors import search_catalog

from .conftest import GUANGAN_DISTRICT

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
MODES = {
    "desktop": ({"width": 1280, "height": 900}, False),
    "elder-phone": ({"width": 375, "height": 667}, True),
    "phone": ({"width": 375, "height": 667}, False),
}


def _axe_clean(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_21_AA)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def _context(browser, live_server, user, *, viewport, elder):
    client = Client()
    login_with_second_factor(client, user)
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=viewport)
    context.set_default_timeout(20_000)
    cookies = [
        {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}
    ]
    if elder:
        cookies.append({"name": "elder", "value": "1"})
    context.add_cookies([dict(cookie, url=live_server.url) for cookie in cookies])
    return context


@pytest.mark.parametrize("mode", MODES.values(), ids=MODES.keys())
def test_the_miss_screen_meets_wcag_and_turns_a_miss_into_a_keyword(
    browser, live_server, indexed_catalog, mode
):
    viewport, elder = mode
    fund = indexed_catalog["fund"]
    curator = StaffAssignmentFactory(role=StaffRole.DATA_ADMIN, department=fund.department).user
    search_catalog(query="公积金 储蓄罐", region_code=GUANGAN_DISTRICT)  # some words match: not a miss
    search_catalog(query="储蓄罐", region_code=GUANGAN_DISTRICT)
    miss = SearchMiss.objects.get(query="储蓄罐")
    miss.query = "储蓄罐 公积金"  # a miss whose words suggest the item (the picker offers it on the row)
    miss.save(update_fields=["query"])
    # and a query that shows results often but whose results nobody follows
    SearchQueryDay.objects.create(
        query="公积金 怎么取", region_code=GUANGAN_DISTRICT, day=timezone.localdate(), searches=9
    )
    context = _context(browser, live_server, curator, viewport=viewport, elder=elder)
    page = context.new_page()
    page.goto(f"/search-misses/{miss.pk}")
    _axe_clean(page)
    page.goto("/search-misses/")
    _axe_clean(page)
    row = page.locator("[data-testid=miss]", has_text="储蓄罐")
    row.get_by_label("加为事项关键词").select_option(value=str(fund.pk))
    row.get_by_role("button", name="加入关键词").click()
    page.wait_for_selector(".message-success")
    _axe_clean(page)
    unclicked = page.locator("[data-testid=unclicked]", has_text="公积金 怎么取")
    unclicked.get_by_label("加为事项关键词").select_option(value=str(fund.pk))
    unclicked.get_by_role("button", name="加入关键词").click()
    expect(unclicked).to_have_count(0)  # resolved: the row leaves the screen
    context.close()
    assert LearnedKeyword.objects.filter(implementation=fund, keyword="公积金 怎么取").exists()
    assert search_catalog(query="储蓄罐 公积金", region_code=GUANGAN_DISTRICT).results[0].code == fund.code
