"""Issue 12's portal fixes in a browser (headless Debian Chromium, Django's live server): the bundle page
with its own situation question, answered and not, passes axe-core on a desktop, on a phone and in elder
mode; the region notice too; a printed guide shows its FAQ answers."""

from __future__ import annotations

import pytest

from yiwang.catalog.tests.factories import (
    BundleFactory,
    FAQFactory,
    ImplementationFactory,
    MaterialFactory,
    SituationOptionFactory,
    SituationQuestionFactory,
    region_by_code,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
MODES = {"desktop": (DESKTOP, False), "phone": (PHONE, False), "elder": (DESKTOP, True)}


def _axe_clean(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_21_AA)
    assert results.violations_count == 0, results.generate_report()


def _house_bundle():
    transfer = ImplementationFactory(complete=True, name="转移登记")
    mortgage = ImplementationFactory(complete=True, name="抵押权首次登记")
    MaterialFactory(implementation=mortgage, name="抵押合同", key="mortgage-contract")
    bundle = BundleFactory(implementations=[transfer, mortgage], name="二手房转移登记一件事")
    payment = SituationQuestionFactory(
        implementation=None, bundle=bundle, code="payment", text="买方的购房款如何支付？"
    )
    SituationOptionFactory(
        question=payment,
        code="cash",
        label="全款购买",
        explanation="全款购房无需办理抵押权首次登记",
        skips_implementations=[mortgage],
    )
    SituationOptionFactory(question=payment, code="loan", label="贷款购买")
    return bundle


def _context(browser, live_server, mode: str, **cookies):
    viewport, elder = MODES[mode]
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=viewport)
    context.set_default_timeout(20_000)
    wanted = {**cookies, **({"elder": "1"} if elder else {})}
    context.add_cookies([{"name": k, "value": v, "url": live_server.url} for k, v in wanted.items()])
    return context


@pytest.mark.parametrize("mode", MODES)
def test_bundle_question_answered_and_not_meets_wcag_21_aa(browser, live_server, mode):
    bundle = _house_bundle()
    context = _context(browser, live_server, mode)
    page = context.new_page()
    page.goto(f"/bundles/{bundle.code}")
    assert page.get_by_text("需要办理“抵押权首次登记”时提供").is_visible()
    _axe_clean(page)
    page.get_by_role("group", name="买方的购房款如何支付？").get_by_label("全款购买").check()
    page.get_by_role("button", name="按我的情况列出材料").click()
    page.wait_for_load_state()
    assert "payment=cash" in page.url
    assert page.get_by_test_id("skipped-items").is_visible()
    assert page.locator("table", has_text="一件事材料清单").get_by_text("抵押合同").count() == 0
    _axe_clean(page)
    context.close()


@pytest.mark.parametrize("mode", MODES)
def test_region_notice_meets_wcag_21_aa(browser, live_server, mode):
    ImplementationFactory(complete=True, region=region_by_code("511600000000"), name="市级事项")
    context = _context(browser, live_server, mode, region="511603000000")
    page = context.new_page()
    page.goto("/")
    assert page.get_by_test_id("region-notice").first.is_visible()
    _axe_clean(page)
    context.close()


def test_a_printed_guide_shows_its_faq_answers(browser, live_server):
    implementation = ImplementationFactory(complete=True)
    FAQFactory(implementation=implementation, question="可以委托他人吗？", answer="可以，带上授权委托书。")
    context = _context(browser, live_server, "desktop")
    page = context.new_page()
    page.goto(f"/items/{implementation.code}")
    answer = page.get_by_text("可以，带上授权委托书。")
    assert not answer.is_visible()  # folded on screen
    page.emulate_media(media="print")
    assert answer.is_visible()
    context.close()
