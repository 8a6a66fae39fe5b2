"""The demo forms: every file valid, loadable (idempotently), and the bundles' forms merge each field once."""

from __future__ import annotations

import json

import pytest

from yiwang.applications.constants import FormStatus
from yiwang.applications.models import ApplicationForm
from yiwang.applications.services.form_schema import check_schema, iter_fields
from yiwang.applications.services.forms import DEMO_FORMS_DIR, active_form_for, bundle_form, load_demo_forms
from yiwang.catalog.models import Bundle, Implementation

from .forms_world import load_demo_catalog

pytestmark = pytest.mark.django_db

BUNDLES = ("second-hand-house-transfer", "newborn-birth")


def _files():
    return sorted(DEMO_FORMS_DIR.glob("*.json"))


def test_every_demo_file_is_a_valid_definition():
    files = _files()
    assert len(files) >= 12
    for path in files:
        assert check_schema(json.loads(path.read_text("utf-8"))) == [], path.name


def test_demo_forms_load_and_activate_once_and_cover_both_bundles():
    # given the demo catalog, license types and published register resources
    load_demo_catalog()
    # when the forms are loaded twice
    created = load_demo_forms()
    again = load_demo_forms()
    # then each file became one active version, and the second load changed nothing
    assert created == len(_files())
    assert again == 0
    assert ApplicationForm.objects.filter(status=FormStatus.ACTIVE).count() == len(_files())
    for code in BUNDLES:
        bundle = Bundle.objects.get(code=code)
        for implementation in bundle.implementations.all():
            assert active_form_for(implementation=implementation) is not None, implementation.name
    assert (
        Implementation.objects.filter(pk__in=ApplicationForm.objects.values("implementation")).count() >= 12
    )


def _field_counts(schema):
    keys = [item["key"] for _section, item in iter_fields(schema)]
    return keys, len(keys) == len(set(keys))


def test_bundle_forms_ask_every_shared_field_once():
    load_demo_catalog()
    load_demo_forms()
    house = bundle_form(bundle=Bundle.objects.get(code="second-hand-house-transfer"))
    keys, unique = _field_counts(house)
    assert unique
    parts = {
        form.implementation.code: {item["key"] for _s, item in iter_fields(form.schema)}
        for form in ApplicationForm.objects.filter(
            status=FormStatus.ACTIVE, implementation__bundles__code="second-hand-house-transfer"
        ).select_related("implementation")
    }
    assert len(parts) == 4
    # the union of the parts' fields, each once
    assert set(keys) == set().union(*parts.values())
    assert sum(len(fields) for fields in parts.values()) > len(keys)
    merged = {item["key"]: item for _s, item in iter_fields(house)}
    for shared in ("seller_name", "buyer_id_number", "property_certificate_number", "applicant_name"):
        assert len(merged[shared]["asked_by"]) >= 3, shared
    newborn = bundle_form(bundle=Bundle.objects.get(code="newborn-birth"))
    newborn_fields = {item["key"]: item for _s, item in iter_fields(newborn)}
    assert _field_counts(newborn)[1]
    assert len(newborn_fields["child_name"]["asked_by"]) == 4
    assert len(newborn_fields["mother_id_number"]["asked_by"]) == 2
