"""Home, bundle, topic and department pages; region, elder mode and language preferences."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from yiwang.catalog.models import Bundle
from yiwang.catalog.tests.factories import (
    BundleFactory,
    DepartmentFactory,
    FeeFactory,
    ImplementationFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_home_shows_popular_items_bundles_topics_departments_and_region(client, bundle, guide):
    # given an enterprise theme besides the person life event of the fixtures
    TopicFactory(code="kaiban", name="开办企业", enterprise=True)
    # when
    response = client.get(reverse("portal:home"))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-Hans"' in html
    assert "四川省广安市广安区政务服务" in html
    for text in [guide.name, bundle.name, "生育收养", "开办企业", guide.department.short_name, "切换地区"]:
        assert text in html, text


def test_home_of_a_zhejiang_village_offers_the_five_levels(client):
    # given a visitor who chose a village of Hangzhou
    client.cookies["region"] = "330106002051"
    # when
    html = client.get(reverse("portal:home")).content.decode()
    # then the picker shows province, city, county, town and village selects with the village selected
    for field in ["region-l1", "region-l2", "region-l3", "region-l4", "region-l5"]:
        assert f'id="{field}"' in html
    assert 'value="330106002051" selected' in html


def test_home_falls_back_to_the_default_region_for_a_bad_cookie(client):
    client.cookies["region"] = "999999999999"
    html = client.get(reverse("portal:home")).content.decode()
    assert "四川省广安市广安区政务服务" in html


def test_choosing_a_region_sets_the_cookie_and_returns(client):
    # when the visitor picks 浙江 → 杭州 → 西湖区 and a city of another province by mistake at level 4
    response = client.post(
        reverse("portal:choose_region"),
        {
            "l1": "330000000000",
            "l2": "330100000000",
            "l3": "330106000000",
            "l4": "511602001000",
            "next": "/search",
        },
    )
    # then the consistent part is kept
    assert response.status_code == 302
    assert response["Location"] == "/search"
    assert response.cookies["region"].value == "330106000000"


def test_choose_region_refuses_other_sites_as_next(client):
    response = client.post(
        reverse("portal:choose_region"), {"l1": "330000000000", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("portal:home")


def test_region_picker_partial_shows_the_next_level(client):
    # when the province select changes (htmx)
    response = client.get(
        reverse("portal:region_picker"), {"l1": "330000000000", "l2": "511600000000"}, **HTMX
    )
    # then the cities of Zhejiang are offered and the stale city of Sichuan is dropped
    html = response.content.decode()
    assert "<html" not in html
    assert "杭州市" in html
    assert 'id="region-l3"' not in html


def test_region_page_without_script(client):
    html = client.get(reverse("portal:region"), {"next": "/search"}).content.decode()
    assert "逐级选择省、市、区县、乡镇街道和村社区" in html
    assert 'href="/search"' in html


def test_elder_mode_is_remembered(client):
    # when
    response = client.post(reverse("portal:elder_mode"), {"enabled": "1", "next": "/"})
    # then the cookie is set and the next pages use the large layout
    assert response.cookies["elder"].value == "1"
    html = client.get(reverse("portal:home")).content.decode()
    assert 'class="elder"' in html
    assert 'aria-pressed="true"' in html
    # and it can be switched off
    client.post(reverse("portal:elder_mode"), {"enabled": "0", "next": "/"})
    assert 'class="elder"' not in client.get(reverse("portal:home")).content.decode()


def test_english_interface(client, guide):
    # when the visitor switches language
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("portal:guide", args=[guide.code])).content.decode()
    # then the interface is English while the data stays Chinese
    assert '<html lang="en"' in html
    assert "Answer a few questions to see the materials you need" in html
    assert "Elder mode" in html
    assert guide.name in html


def test_bundle_page_lists_one_set_of_materials(client, bundle):
    response = client.get(reverse("portal:bundle", args=[bundle.code]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "出生一件事" in html
    assert "多个事项共用，只交一次" in html
    assert "出生医学证明办理" in html
    assert Bundle.objects.get(pk=bundle.pk).view_count == 1


def test_bundle_page_shows_fees_that_depend_on_the_situation_instead_of_free(client):
    # given: a bundle whose only fees are charged in some situations (house type, mortgage)
    transfer = ImplementationFactory(complete=True, is_free=False, name="转移登记")
    mortgage = ImplementationFactory(complete=True, is_free=False, name="抵押权首次登记")
    FeeFactory(implementation=transfer, name="不动产登记费（住宅）", amount=Decimal("80"), by_situation=True)
    FeeFactory(implementation=mortgage, name="契税", amount=None, description="按1%至3%", by_situation=True)
    bundle = BundleFactory(implementations=[transfer, mortgage], name="二手房转移登记一件事")
    # when
    response = client.get(reverse("portal:bundle", args=[bundle.code]))
    # then: the page does not promise a free service and names each situational fee
    fees = _section(response.content.decode(), 'data-testid="bundle-fees"')
    assert "不收费" not in fees
    assert "视情形收费" in fees
    assert "转移登记 · 不动产登记费（住宅）：80" in fees
    assert "抵押权首次登记 · 契税：按1%至3%" in fees


def test_bundle_page_sums_fixed_fees_and_keeps_situational_ones_apart(client):
    first = ImplementationFactory(complete=True, is_free=False)
    second = ImplementationFactory(complete=True, is_free=False)
    FeeFactory(implementation=first, name="工本费", amount=Decimal("10.00"))
    FeeFactory(implementation=second, name="登记费", amount=Decimal("80.00"))
    FeeFactory(implementation=second, name="加急费", amount=Decimal("50.00"), by_situation=True)
    bundle = BundleFactory(implementations=[first, second])
    fees = _section(
        client.get(reverse("portal:bundle", args=[bundle.code])).content.decode(), 'data-testid="bundle-fees"'
    )
    assert "合计：90.00 元" in fees
    assert "视情形收费" in fees and "加急费" in fees


def _section(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start : html.index("</section>", start)]


def test_topic_page_lists_bundles_and_items(client, bundle, guide, topic):
    html = client.get(reverse("portal:topic", args=[topic.code])).content.decode()
    assert topic.name in html
    assert bundle.name in html
    assert guide.name in html


def test_department_page_lists_its_items(client, guide):
    # given another department's item
    ImplementationFactory(name="别的部门的事项", department=DepartmentFactory())
    # when
    response = client.get(reverse("portal:department", args=[guide.department.credit_code]))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert guide.department.name in html
    assert guide.name in html
    assert "别的部门的事项" not in html


@pytest.mark.parametrize("name, code", [("bundle", "nope"), ("topic", "nope"), ("department", "123")])
def test_unknown_pages_are_404(client, name, code):
    response = client.get(reverse(f"portal:{name}", args=[code]))
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_chinese_data_is_marked_in_the_english_interface(client, guide):
    # given the English interface
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    # when
    html = client.get(reverse("portal:guide", args=[guide.code])).content.decode()
    # then the Chinese name carries its own language for screen readers
    assert f'<h1 lang="zh-Hans">{guide.name}</h1>' in html


def test_chinese_interface_needs_no_language_marks(client, guide):
    html = client.get(reverse("portal:guide", args=[guide.code])).content.decode()
    assert f"<h1>{guide.name}</h1>" in html


@pytest.mark.parametrize("page_name", ["home", "topic", "department"])
def test_list_pages_do_not_query_per_item(client, guide, topic, page_name):
    # given a department with a few items, then with many more
    def count_queries() -> int:
        args = {"home": [], "topic": [topic.code], "department": [guide.department.credit_code]}[page_name]
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(f"portal:{page_name}", args=args)).status_code == 200
        return len(queries.captured_queries)

    ImplementationFactory.create_batch(2, department=guide.department, item__topics=[topic], view_count=99)
    few = count_queries()
    ImplementationFactory.create_batch(8, department=guide.department, item__topics=[topic], view_count=99)
    # then the page costs the same number of queries
    assert count_queries() == few
