"""Search results, filters, polite errors and the suggestions under the search box."""

from __future__ import annotations

import pytest
from django.urls import reverse

from yiwang.catalog.constants import OnlineDepth
from yiwang.catalog.tests.factories import ImplementationFactory, ServiceItemFactory
from yiwang.search.services import rebuild_search_index

pytestmark = pytest.mark.django_db


@pytest.fixture
def indexed(guide):
    restaurant = ServiceItemFactory(
        code="511T0000009002", name="食品经营许可", keywords="开饭店 餐馆 小吃店", enterprise=True
    )
    ImplementationFactory(
        item=restaurant, name="食品经营许可（新办）", online_depth=OnlineDepth.INFORMATION, visits=2
    )
    rebuild_search_index()
    return guide


def test_search_in_everyday_words_finds_the_item(client, indexed):
    response = client.get(reverse("portal:search"), {"q": "开饭店"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "食品经营许可（新办）" in html
    assert "找到 1 个结果" in html


def test_filters_narrow_the_results(client, indexed):
    # when only items that can be done online are wanted
    html = client.get(reverse("portal:search"), {"q": "开饭店", "online": "on"}).content.decode()
    # then the restaurant licence (information only) drops out and the empty state helps
    assert "食品经营许可（新办）" not in html
    assert "没有找到相关的服务" in html
    assert "清除筛选条件" in html


def test_other_regions_services_still_show_after_the_chosen_ones(client, indexed):
    # given a visitor in Hangzhou
    client.cookies["region"] = "330106000000"
    # when
    html = client.get(reverse("portal:search"), {"q": "开饭店"}).content.decode()
    # then Guang'an's service is found and its region is named
    assert "食品经营许可（新办）" in html
    assert "广安区" in html
    assert "优先显示浙江省杭州市西湖区的服务" in html


def test_too_long_query_is_explained_politely(client, indexed):
    response = client.get(reverse("portal:search"), {"q": "办" * 300})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in html
    assert "搜索词不能超过 200 个字" in html


def test_empty_query_shows_what_to_try(client):
    html = client.get(reverse("portal:search")).content.decode()
    assert "请输入您要办的事" in html
    assert "身份证丢了" in html


def test_bad_filter_value_is_explained(client):
    html = client.get(reverse("portal:search"), {"q": "身份证", "item_type": "99"}).content.decode()
    assert 'role="alert"' in html


def test_suggestions_partial_lists_options(client, indexed):
    response = client.get(reverse("portal:suggest"), {"q": "spjy"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="option"' in html
    assert "食品经营" in html


def test_suggestions_for_nothing_are_empty(client):
    response = client.get(reverse("portal:suggest"), {"q": " "})
    assert response.content.decode().strip() == ""
