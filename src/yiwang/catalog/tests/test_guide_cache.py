"""Cached guide renderings (ADR 0012): an edit is visible at once, a 304 only when nothing changed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.test import override_settings
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.catalog import guide_cache, services
from yiwang.catalog.models import GuideVersion
from yiwang.regions.models import Department

from .factories import (
    BundleFactory,
    FeeFactory,
    ImplementationFactory,
    MaterialFactory,
    SituationOptionFactory,
    SituationQuestionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_process():
    """Each test starts like a freshly started worker: nothing rendered yet in this process."""
    guide_cache.forget_local_renderings()
    yield
    guide_cache.forget_local_renderings()


@pytest.fixture
def implementation():
    implementation = ImplementationFactory(complete=True)
    MaterialFactory(implementation=implementation, name="身份证")
    FeeFactory(implementation=implementation, name="工本费", amount=Decimal("10.00"))
    return implementation


def _get(client, implementation, **headers):
    return client.get(f"/api/v1/items/{implementation.code}", headers=headers)


def test_the_guide_is_rendered_once_per_version(client, implementation, django_assert_max_num_queries):
    # given: a first request rendered and cached the guide
    first = _get(client, implementation)
    # when: the next request, in the same process
    with django_assert_max_num_queries(1):
        second = _get(client, implementation)
    # then: one indexed query (the version), the same bytes and validator
    assert second.status_code == 200
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert second["Cache-Control"] == "public, no-cache"
    assert second["Content-Type"] == "application/json; charset=utf-8"


def test_a_material_edited_through_the_service_is_served_at_once(client, implementation):
    # given
    etag = _get(client, implementation)["ETag"]
    material = implementation.materials.get(name="身份证")
    # when
    material.name = "身份证原件"
    services.save_catalog_record(record=material, changed=["name"])
    # then: no stale guide, a new validator, and the old one no longer answers 304
    response = _get(client, implementation, if_none_match=etag)
    assert response.status_code == 200
    assert "身份证原件" in [m["name"] for m in response.json()["materials"]]
    assert response["ETag"] != etag


def test_a_fee_deleted_through_the_service_is_gone_at_once(client, implementation):
    _get(client, implementation)
    services.delete_catalog_records(records=[implementation.fees.get()])
    assert _get(client, implementation).json()["fees"] == []


def test_a_situation_added_through_the_service_is_served_at_once(client, implementation):
    # given
    _get(client, implementation)
    question = SituationQuestionFactory.build(implementation=implementation, code="who", text="谁来办理？")
    # when
    services.save_catalog_record(record=question, changed=["text"])
    SituationOptionFactory(question=question, code="self", label="本人")
    services.settle_catalog_change(record=question)
    # then
    assert [q["code"] for q in _get(client, implementation).json()["questions"]] == ["who"]


def test_an_implementation_edited_through_the_service_is_served_at_once(client, implementation):
    _get(client, implementation)
    services.upsert_implementation(
        data={
            "code": implementation.code,
            "item": implementation.item,
            "region": implementation.region,
            "department": implementation.department,
            "hours": "周一至周五 9:00-17:00",
        }
    )
    assert _get(client, implementation).json()["hours"] == "周一至周五 9:00-17:00"


def test_an_item_edit_reaches_every_guide_of_the_item(client, implementation):
    _get(client, implementation)
    item = implementation.item
    item.legal_basis = "《新条例》第三条"
    services.save_catalog_record(record=item, changed=["legal_basis"])
    assert _get(client, implementation).json()["item"]["legal_basis"] == "《新条例》第三条"


def test_a_bundle_the_guide_left_is_no_longer_listed(client, implementation):
    # given: the guide lists its bundle
    bundle = BundleFactory(implementations=[implementation], name="开办企业一件事")
    services.settle_catalog_change(record=bundle)
    assert [b["name"] for b in _get(client, implementation).json()["bundles"]] == ["开办企业一件事"]
    # when: the implementation is taken out of the bundle
    services.delete_catalog_records(records=list(bundle.bundle_items.all()))
    # then
    assert _get(client, implementation).json()["bundles"] == []


def test_a_department_renamed_outside_the_catalog_changes_the_guide(client, implementation):
    # given: departments are the regions app's, which never tells the catalog
    _get(client, implementation)
    # when: even a bare UPDATE that no service sees
    Department.objects.filter(pk=implementation.department_id).update(name="改名后的局")
    # then
    assert _get(client, implementation).json()["department"]["name"] == "改名后的局"


def test_an_admin_edit_of_a_fee_is_served_at_once(admin_client, client, implementation):
    # given
    _get(client, implementation)
    fee = implementation.fees.get()
    url = reverse("admin:catalog_fee_change", args=[fee.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value not in (None, False)}
    data.update(implementation=implementation.pk, amount="25.00")
    # when
    response = admin_client.post(url, data)
    # then
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert _get(client, implementation).json()["fees"][0]["amount"] == "25.00"


def test_304_only_while_nothing_changed(client, implementation):
    etag = _get(client, implementation)["ETag"]
    # unchanged: 304 without a body, with its validator
    unchanged = _get(client, implementation, if_none_match=etag)
    assert (unchanged.status_code, unchanged.content, unchanged["ETag"]) == (304, b"", etag)
    # a weak form of the same validator matches too (RFC 9110 weak comparison)
    assert _get(client, implementation, if_none_match=f"W/{etag}").status_code == 304
    # another validator, or a list without ours: the whole guide
    assert _get(client, implementation, if_none_match='"other"').status_code == 200
    # changed: 200 and a new validator
    services.upsert_implementation(
        data={
            "code": implementation.code,
            "item": implementation.item,
            "region": implementation.region,
            "department": implementation.department,
            "phone": "12345",
        }
    )
    changed = _get(client, implementation, if_none_match=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_another_language_has_another_validator(client, implementation):
    chinese = _get(client, implementation)
    client.cookies["django_language"] = "en"
    english = _get(client, implementation, if_none_match=chinese["ETag"])
    assert english.status_code == 200
    assert english["ETag"] != chinese["ETag"]
    assert english.json()["materials"][0]["form"]["label"] != chinese.json()["materials"][0]["form"]["label"]


def test_another_process_never_serves_its_stale_copy(client, implementation):
    """Two workers (or nodes): each keeps its own LRU, and they share one cache (Redis in production).
    The version read from the database on every request decides; no process is told anything."""
    shared = LocMemCache("guide-test-shared", {})
    with override_settings(CATALOG_GUIDE_SHARED_CACHE="default"):
        from django.core import cache as cache_module

        original = cache_module.caches["default"]
        cache_module.caches["default"] = shared
        try:
            # given: process A rendered the guide (into its LRU and the shared cache)
            before = _get(client, implementation).json()
            process_a = dict(guide_cache._local._entries)
            # and process B (an empty LRU) got it from the shared cache
            guide_cache.forget_local_renderings()
            assert _get(client, implementation).json() == before
            # when: the guide is edited (through process B, say)
            material = implementation.materials.get(name="身份证")
            material.name = "新材料名"
            services.save_catalog_record(record=material, changed=["name"])
            # then: process A, with its old copy still in its LRU, serves the new guide
            guide_cache._local._entries.update(process_a)
            assert "新材料名" in [m["name"] for m in _get(client, implementation).json()["materials"]]
        finally:
            cache_module.caches["default"] = original


def test_every_settled_change_bumps_the_version_in_the_database(implementation):
    def version() -> int:
        return (
            GuideVersion.objects.filter(implementation=implementation)
            .values_list("version", flat=True)
            .first()
            or 0
        )

    before = version()
    services.settle_catalog_change(record=implementation)
    middle = version()
    services.settle_catalog_change(record=implementation)
    assert before < middle < version()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    header=st.one_of(
        st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80),
        st.lists(st.sampled_from(['"', "W/", "*", ",", " ", "abc", '"x"', "\t"]), max_size=12).map("".join),
    )
)
def test_odd_if_none_match_headers_never_fail(client, implementation, header):
    response = _get(client, implementation, if_none_match=header)
    assert response.status_code in (200, 304)
    if response.status_code == 200:
        assert response.json()["code"] == implementation.code
