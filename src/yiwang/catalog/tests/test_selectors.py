"""Catalog reads: guide lookup, bundle guides, popular lists, topics, department and incomplete lists."""

from __future__ import annotations

from decimal import Decimal

import pytest

from yiwang.catalog import selectors
from yiwang.catalog.constants import MaterialRequirement
from yiwang.core.errors import NotFound

from .factories import (
    BundleFactory,
    DepartmentFactory,
    FAQFactory,
    FeeFactory,
    ImplementationFactory,
    MaterialFactory,
    ServiceItemFactory,
    SituationOptionFactory,
    SituationQuestionFactory,
    SpecialStepFactory,
    TopicFactory,
    region_by_code,
)

pytestmark = pytest.mark.django_db

GUANGAN_CITY = "511600000000"
SICHUAN = "510000000000"
XIEXING_TOWN = "511602004000"  # a street of 广安区


def _guide_with_everything():
    implementation = ImplementationFactory(complete=True, item__parent=ServiceItemFactory(basic=True))
    material = MaterialFactory(implementation=implementation, by_situation=True)
    fee = FeeFactory(implementation=implementation)
    SpecialStepFactory(implementation=implementation)
    FAQFactory(implementation=implementation)
    question = SituationQuestionFactory(implementation=implementation)
    SituationOptionFactory(
        question=question, adds_materials=[material], removes_materials=[material], adds_fees=[fee]
    )
    BundleFactory(implementations=[implementation])
    return implementation


def test_guide_by_implementation_code_prefetches_everything_in_at_most_12_queries(
    django_assert_max_num_queries,
):
    # given
    implementation = _guide_with_everything()
    # when
    with django_assert_max_num_queries(12):
        guide = selectors.get_implementation_guide(code=implementation.code)
        # then: reading every part of the guide costs nothing more
        _ = (guide.item.parent.name, guide.region.name, guide.department.region.name)
        for related in (
            guide.materials,
            guide.fees,
            guide.steps,
            guide.special_steps,
            guide.faqs,
            guide.bundles,
        ):
            list(related.all())
        for question in guide.questions.all():
            for option in question.options.all():
                (
                    list(option.adds_materials.all()),
                    list(option.removes_materials.all()),
                    list(option.adds_fees.all()),
                )
    assert guide == implementation


def test_item_code_resolves_to_the_nearest_implementation_of_the_region():
    # given: one item implemented by the city and by the county
    item = ServiceItemFactory()
    city = ImplementationFactory(item=item, region=region_by_code(GUANGAN_CITY))
    county = ImplementationFactory(item=item)
    # when / then: a town of the county gets the county's; a city-level region the city's
    assert selectors.get_implementation_guide(code=item.code, region_code=XIEXING_TOWN) == county
    assert selectors.get_implementation_guide(code=item.code, region_code=GUANGAN_CITY) == city


def test_item_code_outside_any_implementing_region_falls_back_to_default_then_any(settings):
    # given
    settings.DEFAULT_REGION_CODE = "511602000000"
    item = ServiceItemFactory()
    county = ImplementationFactory(item=item)
    # when / then: Beijing has none, so the default region's is shown
    assert selectors.get_implementation_guide(code=item.code, region_code="110101000000") == county
    # and an item implemented only in the province still resolves
    provincial = ImplementationFactory(region=region_by_code(SICHUAN))
    settings.DEFAULT_REGION_CODE = "330106000000"
    assert selectors.get_implementation_guide(code=provincial.item.code) == provincial


def test_unknown_or_inactive_code_is_not_found():
    # given
    inactive = ImplementationFactory(is_active=False)
    # when / then
    for code in ("NO-SUCH-CODE", inactive.code):
        with pytest.raises(NotFound) as error:
            selectors.get_implementation_guide(code=code)
        assert error.value.code == "unknown_item"
        assert "未找到" in error.value.message


def test_bundle_guide_merges_materials_by_key_and_by_normalized_name():
    # given: two implementations both asking for the ID card (same key) and a form (same name, no key)
    first, second = ImplementationFactory(promised_limit_days=5), ImplementationFactory(promised_limit_days=8)
    MaterialFactory(implementation=first, id_card=True)
    MaterialFactory(implementation=second, id_card=True, name="申请人身份证")
    MaterialFactory(implementation=first, name="申请表（原件）", optional=True)
    MaterialFactory(implementation=second, name="申请表(原件)")
    MaterialFactory(implementation=second, name="出生医学证明")
    FeeFactory(implementation=second, amount=Decimal("8.00"))
    bundle = BundleFactory(implementations=[second, first], promised_limit_days=None)
    # when
    guide = selectors.get_bundle_guide(code=bundle.code)
    # then
    assert guide.implementations == [second, first]
    assert len(guide.materials) == 3 and guide.materials_saved == 2
    shared = {entry.material.name: entry for entry in guide.materials}
    assert shared["申请人身份证"].implementations == [second, first]
    assert shared["申请表(原件)"].requirement == MaterialRequirement.REQUIRED
    assert shared["出生医学证明"].implementations == [second]
    assert guide.total_fee == Decimal("8.00") and not guide.is_free
    assert (guide.promised_limit_days, guide.separate_limit_days) == (8, 13)


