"""WCAG 2.1 A/AA checks with axe-core on every kind of portal page, in each display mode."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from .conftest import PHONE

pytestmark = pytest.mark.e2e

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
GUIDE = "/items/513A001120006803-511602000000-000-11511300008778693M-1-00"
PAGES = {
    "home": "/",
    "search": "/search?q=身份证丢了",
    "search-empty": "/search?q=火星移民",
    "search-error": "/search?q=" + "办" * 250,
    "guide": GUIDE,
    "wizard-result": GUIDE + "/situation?age=minor&temporary=yes&place=elsewhere",
    "bundle": "/bundles/newborn-birth",
    "topic": "/topics/life-birth",
    "department": "/departments/11511300008778693M",
    "region": "/region",
    "not-found": "/items/no-such-item",
    "terminal": "/terminal/",
    "terminal-search": "/terminal/search?q=身份证",
}


def assert_no_violations(page: Page) -> None:
    results = Axe().run(page, options=WCAG_21_AA)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_page_meets_wcag_21_aa(page: Page, path: str):
    page.goto(path)
    assert_no_violations(page)


@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
@pytest.mark.parametrize("path", ["/", GUIDE + "/situation?age=minor"], ids=["home", "wizard-result"])
def test_phone_pages_meet_wcag_21_aa(page: Page, path: str, viewport):
    page.goto(path)
    assert_no_violations(page)


@pytest.mark.parametrize("path", ["/", GUIDE], ids=["home", "guide"])
def test_elder_mode_meets_wcag_21_aa(page: Page, path: str):
    page.goto("/")
    page.get_by_role("button", name="长者模式").click()
    page.goto(path)
    expect(page.locator("html")).to_have_class("elder")
    assert_no_violations(page)


def test_english_pages_meet_wcag_21_aa(page: Page):
    page.goto("/")
    page.get_by_role("button", name="English").click()
    assert_no_violations(page)
    page.goto(GUIDE)
    assert_no_violations(page)


def test_open_suggestions_and_wizard_result_meet_wcag_21_aa(page: Page):
    # the dynamic states: the suggestion list open, a follow-up answered and the result swapped in
    page.goto("/")
    page.get_by_role("combobox", name="搜索办事服务").press_sequentially("gjj", delay=50)
    expect(page.get_by_role("listbox", name="搜索建议")).to_be_visible()
    page.get_by_role("combobox", name="搜索办事服务").press("ArrowDown")
    assert_no_violations(page)
    page.goto(GUIDE)
    question = page.get_by_role("group", name="申请人是否年满十六周岁？")
    question.get_by_label("未满十六周岁", exact=True).check()
    page.get_by_role("button", name="查看我需要的材料").click()
    expect(page.get_by_role("heading", name="根据您的回答，需要准备的材料")).to_be_focused()
    assert_no_violations(page)
