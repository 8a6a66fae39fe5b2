"""The guide page from cached sections (ADR 0012): edits show at once, 304 only for an unchanged page,
and never for a logged-in person's page (their name and messages are in its header)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from yiwang.catalog import guide_cache, services
from yiwang.identity.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_process():
    guide_cache.forget_local_renderings()
    yield
    guide_cache.forget_local_renderings()


def _page(client, guide, **headers):
    return client.get(reverse("portal:guide", args=[guide.code]), headers=headers)


def test_the_sections_are_rendered_once_per_version(client, guide):
    # given: the first view rendered the guide's sections
    with CaptureQueriesContext(connection) as first:
        first_page = _page(client, guide)
    # when
    with CaptureQueriesContext(connection) as second:
        second_page = _page(client, guide)
    # then: the same page, without the materials, fees, steps and situations queries
    assert second_page.content.decode().count("授权委托书") == first_page.content.decode().count("授权委托书")
    assert len(second.captured_queries) < len(first.captured_queries) - 5


def test_an_unchanged_page_is_answered_304_and_a_changed_one_200(client, guide):
    # given: a visitor who has the CSRF cookie the first page gave them
    _page(client, guide)
    etag = _page(client, guide)["ETag"]
    # then: unchanged, 304 without a body
    unchanged = _page(client, guide, if_none_match=etag)
    assert (unchanged.status_code, unchanged.content) == (304, b"")
    assert unchanged["Cache-Control"] == "private, no-cache"
    # when: a material is renamed through the service
    material = guide.materials.get(name="授权委托书")
    material.name = "经公证的授权委托书"
    services.save_catalog_record(record=material, changed=["name"])
    # then
    changed = _page(client, guide, if_none_match=etag)
    assert changed.status_code == 200
    assert "经公证的授权委托书" in changed.content.decode()
    assert changed["ETag"] != etag


def test_an_implementation_edit_shows_at_once(client, guide):
    _page(client, guide)
    guide.conditions = "新的受理条件：年满十六周岁"
    services.save_catalog_record(record=guide, changed=["conditions"])
    assert "新的受理条件：年满十六周岁" in _page(client, guide).content.decode()


def test_a_fee_deleted_shows_at_once(client, guide):
    assert "证件工本费" in _page(client, guide).content.decode()
    services.delete_catalog_records(records=list(guide.fees.filter(name__contains="工本费")))
    assert "证件工本费" not in _page(client, guide).content.decode()


def test_an_admin_edit_of_a_material_shows_at_once(admin_client, client, guide):
    # given
    _page(client, guide)
    material = guide.materials.get(name="授权委托书")
    url = reverse("admin:catalog_material_change", args=[material.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value not in (None, False)}
    data.update(implementation=guide.pk, name="委托书（原件）")
    # when
    response = admin_client.post(url, data)
    # then
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert "委托书（原件）" in _page(client, guide).content.decode()


def test_another_language_has_another_validator(client, guide):
    chinese = _page(client, guide)
    client.cookies["django_language"] = "en"
    english = _page(client, guide, if_none_match=chinese["ETag"])
    assert english.status_code == 200
    assert english["ETag"] != chinese["ETag"]
    assert 'lang="zh-Hans"' in english.content.decode()  # the cached English sections mark Chinese data


def test_a_logged_in_page_is_never_stored_nor_answered_304(client, guide):
    # given: an anonymous visitor's validator
    etag = _page(client, guide)["ETag"]
    citizen = UserFactory(level3=True)
    client.force_login(citizen)
    # when
    response = _page(client, guide, if_none_match=etag)
    # then: the person's own page, whole, and no cache may keep it
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert not response.has_header("ETag")


def test_the_validator_follows_the_visitor_s_csrf_cookie(client, guide):
    """A 304 lets the browser reuse its copy, whose forms carry a token of the visitor's CSRF cookie."""
    _page(client, guide)
    etag = _page(client, guide)["ETag"]
    assert _page(client, guide, if_none_match=etag).status_code == 304
    client.cookies["csrftoken"] = "A" * 32
    assert _page(client, guide, if_none_match=etag).status_code == 200


def test_wizard_answers_in_the_query_string_are_not_taken_from_the_cache(client, guide):
    _page(client, guide)
    response = client.get(reverse("portal:guide", args=[guide.code]), {"who": "agent"})
    assert response.status_code == 200
    assert 'data-testid="needed-materials"' in response.content.decode()
