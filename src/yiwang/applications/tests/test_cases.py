"""Submission: one case with its materials, first workflow state and event in one transaction;
idempotent by (applicant, key); who may apply for whom (mandates, enterprises, assurance level)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from yiwang.applications import selectors
from yiwang.applications.constants import CASE_SUBMITTED, AuditAction, CaseStatus, Channel, TaskState
from yiwang.applications.models import Case, CaseEvent, CaseMaterial, CaseSerial, CaseTask
from yiwang.applications.services import numbers
from yiwang.applications.services.forms import InvalidForm, import_form
from yiwang.audit.constants import GroundKind
from yiwang.audit.models import AuditEntry
from yiwang.audit.selectors import subject_hash
from yiwang.catalog.tests.factories import ImplementationFactory, ServiceItemFactory
from yiwang.core.errors import Conflict, InvalidInput, PermissionDenied
from yiwang.exchange.selectors.calls import QUERIED
from yiwang.identity.constants import PrincipalKind, StaffRole
from yiwang.identity.tests.factories import (
    EnterpriseFactory,
    MandateFactory,
    StaffAssignmentFactory,
    UserFactory,
)
from yiwang.notifications.models import OutboxEvent
from yiwang.registers.tests.factories import PersonFactory

from .cases_world import form_data, make_world, submit
from .forms_world import POPULATION, field, grant_population, small_schema

PERSON_READ = "registers.person_read"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world():
    return make_world()


def test_a_submission_writes_the_case_its_materials_workflow_timeline_audit_and_event(world):
    case, created = submit(world, key="key-1")
    assert created
    assert case.status == CaseStatus.SUBMITTED
    assert numbers.is_valid_case_number(case.number) and case.number.startswith(
        world.implementation.region_id
    )
    assert numbers.query_code_matches(code=case.query_code, code_hash=case.query_code_hash)
    assert case.holder_name == world.applicant.full_name and case.visits == 0
    assert set(CaseMaterial.objects.filter(case=case).values_list("key", flat=True)) == {
        "applicant_id_card",
        "application_form",
    }
    accept_task = CaseTask.objects.get(case=case, state=TaskState.READY)
    assert (accept_task.bpmn_id, accept_task.role, accept_task.department_id) == (
        "accept",
        StaffRole.WINDOW_CLERK,
        world.department.pk,
    )
    event = OutboxEvent.objects.get(topic=CASE_SUBMITTED)
    assert event.payload["number"] == case.number and event.payload["status"] == CaseStatus.SUBMITTED
    assert world.applicant.id_number not in str(event.payload)  # no personal data in the event
    assert AuditEntry.objects.filter(action=AuditAction.CASE_SUBMITTED, object_id=str(case.pk)).exists()
    assert CaseEvent.objects.get(case=case).text == "已提交申请，等待受理"


def test_the_submissions_reread_of_prefilled_fields_is_logged_under_the_application_key(world):
    # given a form field prefilled from the population register through the exchange
    applicant = world.applicant
    PersonFactory(id_number=applicant.id_number, household_address="四川省广安市广安区北辰路8号")
    item_code = world.implementation.item.code
    grant_population(world.department, item_code, ("household_address",))
    schema = small_schema(world.implementation)
    schema["sections"][0]["fields"].append(
        field(
            "household_address",
            "户籍地址",
            "address",
            prefill={"source": "register", "resource": POPULATION, "item": "household_address"},
        )
    )
    import_form(actor=None, schema=schema, activate=True)
    # when the applicant submits with the draft's token as the key
    data = {**form_data(applicant), "household_address": "四川省广安市广安区北辰路8号"}
    case, _created = submit(world, key="draft-token-7", data=data)
    # then the server's re-read is on the applicant's data tracker under this application (its key,
    # for the item), as the draft's reads are
    read = AuditEntry.objects.get(action=PERSON_READ, subject_hash=subject_hash(applicant.id_number))
    assert (read.ground_kind, read.ground_ref) == (GroundKind.CASE, "draft-token-7")
    assert item_code in read.purpose
    call = AuditEntry.objects.get(action=QUERIED)
    assert (call.ground_ref, call.purpose) == ("draft-token-7", item_code)
    assert case.prefilled["household_address"]["source"] == f"register:{POPULATION}:household_address"


def test_the_same_key_twice_creates_one_case(world):
    first, created = submit(world, key="double-click")
    again, created_again = submit(world, key="double-click")
    assert created and not created_again
    assert again.pk == first.pk
    assert Case.objects.count() == 1
    assert OutboxEvent.objects.filter(topic=CASE_SUBMITTED).count() == 1
    assert CaseSerial.objects.get().last == 1  # no number was used up either


def test_the_same_key_of_another_applicant_is_another_case(world):
    submit(world, key="k")
    other = UserFactory(level3=True)
    case, created = submit(world, actor=other, key="k")
    assert created and Case.objects.count() == 2 and case.applicant == other


def test_a_key_reused_for_another_application_is_refused(world):
    submit(world, key="k")
    with pytest.raises(Conflict) as caught:
        submit(world, key="k", implementation=ImplementationFactory(), uploads={})
    assert caught.value.code == "idempotency_key_reused"


def test_without_a_key_each_submission_is_a_case(world):
    submit(world)
    submit(world)
    assert Case.objects.count() == 2


def test_a_rolled_back_submission_leaves_no_case_no_event_and_no_number(world):
    with pytest.raises(RuntimeError), transaction.atomic():
        submit(world, key="k")
        assert OutboxEvent.objects.filter(topic=CASE_SUBMITTED).exists()  # written in the transaction
        raise RuntimeError("the request failed after the submission")
    assert not Case.objects.exists()
    assert not OutboxEvent.objects.exists()
    assert not CaseSerial.objects.filter(last__gt=0).exists()


def test_an_invalid_form_leaves_nothing_behind(world):
    data = form_data(world.applicant) | {"phone": "not a phone"}
    with pytest.raises(InvalidForm):
        submit(world, data=data, key="k")
    assert not Case.objects.exists() and not OutboxEvent.objects.exists()
    _case, created = submit(world, key="k")  # the key was not used up
    assert created


def test_missing_uploads_are_refused(world):
    with pytest.raises(InvalidInput) as caught:
        submit(world, uploads={})
    assert caught.value.code == "materials_missing"
    assert not Case.objects.exists()


def test_the_assurance_level_the_item_requires_is_checked(world):
    world.implementation.item.required_assurance_level = 4
    world.implementation.item.save()
    with pytest.raises(PermissionDenied) as caught:
        submit(world)
    assert caught.value.code == "assurance_too_low"


def test_nobody_applies_for_another_citizen_without_a_mandate(world):
    other = UserFactory(level3=True)
    with pytest.raises(PermissionDenied) as caught:
        submit(world, actor=other, holder=world.applicant)
    assert caught.value.code == "mandate_required"


def _person_mandate(principal, agent, **extra):
    return MandateFactory(
        principal_kind=PrincipalKind.PERSON, enterprise=None, granted_by=principal, agent=agent, **extra
    )


def test_an_agent_with_a_mandate_for_the_item_applies_for_the_principal(world):
    agent = UserFactory(level3=True)
    mandate = _person_mandate(world.applicant, agent, items=[world.implementation.item])
    case, _created = submit(world, actor=agent, holder=world.applicant)
    assert (case.applicant, case.mandate, case.holder_code) == (agent, mandate, world.applicant.id_number)
    assert case.holder_name == world.applicant.full_name
    entry = AuditEntry.objects.get(action=AuditAction.CASE_SUBMITTED)
    assert entry.mandate_id == mandate.pk and entry.ground_kind == "mandate"
    # the principal sees the case the agent filed
    assert selectors.access_case_by_number(actor=world.applicant, number=case.number) == case


@pytest.mark.parametrize("scope", ["other_item", "expired", "revoked"])
def test_an_agent_without_a_mandate_in_force_for_the_item_is_refused(world, scope):
    agent = UserFactory(level3=True)
    if scope == "other_item":
        _person_mandate(world.applicant, agent, items=[ServiceItemFactory()])
    elif scope == "expired":
        _person_mandate(world.applicant, agent, expired=True)
    else:
        _person_mandate(world.applicant, agent, revoked_at=timezone.now())
    with pytest.raises(PermissionDenied) as caught:
        submit(world, actor=agent, holder=world.applicant)
    assert caught.value.code == "mandate_required"


def _enterprise_submit(world, actor, enterprise):
    world.implementation.item.audiences = ["person", "enterprise"]
    world.implementation.item.save()
    data = form_data(actor) | {"applicant_name": actor.full_name}
    return submit(
        world,
        actor=actor,
        applicant_kind="enterprise",
        holder_code=enterprise.credit_code,
        data=data,
    )


def test_an_enterprise_applies_through_its_legal_representative_or_a_mandated_agent(world):
    enterprise = EnterpriseFactory()
    case, _created = _enterprise_submit(world, enterprise.representative, enterprise)
    assert (case.holder_code, case.holder_name, case.mandate) == (
        enterprise.credit_code,
        enterprise.name,
        None,
    )
    agent = UserFactory(level3=True)
    mandate = MandateFactory(enterprise=enterprise, agent=agent, items=[world.implementation.item])
    by_agent, _created = _enterprise_submit(world, agent, enterprise)
    assert by_agent.mandate == mandate
    with pytest.raises(PermissionDenied):
        _enterprise_submit(world, UserFactory(level3=True), enterprise)


def test_an_enterprise_cannot_apply_for_an_item_only_for_persons(world):
    enterprise = EnterpriseFactory()
    with pytest.raises(InvalidInput) as caught:
        submit(
            world,
            actor=enterprise.representative,
            applicant_kind="enterprise",
            holder_code=enterprise.credit_code,
        )
    assert caught.value.code == "audience_mismatch"


def test_a_window_submission_counts_one_visit_and_needs_a_window_clerk(world):
    case, _created = submit(world, channel=Channel.WINDOW, window_clerk=world.clerk)
    assert (case.visits, case.window_clerk, case.channel) == (1, world.clerk, Channel.WINDOW)
    assert CaseMaterial.objects.filter(case=case, source="paper_scan").count() == 2
    with pytest.raises(PermissionDenied):
        submit(world, channel=Channel.WINDOW, window_clerk=world.approver)
    with pytest.raises(InvalidInput):
        submit(world, channel=Channel.ONLINE, window_clerk=world.clerk)


def test_a_clerk_of_another_department_may_key_in_at_the_comprehensive_window(world):
    other_clerk = StaffAssignmentFactory(role=StaffRole.WINDOW_CLERK).user
    case, _created = submit(world, channel=Channel.WINDOW, window_clerk=other_clerk)
    assert case.department == world.department


def test_an_inactive_implementation_is_refused(world):
    world.implementation.is_active = False
    world.implementation.save()
    with pytest.raises(InvalidInput) as caught:
        submit(world)
    assert caught.value.code == "implementation_inactive"


def test_numbers_of_one_day_are_consecutive(world):
    first, _ = submit(world)
    second, _ = submit(world)
    assert int(second.number[20:26]) == int(first.number[20:26]) + 1
    assert first.number[12:20] == f"{timezone.localdate(first.submitted_at):%Y%m%d}"
