"""Prefill from the registers through the exchange (grant, masking, audit under the application's purpose)
and from the holder's e-licenses (only within the actor's scope); re-read at submission."""

from __future__ import annotations

import pytest
from django.utils import timezone

from yiwang.applications.services.forms import PrefillTampered, check_submission, import_form
from yiwang.applications.services.prefill import PrefillPurpose, prefill, purpose_for
from yiwang.audit.constants import GroundKind, Outcome
from yiwang.audit.models import AuditEntry
from yiwang.audit.selectors import subject_hash
from yiwang.exchange.models import Grant
from yiwang.exchange.selectors.calls import QUERIED
from yiwang.exchange.services import revoke_grant
from yiwang.identity.tests.factories import UserFactory
from yiwang.licenses.constants import AuditAction as LicenseAction
from yiwang.licenses.tests.factories import LicenseTypeFactory, MandateFactory, make_license
from yiwang.registers.tests.factories import PersonFactory

from .forms_world import field, grant_population, label, make_small_world

pytestmark = pytest.mark.django_db

PERSON_READ = "registers.person_read"


def _schema(implementation, fields):
    return {
        "schema_version": 1,
        "implementation": implementation.code,
        "title": label("预填测试表", "Prefill test"),
        "sections": [{"key": "main", "label": label("主要", "Main"), "fields": fields}],
    }


REGISTER_FIELDS = [
    field(
        "name",
        "姓名",
        required=True,
        prefill={"source": "register", "resource": "RK-511602-0001", "item": "name"},
    ),
    field(
        "address",
        "户籍地址",
        "address",
        required=True,
        prefill={"source": "register", "resource": "RK-511602-0001", "item": "household_address"},
    ),
]


@pytest.fixture
def setting():
    world = make_small_world()
    applicant = UserFactory(surname="赵", given_name="一", level3=True)
    PersonFactory(
        id_number=applicant.id_number,
        surname="赵",
        given_name="一",
        name="赵一",
        household_address="四川省广安市广安区北辰路8号",
    )
    return world, applicant


def _prefill(world, applicant, schema, reference="draft-7"):
    return prefill(
        schema=schema,
        actor=applicant,
        holder_code=applicant.id_number,
        applicant_kind="person",
        department=world.department,
        purpose=purpose_for(implementation=world.implementation, reference=reference),
    )


def test_register_items_come_through_the_exchange_and_the_reads_are_logged_for_the_application(setting):
    world, applicant = setting
    item_code = world.implementation.item.code
    grant_population(world.department, item_code, ("name", "household_address"))
    form, _ = import_form(actor=None, schema=_schema(world.implementation, REGISTER_FIELDS), activate=True)
    # when the applicant opens the form
    found = _prefill(world, applicant, form.schema)
    # then both fields are filled, with their source
    assert found["name"]["value"] == "赵一"
    assert found["address"]["value"] == "四川省广安市广安区北辰路8号"
    assert found["name"]["source"] == "register:RK-511602-0001:name"
    assert "人口基础信息" in found["name"]["label"]
    # and the exchange logged its call (consumer: the accepting department; purpose: the item; ground: this
    # application) and the register's read of the applicant's record under the same ground
    call = AuditEntry.objects.get(action=QUERIED)
    assert call.outcome == Outcome.ALLOWED
    assert call.actor_department_id == world.department.pk
    assert call.purpose == item_code
    assert (call.ground_kind, call.ground_ref) == (GroundKind.CASE, "draft-7")
    read = AuditEntry.objects.get(action=PERSON_READ)
    assert read.subject_hash == subject_hash(applicant.id_number)
    assert read.ground_ref == "draft-7" and item_code in read.purpose
    assert set(read.fields) == {"name", "household_address"}


def test_a_masked_item_is_not_used_to_fill_a_form(setting):
    world, applicant = setting
    grant_population(
        world.department,
        world.implementation.item.code,
        ("name", "household_address"),
        full=("household_address",),
    )
    schema = _schema(world.implementation, REGISTER_FIELDS)
    found = _prefill(world, applicant, schema)
    assert set(found) == {"address"}  # the name came as 赵* (partial): not a value for the form


def test_without_a_live_grant_nothing_is_read(setting):
    world, applicant = setting
    schema = _schema(world.implementation, REGISTER_FIELDS)
    assert _prefill(world, applicant, schema) == {}
    assert not AuditEntry.objects.filter(action__in=[QUERIED, PERSON_READ]).exists()
    # a grant for another service item does not serve this application
    grant_population(world.department, "OTHER-ITEM", ("name", "household_address"))
    assert _prefill(world, applicant, schema) == {}
    refused = AuditEntry.objects.get(action=QUERIED)
    assert (refused.outcome, refused.reason) == (Outcome.REFUSED, "purpose_not_granted")
    assert not AuditEntry.objects.filter(action=PERSON_READ).exists()


