"""A citizen's walk through the portal: search in everyday words, the guide, the situation wizard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import PHONE, SMALL_PHONE

pytestmark = pytest.mark.e2e

ID_CARD_REISSUE = "居民身份证补领"


def _needed(page: Page):
    return page.locator('[data-testid="needed-materials"]')


def _open_id_card_guide_by_search(page: Page) -> None:
    page.goto("/")
    page.get_by_role("combobox", name="搜索办事服务").fill("身份证丢了")
    page.get_by_role("button", name="搜索", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("身份证丢了")
    page.get_by_role("link", name=ID_CARD_REISSUE, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ID_CARD_REISSUE)


def _answer(page: Page, **labels: str) -> None:
    for question, option in labels.items():
        page.get_by_role("group", name=question).get_by_label(option, exact=True).check()
    page.get_by_role("button", name="查看我需要的材料").click()


def _assert_no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"page is {widths[0]}px wide in a {widths[1]}px window"


def test_search_guide_and_wizard_give_the_exact_materials(page: Page, screenshot):
    # given a citizen who lost the ID card of a child
    _open_id_card_guide_by_search(page)
    # when they say the applicant is under sixteen
    _answer(page, **{"申请人是否年满十六周岁？": "未满十六周岁"})
    # then the result appears in place, focused, with the guardian's ID card and why
    title = page.get_by_role("heading", name="根据您的回答，需要准备的材料")
    expect(title).to_be_focused()
    expect(_needed(page)).to_contain_text("监护人居民身份证")
    expect(page).to_have_url(re.compile(r"/situation\?.*age=minor"))
    screenshot(page, "minor")
    # when they correct it to an adult applying outside the home county
    _answer(
        page,
        **{
            "申请人是否年满十六周岁？": "已满十六周岁",
            "在户籍地（广安区）还是在外地补领？": "在户籍地以外补领（异地受理）",
        },
    )
    # then the guardian's card is gone and the household register is listed as not needed, with the reason
    expect(_needed(page)).not_to_contain_text("监护人居民身份证")
    expect(_needed(page)).not_to_contain_text("申请人居民户口簿")
    expect(page.locator('[data-testid="removed-materials"]')).to_contain_text("申请人居民户口簿")
    expect(page.get_by_text("打印材料清单")).to_be_visible()
    screenshot(page, "adult-elsewhere")


def test_wizard_works_without_javascript(browser, base_url):
    # given a browser with scripts off
    context = browser.new_context(base_url=base_url, java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    page.goto("/search?q=身份证丢了")
    page.get_by_role("link", name=ID_CARD_REISSUE, exact=True).first.click()
    # when the form is submitted the plain way
    _answer(page, **{"申请人是否年满十六周岁？": "未满十六周岁"})
    # then the whole page comes back with the answer kept and the result
    expect(page.get_by_label("未满十六周岁", exact=True)).to_be_checked()
    expect(_needed(page)).to_contain_text("监护人居民身份证")
    context.close()


def test_everyday_words_for_opening_a_restaurant(page: Page):
    page.goto("/search?q=开饭店")
    expect(page.get_by_text(re.compile(r"找到 \d+ 个结果"))).to_be_visible()
    expect(page.locator(".result-list")).to_contain_text("食品")
    expect(page.locator(".search-terms")).to_contain_text("食品经营许可")


def test_too_long_query_is_answered_politely(page: Page):
    page.goto("/search?q=" + "办" * 250)
    expect(page.get_by_role("alert")).to_contain_text("搜索词不能超过 200 个字")


@pytest.mark.parametrize("viewport", [PHONE, SMALL_PHONE], ids=["390px", "375px"])
def test_phone_layout_has_no_horizontal_scroll(page: Page, viewport, screenshot):
    pages = [
        ("home", "/"),
        ("search", "/search?q=身份证丢了"),
        ("bundle", "/bundles/newborn-birth"),
        ("department", "/departments/11511300008778693M"),
    ]
    for name, path in pages:
        page.goto(path)
        _assert_no_horizontal_scroll(page)
        screenshot(page, name)
    _open_id_card_guide_by_search(page)
    _assert_no_horizontal_scroll(page)
    _answer(page, **{"申请人是否年满十六周岁？": "未满十六周岁"})
    expect(_needed(page)).to_contain_text("监护人居民身份证")
    _assert_no_horizontal_scroll(page)
    screenshot(page, "guide-result")


def test_elder_mode_persists_across_pages(page: Page, screenshot):
    # given
    page.goto("/")
    # when
    page.get_by_role("button", name="长者模式").click()
    # then the text is at least 20px, targets are larger, and it stays on for the next pages
    expect(page.locator("html")).to_have_class("elder")
    expect(page.get_by_role("button", name="长者模式")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 20
    page.goto("/search?q=社保卡")
    expect(page.locator("html")).to_have_class("elder")
    height = page.get_by_role("button", name="搜索", exact=True).bounding_box()["height"]
    assert height >= 56
    screenshot(page, "search")
    # and it can be switched off again
    page.get_by_role("button", name="长者模式").click()
    expect(page.locator("html")).not_to_have_class("elder")


def test_english_interface_keeps_chinese_data(page: Page, screenshot):
    page.goto("/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Popular services")).to_be_visible()
    page.goto("/search?q=身份证丢了")
    page.get_by_role("link", name=ID_CARD_REISSUE, exact=True).first.click()
    wizard_title = "Answer a few questions to see the materials you need"
    expect(page.get_by_role("heading", name=wizard_title)).to_be_visible()
    screenshot(page, "guide")
    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")


def test_pinyin_initials_suggest_and_keyboard_selects(page: Page, screenshot):
    # given
    page.goto("/")
    box = page.get_by_role("combobox", name="搜索办事服务")
    # when the visitor types the initials of 公积金
    box.press_sequentially("gjj", delay=50)
    # then suggestions open, and arrow keys move through them
    listbox = page.get_by_role("listbox", name="搜索建议")
    expect(listbox).to_be_visible()
    expect(listbox.get_by_role("option").first).to_contain_text("公积金")
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("ArrowDown")
    first = listbox.get_by_role("option").first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    screenshot(page, "suggestions")
    chosen = first.inner_text()
    # when Enter chooses it
    box.press("Enter")
    # then the search runs for the chosen words
    expect(page.get_by_role("heading", level=1)).to_contain_text(chosen)
    expect(page.get_by_role("combobox", name="搜索办事服务")).to_have_value(chosen)


def test_escape_closes_suggestions(page: Page):
    page.goto("/")
    box = page.get_by_role("combobox", name="搜索办事服务")
    box.press_sequentially("gjj", delay=50)
    expect(page.get_by_role("listbox", name="搜索建议")).to_be_visible()
    box.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#site-search-list")).to_be_hidden()


def test_region_switcher_reaches_a_zhejiang_village(page: Page, screenshot):
    page.goto("/")
    picker = page.locator("#region-picker")
    steps = [
        ("省级", "浙江省", "市级"),
        ("市级", "杭州市", "县级"),
        ("县级", "西湖区", "乡镇（街道）"),
        ("乡镇（街道）", "北山街道", "村（社区）"),
    ]
    for label, choice, next_label in steps:
        # A keyboard user changes the select that has focus: the next level appears and focus stays put.
        select = picker.get_by_label(label, exact=True)
        select.focus()
        select.select_option(label=choice)
        expect(picker.get_by_label(next_label, exact=True)).to_be_visible()
        expect(picker.get_by_label(label, exact=True)).to_be_focused()
        # htmx has settled (new content processed) before the next change, as with any human's pace.
        # (a locator wait: a string predicate would be eval'd, which the Content-Security-Policy forbids)
        expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)
    village = picker.get_by_label("村（社区）", exact=True)
    village.select_option(index=1)
    village_name = village.locator("option:checked").inner_text()
    screenshot(page, "picker")
    picker.get_by_role("button", name="确定地区").click()
    expect(page.locator(".toolbar-link").first).to_contain_text(village_name)
    expect(page.get_by_role("heading", level=1)).to_contain_text("浙江省杭州市西湖区北山街道")
    cookie = {c["name"]: c["value"] for c in page.context.cookies()}["region"]
    assert cookie.startswith("330106") and len(cookie) == 12 and not cookie.endswith("000")


def test_print_hides_the_site_chrome(page: Page):
    page.goto("/search?q=身份证丢了")
    page.get_by_role("link", name=ID_CARD_REISSUE, exact=True).first.click()
    _answer(page, **{"申请人是否年满十六周岁？": "未满十六周岁"})
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("#situation-form")).to_be_hidden()
    expect(_needed(page)).to_be_visible()


def test_unknown_page_is_a_chinese_404(page: Page):
    response = page.goto("/items/no-such-item")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("抱歉，您要找的页面不存在")
