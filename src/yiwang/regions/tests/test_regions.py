import pytest

from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.identifiers import InvalidIdentifier
from yiwang.regions.constants import RegionLevel
from yiwang.regions.models import Region
from yiwang.regions.selectors import (
    get_region,
    list_region_ancestors,
    region_scope_codes,
    region_subtree_codes,
)
from yiwang.regions.services import load_regions, upsert_department

pytestmark = pytest.mark.django_db


def test_every_level_is_loaded_with_its_full_name():
    # given the regions loaded for every test database
    # then all provinces, cities, counties and towns of China and Zhejiang's villages are there
    counts = {level: Region.objects.filter(level=level).count() for level in RegionLevel}
    assert counts[RegionLevel.PROVINCE] == 31
    assert counts[RegionLevel.COUNTY] > 2900
    assert counts[RegionLevel.TOWN] > 41000
    assert counts[RegionLevel.VILLAGE] == 25547
    village = Region.objects.get(code="330102001051")
    assert village.full_name == "浙江省杭州市上城区清波街道清波门社区"
    # and statistical pseudo-cities (市辖区) do not appear in names
    assert Region.objects.get(code="110101000000").full_name == "北京市东城区"


def test_loading_again_creates_nothing():
    assert load_regions() == 0


def test_ancestors_in_one_query(django_assert_num_queries):
    village = Region.objects.get(code="330102001051")
    with django_assert_num_queries(1):
        chain = list_region_ancestors(region=village)
    assert [region.level for region in chain] == [1, 2, 3, 4, 5]
    assert region_scope_codes(region=village)[0] == "330000000000"


def test_a_regions_subtree_is_itself_and_every_region_within_it():
    county = Region.objects.get(code="330102000000")  # 上城区
    codes = set(region_subtree_codes(code=county.code))
    expected = {code for code in Region.objects.values_list("code", flat=True) if code.startswith("330102")}
    assert county.code in codes
    assert "330102001051" in codes  # one of its villages
    assert codes == expected
    assert "330103000000" not in codes  # the neighbouring county
    # a village's subtree is the village; the level given saves the lookup, the answer is the same
    assert list(region_subtree_codes(code="330102001051")) == ["330102001051"]
    assert set(region_subtree_codes(code=county.code, level=county.level)) == codes


def test_a_subtree_filters_in_one_query_without_a_parameter_per_code(django_assert_num_queries):
    province = Region.objects.get(code="330000000000")
    with django_assert_num_queries(1) as context:
        count = Region.objects.filter(code__in=region_subtree_codes(code=province.code, level=1)).count()
    assert count > 25547  # Zhejiang's towns and villages
    assert "SELECT" in context.captured_queries[0]["sql"].split("IN", 1)[1]


def test_an_unknown_regions_subtree_is_empty():
    assert list(region_subtree_codes(code="999999000000")) == []


def test_unknown_region_is_not_found():
    with pytest.raises(NotFound) as error:
        get_region(code="999999999999")
    assert error.value.code == "unknown_region"


def test_department_needs_a_valid_credit_code_and_a_known_region():
    department = upsert_department(
        credit_code="11511301008778386b", name="广安区交通运输局", region_code="511602000000"
    )
    assert department.credit_code == "11511301008778386B"
    with pytest.raises(InvalidIdentifier):
        upsert_department(credit_code="11511301008778386C", name="错误", region_code="511602000000")
    with pytest.raises(InvalidInput):
        upsert_department(credit_code="11511301008778386B", name="错误", region_code="000000000001")


def test_region_api_lists_children_and_ancestors(client):
    response = client.get("/api/v1/regions/511602000000")
    assert response.status_code == 200
    body = response.json()
    assert body["full_name"] == "四川省广安市广安区"
    assert [a["name"] for a in body["ancestors"]] == ["四川省", "广安市"]
    assert any(child["name"].endswith(("街道", "镇", "乡")) for child in body["children"])
    # Chinese is returned unescaped
    assert "广安区".encode() in response.content


def test_region_api_unknown_code_is_a_404_with_a_stable_code(client):
    response = client.get("/api/v1/regions/123")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_region"


def test_departments_api_rejects_unknown_region(client):
    response = client.get("/api/v1/departments", {"region": "000000000001"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_region"


def test_departments_come_in_pages_by_region_then_name(client, django_assert_num_queries):
    from yiwang.catalog.tests.factories import DepartmentFactory
    from yiwang.core.tests.pages import assert_page_cost_does_not_grow, walk_pages

    DepartmentFactory.create_batch(4)
    assert_page_cost_does_not_grow(client, django_assert_num_queries, "/api/v1/departments")
    from yiwang.regions.models import Department

    listed = walk_pages(client, "/api/v1/departments", {"region": "511602000000"}, limit=3)
    expected = Department.objects.filter(region_id="511602000000").order_by("name", "credit_code")
    assert [item["credit_code"] for item in listed] == [d.credit_code for d in expected]
    assert len(listed) >= 4
