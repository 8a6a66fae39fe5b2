"""Catalog writes: upserts with materials, view counters, staff edits announcing changes to search."""

from __future__ import annotations

import pytest

from yiwang.catalog import services
from yiwang.catalog.models import Bundle, Implementation
from yiwang.core.changes import CATALOG_CHANGED, subscribe
from yiwang.core.changes import _subscribers as change_subscribers
from yiwang.core.errors import InvalidInput

from .factories import (
    BundleFactory,
    DepartmentFactory,
    ImplementationFactory,
    ServiceItemFactory,
    SituationOptionFactory,
    TopicFactory,
    region_by_code,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def announced():
    """CATALOG_CHANGED payloads received by a subscriber (run on commit: capture the callbacks)."""
    received: list[dict] = []

    def listener(**payload):
        received.append(payload)

    subscribe(CATALOG_CHANGED, listener)
    yield received
    change_subscribers[CATALOG_CHANGED].remove(listener)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks of the block, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _row(**overrides):
    item = overrides.pop("item", None) or ServiceItemFactory(legal_basis="《某法》")
    return {
        "code": f"{item.code}-511602000000-000-X-1-00",
        "item": item,
        "region": region_by_code(),
        "department": DepartmentFactory(),
        **overrides,
    }


def test_upsert_creates_then_updates_keeping_material_links(announced, committed):
    # given
    data = _row(
        place="政务服务中心", materials=[{"name": "居民身份证", "key": "id-card"}, {"name": "申请表"}]
    )
    implementation = services.upsert_implementation(data=data)
    form = implementation.materials.get(name="申请表")
    option = SituationOptionFactory(question__implementation=implementation, removes_materials=[form])
    # when: the form kept (two copies now), the ID card dropped, the household register added
    data["materials"] = [{"name": "申请表", "copies": 2}, {"name": "户口簿"}]
    data["place"] = "广安区政务服务中心二楼"
    with committed():
        updated = services.upsert_implementation(data=data)
    # then
    assert updated.pk == implementation.pk and updated.place == "广安区政务服务中心二楼"
    assert [(m.name, m.order, m.copies) for m in updated.materials.all()] == [
        ("申请表", 1, 2),
        ("户口簿", 2, 1),
    ]
    assert list(option.removes_materials.all()) == [form]
    assert "materials" not in updated.missing_elements and "place" not in updated.missing_elements
    assert announced[-1] == {"implementation_ids": [implementation.pk], "bundle_ids": []}


def test_bulk_upsert_reports_created_and_updated_and_announces_once(announced, committed):
    # given
    existing = ImplementationFactory()
    rows = [
        _row(),
        {
            "code": existing.code,
            "item": existing.item,
            "region": existing.region,
            "department": existing.department,
            "phone": "0826-1234567",
        },
    ]
    # when
    with committed():
        created, updated = services.upsert_implementations(rows=rows)
    # then
    assert (created, updated) == (1, 1)
    assert Implementation.objects.get(pk=existing.pk).phone == "0826-1234567"
    assert len(announced) == 1 and existing.pk in announced[0]["implementation_ids"]


def test_upsert_refuses_unknown_fields():
    with pytest.raises(InvalidInput) as error:
        services.upsert_implementation(data=_row(view_count=5))
    assert error.value.code == "unknown_field"


def test_record_view_increments_counters():
    # given
    implementation, bundle = ImplementationFactory(view_count=3), BundleFactory()
    # when
    services.record_view(implementation=implementation)
    services.record_view(implementation=implementation, bundle=bundle)
    # then
    assert Implementation.objects.get(pk=implementation.pk).view_count == 5
    assert Bundle.objects.get(pk=bundle.pk).view_count == 1


def test_staff_edit_of_a_guide_part_refreshes_completeness_and_announces(announced, committed):
    # given
    implementation = ImplementationFactory(complete=True)
    bundle = BundleFactory(implementations=[implementation])
    material = implementation.materials.get()
    # when: the last material is deleted
    with committed():
        services.delete_catalog_records(records=[material])
    # then
    implementation.refresh_from_db()
    assert implementation.missing_elements == ["materials"]
    assert announced[-1]["implementation_ids"] == [implementation.pk]
    # and when the implementation itself is saved, its bundles are announced too
    implementation.phone = ""
    with committed():
        services.save_catalog_record(record=implementation)
    assert announced[-1] == {"implementation_ids": [implementation.pk], "bundle_ids": [bundle.pk]}
    assert Implementation.objects.get(pk=implementation.pk).missing_elements == ["materials", "phone"]


def test_topic_and_item_edits_announce_what_depends_on_them(announced, committed):
    # given
    topic = TopicFactory()
    implementation = ImplementationFactory(item__topics=[topic])
    bundle = BundleFactory(topics=[topic])
    # when
    with committed():
        services.save_catalog_record(record=topic)
        services.settle_catalog_change(record=implementation.item)
    # then
    assert announced[0] == {"implementation_ids": [implementation.pk], "bundle_ids": [bundle.pk]}
    assert announced[1] == {"implementation_ids": [implementation.pk], "bundle_ids": []}


def test_settle_refuses_non_catalog_records():
    with pytest.raises(TypeError):
        services.settle_catalog_change(record=DepartmentFactory())
