"""Import of the 1,135 real items of 广安区 with their departments."""

from __future__ import annotations

import pytest

from yiwang.catalog.constants import Audience, ItemKind
from yiwang.catalog.importers import (
    credit_code_in,
    guess_audiences,
    import_real_items,
    item_code_of,
    synthetic_credit_code,
)
from yiwang.catalog.models import Implementation, ServiceItem
from yiwang.conftest import built_once
from yiwang.core.identifiers import is_valid_credit_code
from yiwang.regions.models import Department

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def _imported_once(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, import_real_items) as report:
        yield report


@pytest.fixture
def imported(_imported_once, db):
    """The first import's report; the 1,135 items imported once for the module (each test's writes are
    rolled back at its end)."""
    return _imported_once


def test_imports_every_real_item_as_an_implementation_of_the_county(imported):
    # then
    assert imported.implementations_created == 1135
    implementations = Implementation.objects.filter(region_id="511602000000")
    assert implementations.count() == 1135
    example = implementations.select_related("item", "department").get(
        code="511A0138000000-511602000000-000-115113010833722043-1-00"
    )
    assert example.name == "适龄儿童、少年因身体状况需要延缓入学或者休学审批"
    assert (example.item.code, example.item.item_type) == ("511A0138000000", 1)
    assert example.department.short_name == "区教科体局"
    # names and codes only: the guide is far from complete
    assert example.completeness < 20 and "materials" in example.missing_elements


def test_departments_have_valid_credit_codes_and_the_county_chain(imported):
    # given
    county = Department.objects.filter(region_id="511602000000")
    # then
    assert county.count() == 34
    assert all(
        is_valid_credit_code(code) for code in Department.objects.values_list("credit_code", flat=True)
    )
    approval = county.get(short_name="区行政审批局")
    assert (approval.name, approval.credit_code) == ("广安市广安区行政审批局", "115113016823646795")
    police = county.select_related("parent__parent").get(short_name="区公安分局")
    assert police.name == "广安市公安局广安区分局"
    assert (police.parent.name, police.parent.parent.name) == ("广安市公安局", "四川省公安厅")
    tax = county.get(short_name="广安区税务局")
    assert tax.name == "国家税务总局广安市广安区税务局" and tax.parent.region_id == "511600000000"
    assert Department.objects.filter(name="广安市住房公积金管理中心", region_id="511600000000").exists()


def test_basic_items_group_their_sub_items(imported):
    # given
    basic = ServiceItem.objects.get(kind=ItemKind.BASIC, name="企业设立、变更、注销登记")
    # then
    assert basic.children.count() == 35
    assert set(basic.children.values_list("kind", flat=True)) == {ItemKind.SUB}
    assert not ServiceItem.objects.filter(name="未分类").exists()
    assert Audience.ENTERPRISE in basic.audiences


def test_second_run_changes_nothing(imported):
    # given
    before = list(Implementation.objects.order_by("pk").values_list("pk", "updated_at", "completeness"))
    # when
    again = import_real_items()
    # then
    assert not again.changed and again.implementations_total == 1135
    assert (
        list(Implementation.objects.order_by("pk").values_list("pk", "updated_at", "completeness")) == before
    )


def test_rerun_repairs_a_renamed_item_but_keeps_guide_contents(imported):
    # given: a guide was written for an item, and its name was damaged
    implementation = Implementation.objects.get(
        code="511A0138000000-511602000000-000-115113010833722043-1-00"
    )
    Implementation.objects.filter(pk=implementation.pk).update(name="错误名称", place="政务服务中心三楼")
    # when
    summary = import_real_items()
    # then
    implementation.refresh_from_db()
    assert summary.implementations_updated == 1
    assert implementation.name.startswith("适龄儿童") and implementation.place == "政务服务中心三楼"


@pytest.mark.parametrize(
    ("code", "item_code", "credit_code"),
    [
        ("511A0138000000-511602000000-000-115113010833722043-1-00", "511A0138000000", "115113010833722043"),
        ("G-000007-001-511602000000-000-115113010833722043-1-00", "G-000007-001", "115113010833722043"),
        ("E-000021-001-1111111111111111", "E-000021-001", ""),
        ("512C0107400001-511602000000-000-00877868-5-1-00", "512C0107400001", "00877868"),
    ],
)
def test_codes_are_read_from_implementation_codes(code, item_code, credit_code):
    assert item_code_of(code) == item_code
    assert credit_code_in(code) == credit_code


def test_audiences_are_guessed_from_the_name():
    assert guess_audiences("食品经营许可") == [Audience.ENTERPRISE]
    assert guess_audiences("居民身份证挂失申报") == [Audience.PERSON]
    assert guess_audiences("企业职工基本养老保险提前退休申请") == [Audience.PERSON, Audience.ENTERPRISE]


def test_synthetic_credit_codes_are_valid_and_deterministic():
    first = synthetic_credit_code(seed="四川省公安厅", region_code="510000000000")
    assert is_valid_credit_code(first)
    assert first == synthetic_credit_code(seed="四川省公安厅", region_code="510000000000")
    assert first.startswith("11510000")