def test_bundle_guide_lists_situational_fees_and_is_not_free():
    # given: the 二手房 shape, fees that depend on the house type on three items, one free item
    transfer, tax, mortgage = (ImplementationFactory(is_free=False) for _ in range(3))
    contract = ImplementationFactory(is_free=True)
    FeeFactory(implementation=transfer, name="不动产登记费（住宅）", amount=Decimal("80"), by_situation=True)
    FeeFactory(implementation=tax, name="契税", amount=None, description="按1%至3%", by_situation=True)
    FeeFactory(implementation=mortgage, name="抵押登记费", amount=Decimal("80"), by_situation=True)
    bundle = BundleFactory(implementations=[contract, transfer, tax, mortgage])
    # when
    guide = selectors.get_bundle_guide(code=bundle.code)
    # then: the bundle is not presented as free, and the fees that depend on the situation are kept
    assert not guide.is_free
    assert guide.fees == [] and guide.total_fee == Decimal("0")
    assert [(item.implementation, item.fee.name) for item in guide.situational_fees] == [
        (transfer, "不动产登记费（住宅）"),
        (tax, "契税"),
        (mortgage, "抵押登记费"),
    ]


def test_bundle_guide_with_an_item_charging_an_unpublished_fee_is_not_free():
    # given: one free item and one that charges but lists no fee item
    free, charging = ImplementationFactory(is_free=True), ImplementationFactory(is_free=False)
    bundle = BundleFactory(implementations=[free, charging])
    # when
    guide = selectors.get_bundle_guide(code=bundle.code)
    # then
    assert not guide.is_free
    assert guide.unpublished_fee_implementations == [charging]


def test_bundle_guide_of_free_items_is_free():
    bundle = BundleFactory(
        implementations=[ImplementationFactory(is_free=True), ImplementationFactory(is_free=True)]
    )
    guide = selectors.get_bundle_guide(code=bundle.code)
    assert guide.is_free and not guide.situational_fees and not guide.unpublished_fee_implementations


def test_bundle_guide_queries_do_not_grow_with_implementations(django_assert_max_num_queries):
    # given
    implementations = [ImplementationFactory(complete=True) for _ in range(5)]
    bundle = BundleFactory(implementations=implementations)
    # when / then
    with django_assert_max_num_queries(6):
        guide = selectors.get_bundle_guide(code=bundle.code)
    assert len(guide.materials) == 1 and len(guide.materials[0].implementations) == 5


def test_unknown_bundle_is_not_found():
    with pytest.raises(NotFound) as error:
        selectors.get_bundle_guide(code="no-such-bundle")
    assert error.value.code == "unknown_bundle"


def test_popular_implementations_by_views_within_region_scope_and_audience():
    # given
    county = ImplementationFactory(view_count=50)
    city = ImplementationFactory(view_count=80, region=region_by_code(GUANGAN_CITY))
    business = ImplementationFactory(view_count=90, item__audiences=["person", "enterprise"])
    elsewhere = ImplementationFactory(view_count=500, region=region_by_code("330106000000"))
    ImplementationFactory(view_count=999, is_active=False)
    # when
    popular = selectors.list_popular_implementations(region_code=XIEXING_TOWN)
    for_enterprises = selectors.list_popular_implementations(region_code=XIEXING_TOWN, audience="enterprise")
    # then
    assert popular == [business, city, county]
    assert for_enterprises == [business]
    assert selectors.list_popular_implementations(limit=1) == [elsewhere]


def test_popular_bundles_and_topics():
    # given
    topic = TopicFactory(code="birth", life_event=True)
    TopicFactory(code="tax", enterprise=True)
    quiet, busy = BundleFactory(view_count=1, topics=[topic]), BundleFactory(view_count=9)
    implementation = ImplementationFactory(item__topics=[topic])
    ImplementationFactory()
    # when
    entries = selectors.list_topic_entries(topic=selectors.get_topic(code="birth"), region_code=XIEXING_TOWN)
    # then
    assert selectors.list_popular_bundles(limit=2) == [busy, quiet]
    assert [t.code for t in selectors.list_topics(audience="person")] == ["birth"]
    assert entries.bundles == [quiet] and entries.implementations == [implementation]
    with pytest.raises(NotFound):
        selectors.get_topic(code="nope")


def test_department_and_incomplete_lists():
    # given
    department = DepartmentFactory()
    done = ImplementationFactory(department=department, completeness=100)
    half = ImplementationFactory(department=department, completeness=50)
    empty = ImplementationFactory(completeness=0)
    # when / then
    assert set(selectors.list_department_implementations(department=department)) == {done, half}
    assert len(selectors.list_department_implementations(department=department, limit=1, offset=1)) == 1
    assert selectors.count_department_implementations(department=department) == 2
    assert selectors.list_incomplete_implementations(limit=2) == [empty, half]


def test_region_scope_lists_the_region_and_its_ancestors():
    assert selectors.region_scope(XIEXING_TOWN) == [XIEXING_TOWN, "511602000000", GUANGAN_CITY, SICHUAN]