def test_a_revoked_grant_stops_prefill_at_once(setting):
    world, applicant = setting
    setup = grant_population(world.department, world.implementation.item.code, ("name", "household_address"))
    schema = _schema(world.implementation, REGISTER_FIELDS)
    assert _prefill(world, applicant, schema)
    grant = Grant.objects.get(system=setup.system)
    admin = grant.request.requested_by
    revoke_grant(actor=admin, grant_id=grant.pk, reason="测试撤销")
    assert _prefill(world, applicant, schema) == {}


def test_a_changed_register_value_is_refused_at_submission_and_the_reread_is_logged(setting):
    world, applicant = setting
    grant_population(world.department, world.implementation.item.code, ("name", "household_address"))
    schema = _schema(world.implementation, REGISTER_FIELDS)
    submit = {
        "form_schema": schema,
        "situation": {},
        "prefilled_claims": {"name": {"value": "赵一"}, "address": {"value": "x"}},
        "actor": applicant,
        "holder_code": applicant.id_number,
        "applicant_kind": "person",
        "department": world.department,
        "purpose": PrefillPurpose(reference="idem-42"),
    }
    with pytest.raises(PrefillTampered) as raised:
        check_submission(data={"name": "赵一", "address": "四川省成都市锦江区某路1号"}, **submit)
    assert list(raised.value.details["fields"]) == ["address"]
    assert AuditEntry.objects.filter(action=PERSON_READ, ground_ref="idem-42").exists()
    checked = check_submission(data={"name": "赵一", "address": "四川省广安市广安区北辰路8号"}, **submit)
    assert checked.prefilled["address"]["source"] == "register:RK-511602-0001:household_address"


LICENSE_FIELD = [
    field(
        "grade",
        "等级",
        required=True,
        prefill={"source": "license", "license_type": "TEST_CERT", "field": "grade"},
    )
]


def test_license_surface_prefills_only_within_the_actors_scope(setting):
    world, applicant = setting
    license_type = LicenseTypeFactory(code="TEST_CERT", name="测试资格证")
    license = make_license(
        holder=applicant, license_type=license_type, surface={"name": applicant.full_name, "grade": "二级"}
    )
    schema = _schema(world.implementation, LICENSE_FIELD)
    import_form(actor=None, schema=schema)  # the reference check knows the type and its surface field
    found = _prefill(world, applicant, schema)
    assert found["grade"] == {
        "value": "二级",
        "kind": "license",
        "source": f"license:{license.identifier}:grade",
        "label": "电子证照：测试资格证",
    }
    # another person sees nothing of it
    stranger = UserFactory(level3=True)
    assert (
        prefill(
            schema=schema,
            actor=stranger,
            holder_code=applicant.id_number,
            applicant_kind="person",
            department=world.department,
            purpose=PrefillPurpose(reference="r", item_code=world.implementation.item.code),
        )
        == {}
    )
    # an agent with a mandate may, and the holder sees the agent's read among the uses
    agent = UserFactory(level3=True)
    MandateFactory(granted_by=applicant, agent=agent, covers_all_items=True)
    assert (
        prefill(
            schema=schema,
            actor=agent,
            holder_code=applicant.id_number,
            applicant_kind="person",
            department=world.department,
            purpose=PrefillPurpose(reference="r", item_code=world.implementation.item.code),
        )["grade"]["value"]
        == "二级"
    )
    assert AuditEntry.objects.filter(action=LicenseAction.LICENSE_READ, actor=agent).exists()


def test_an_expired_license_prefills_nothing(setting):
    world, applicant = setting
    license_type = LicenseTypeFactory(code="TEST_CERT", name="测试资格证")
    license = make_license(
        holder=applicant, license_type=license_type, surface={"name": applicant.full_name, "grade": "二级"}
    )
    type(license).objects.filter(pk=license.pk).update(valid_until=timezone.localdate().replace(year=2000))
    assert _prefill(world, applicant, _schema(world.implementation, LICENSE_FIELD)) == {}


def test_a_bundle_field_is_read_by_the_department_of_the_part_that_asks_it():
    from yiwang.applications.services.forms import bundle_form, load_demo_forms
    from yiwang.catalog.models import Bundle, Implementation

    from .forms_world import load_demo_catalog

    load_demo_catalog()
    load_demo_forms()
    bundle = Bundle.objects.get(code="newborn-birth")
    household = Implementation.objects.get(code="511F09014002-511602000000-000-11511300008778693M-1-00")
    grant_population(household.department, household.item.code, ("household_number", "household_address"))
    mother = UserFactory(level3=True)
    PersonFactory(id_number=mother.id_number, household_address="四川省广安市广安区兴平路6号")
    found = prefill(
        schema=bundle_form(bundle=bundle),
        actor=mother,
        holder_code=mother.id_number,
        applicant_kind="person",
        department=bundle.lead_department,  # the one window (卫健); the police part reads its own fields
        purpose=PrefillPurpose(reference="bundle-draft"),
    )
    assert found["household_address"]["value"] == "四川省广安市广安区兴平路6号"
    assert found["applicant_name"]["value"] == mother.full_name
    call = AuditEntry.objects.get(action=QUERIED)
    assert call.actor_department_id == household.department_id and call.purpose == household.item.code
