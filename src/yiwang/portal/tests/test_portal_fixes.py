"""Portal fixes found by trying it as a citizen (issue 12): a bundle's own situation questions, printed FAQ
answers, and a notice wherever a region without services of its own is shown another region's."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from yiwang.catalog.tests.factories import (
    BundleFactory,
    FAQFactory,
    ImplementationFactory,
    MaterialFactory,
    SituationOptionFactory,
    SituationQuestionFactory,
    TopicFactory,
    region_by_code,
)

pytestmark = pytest.mark.django_db

STATIC = Path(__file__).resolve().parents[1] / "static" / "portal"
CITY = "511600000000"  # 广安市: implements little itself in these tests
SIBLING_COUNTY = "511603000000"  # 前锋区: no services of its own


@pytest.fixture
def house_bundle():
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


def _materials_table(html: str) -> str:
    start = html.index('aria-labelledby="bundle-materials-title"')
    return html[start : html.index("</table>", start)]


def test_bundle_page_asks_its_question_and_marks_mortgage_papers_as_depending_on_it(client, house_bundle):
    # when a citizen opens the bundle without answering
    html = client.get(reverse("portal:bundle", args=[house_bundle.code])).content.decode()
    # then the question is asked, and the mortgage contract is not listed as required for everyone
    assert "买方的购房款如何支付？" in html
    assert 'name="payment" value="cash"' in html
    table = _materials_table(html)
    row = table[table.index("抵押合同") :]
    assert "根据情形需要" in row[: row.index("</tr>")]
    assert "需要办理“抵押权首次登记”时提供" in row[: row.index("</tr>")]
    assert 'data-testid="conditional-items"' in html


def test_a_cash_buyer_sees_only_the_papers_that_apply(client, house_bundle):
    html = client.get(
        reverse("portal:bundle", args=[house_bundle.code]), {"payment": "cash"}
    ).content.decode()
    assert "抵押合同" not in _materials_table(html)
    assert 'value="cash" checked' in html
    assert "根据您的回答，无需办理" in html and "全款购房无需办理抵押权首次登记" in html
    assert 'data-testid="removed-materials"' in html


def test_a_bundle_page_ignores_an_unknown_answer_instead_of_failing(client, house_bundle):
    response = client.get(reverse("portal:bundle", args=[house_bundle.code]), {"payment": "barter"})
    assert response.status_code == 200
    assert "根据情形需要" in _materials_table(response.content.decode())


def test_printing_keeps_faq_answers():
    # Chromium folds a closed <details> by its ::details-content; the print rules unfold it, and the
    # script opens folded answers before printing and folds them again afterwards.
    css = (STATIC / "portal.css").read_text(encoding="utf-8")
    print_rules = css[css.index("@media print") :]
    assert "details.faq::details-content" in print_rules and "content-visibility: visible" in print_rules
    script = (STATIC / "portal.js").read_text(encoding="utf-8")
    assert 'addEventListener("beforeprint"' in script and "details.faq:not([open])" in script


def test_guide_prints_faqs_as_details_with_their_answers(client):
    implementation = ImplementationFactory(complete=True)
    FAQFactory(implementation=implementation, question="可以委托吗？", answer="可以，带上委托书。")
    html = client.get(reverse("portal:guide", args=[implementation.code])).content.decode()
    assert '<details class="faq"' in html and "可以，带上委托书。" in html


def test_home_of_a_region_without_own_services_says_it_shows_its_ancestors(client):
    # given services of the city only, and a visitor who chose a county of that city
    ImplementationFactory(complete=True, region=region_by_code(CITY), name="市级事项")
    client.cookies["region"] = SIBLING_COUNTY
    # when
    html = client.get(reverse("portal:home")).content.decode()
    # then the hot list says whose services these are
    assert 'data-testid="region-notice"' in html
    assert "四川省广安市前锋区暂无本级办理的事项，以下为上级地区（广安市）的事项。" in html


def test_home_of_a_region_with_own_services_shows_no_notice(client):
    ImplementationFactory(complete=True)  # the default county's
    html = client.get(reverse("portal:home")).content.decode()
    assert 'data-testid="region-notice"' not in html


def test_home_shows_other_regions_bundles_with_a_notice_when_none_serves_the_region(client):
    BundleFactory(implementations=[ImplementationFactory(), ImplementationFactory()], name="出生一件事")
    client.cookies["region"] = SIBLING_COUNTY
    html = client.get(reverse("portal:home")).content.decode()
    assert "出生一件事" in html
    assert "暂无“一件事”，以下为其他地区（广安区）的“一件事”" in html


def test_guide_of_another_county_says_so(client):
    implementation = ImplementationFactory(complete=True)  # 广安区
    client.cookies["region"] = SIBLING_COUNTY
    html = client.get(reverse("portal:guide", args=[implementation.code])).content.decode()
    assert "四川省广安市前锋区暂无此事项，以下为四川省广安市广安区的办事指南" in html


def test_guide_of_the_chosen_region_has_no_notice(client):
    implementation = ImplementationFactory(complete=True)
    html = client.get(reverse("portal:guide", args=[implementation.code])).content.decode()
    assert 'data-testid="region-notice"' not in html


def test_topic_of_a_region_without_own_services_says_it_shows_its_ancestors(client):
    topic = TopicFactory()
    city_item = ImplementationFactory(complete=True, region=region_by_code(CITY))
    city_item.item.topics.add(topic)
    client.cookies["region"] = SIBLING_COUNTY
    html = client.get(reverse("portal:topic", args=[topic.code])).content.decode()
    assert "暂无本级办理的事项，以下为上级地区（广安市）的事项" in html
