"""What a submission keeps or reads once: the implementation's catalog data kept per process (keyed by the
guide's version), the active form and process version read with the implementation's row, the license
scope computed once for the plan and the consent. An edit between two submissions is seen by the second."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yiwang.applications.models import Case, CaseMaterial
from yiwang.applications.services import plan_cache, processes, runtime
from yiwang.applications.services.forms import import_form
from yiwang.applications.tests.workflow_fixtures import linear
from yiwang.catalog.constants import MaterialRequirement
from yiwang.catalog.models import Material
from yiwang.catalog.services import save_catalog_record
from yiwang.core.errors import Conflict, PermissionDenied
from yiwang.identity.selectors import LicenseScope, license_scope_for
from yiwang.identity.tests.factories import UserFactory
from yiwang.licenses.services import grant_consent
from yiwang.licenses.tests.factories import make_license

from .cases_world import make_world, submit
from .forms_world import small_schema

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world():
    plan_cache.clear()
    return make_world()


def _material_keys(case: Case) -> set[str]:
    return set(CaseMaterial.objects.filter(case=case).values_list("key", flat=True))


def test_the_second_submission_reads_no_catalog_materials(world):
    submit(world, key="k-1")
    with CaptureQueriesContext(connection) as queries:
        _case, created = submit(world, key="k-2", uploads={})  # the vault holds the first one's scans
    assert created
    tables = [query["sql"].split(" FROM ", 1)[-1].split(" ", 1)[0] for query in queries.captured_queries]
    catalog_parts = (
        "catalog_material",
        "catalog_fee",
        "catalog_situationquestion",
        "catalog_situationoption",
    )
    assert not [table for table in tables if table.strip('"').startswith(catalog_parts)]
    assert '"applications_processversion"' not in tables  # read with the implementation's row
    assert '"applications_applicationform"' not in tables


def test_a_material_added_between_two_submissions_is_asked_of_the_second(world):
    first, _ = submit(world, key="k-1")
    assert "birth_certificate" not in _material_keys(first)
    save_catalog_record(
        record=Material(
            implementation=world.implementation,
            key="birth_certificate",
            name="出生医学证明",
            requirement=MaterialRequirement.REQUIRED,
            order=9,
        )
    )
    with pytest.raises(Exception) as missing:  # a stale plan would take it without the new scan
        submit(world, key="k-2", uploads={})
    assert getattr(missing.value, "code", "") == "materials_missing"
    second, _ = submit(world, key="k-3")  # the test's helper uploads what the (fresh) plan asks for
    assert "birth_certificate" in _material_keys(second)


def test_a_material_renamed_between_two_submissions_is_named_so_in_the_second(world):
    first, _ = submit(world, key="k-1")
    material = world.implementation.materials.get(key="application_form")
    assert CaseMaterial.objects.get(case=first, key="application_form").name == material.name
    material.name = "申请表（新版）"
    save_catalog_record(record=material, changed=["name"])
    second, _ = submit(world, key="k-2", uploads={})
    assert CaseMaterial.objects.get(case=second, key="application_form").name == "申请表（新版）"


def test_a_form_activated_between_two_submissions_is_the_second_ones(world):
    first, _ = submit(world, key="k-1")
    schema = small_schema(world.implementation)
    schema["title"] = {"zh": "测试申请表（第二版）", "en": "Test form v2"}
    newer, created = import_form(actor=None, schema=schema, activate=True)
    assert created and newer.pk != first.form_id
    second, _ = submit(world, key="k-2")
    assert second.form_id == newer.pk and Case.objects.get(pk=second.pk).form_id == newer.pk


def test_a_process_version_activated_between_two_submissions_starts_the_second(world):
    first, _ = submit(world, key="k-1")
    xml = linear('<bpmn:userTask id="accept" name="受理"><bpmn:extensionElements/></bpmn:userTask>')
    version = processes.import_process(actor=None, xml=xml, file_name="other.bpmn", activate=True).version
    processes.bind_process(actor=None, definition=version.definition, implementations=[world.implementation])
    second, _ = submit(world, key="k-2")
    assert first.process_version_id != version.pk
    assert Case.objects.get(pk=second.pk).process_version_id == version.pk
    assert runtime.process_version_for(case=second) == version


def test_a_bound_process_without_an_active_version_refuses_as_before(world):
    xml = linear('<bpmn:userTask id="accept" name="受理"><bpmn:extensionElements/></bpmn:userTask>')
    version = processes.import_process(actor=None, xml=xml, file_name="draft.bpmn").version
    processes.bind_process(actor=None, definition=version.definition, implementations=[world.implementation])
    with pytest.raises(Conflict) as refused:  # no falling back to the default process
        submit(world, key="k-1")
    assert refused.value.code == "no_active_process"
    assert not Case.objects.exists()


def test_a_consent_is_refused_when_the_scope_given_does_not_cover_the_holder(world):
    holder = UserFactory(level3=True)
    license = make_license(holder=holder)
    arguments = {
        "actor": holder,
        "holder_code": holder.id_number,
        "requester": world.department,
        "license": license,
        "purpose": "测试",
        "expires_at": timezone.now() + dt.timedelta(days=30),
    }
    with pytest.raises(PermissionDenied):  # the scope passed decides, not a fresh look-up
        grant_consent(**arguments, scope=LicenseScope())
    assert grant_consent(**arguments, scope=license_scope_for(holder)).holder_code == holder.id_number
    assert grant_consent(**arguments).license == license  # without a scope: computed as before
