"""A bundle (一件事) through the case services: one submission fans out to a sub-case per department; the
applicant sees one application; withdrawing it withdraws every part; the parent closes with its last part."""

from __future__ import annotations

import pytest

from yiwang.applications import selectors
from yiwang.applications.constants import CaseStatus, Decision, MaterialSource, TaskState
from yiwang.applications.models import Case, CaseTask
from yiwang.applications.services import cases, materials
from yiwang.applications.services.forms import import_form
from yiwang.catalog.tests.factories import (
    BundleFactory,
    DepartmentFactory,
    ImplementationFactory,
    SituationOptionFactory,
    SituationQuestionFactory,
)
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory

from .cases_world import form_data, make_world, pdf_upload
from .forms_world import small_schema

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def bundle_world():
    world = make_world()
    tax_office = DepartmentFactory(name="区税务局")
    second = ImplementationFactory(department=tax_office, region=tax_office.region)
    question = SituationQuestionFactory(implementation=second, code="employed", text="是否在职？")
    SituationOptionFactory(question=question, code="yes", label="在职")
    SituationOptionFactory(question=question, code="no", label="不在职")
    import_form(actor=None, schema=small_schema(second), activate=True)
    bundle = BundleFactory(
        lead_department=world.department,
        region=world.department.region,
        implementations=[world.implementation, second],
    )
    return world, bundle, second


def submit_bundle(world, bundle, **extra):
    parts = [item.implementation for item in bundle.bundle_items.select_related("implementation")]
    plan = materials.plan(
        implementations=parts,
        situation={"employed": "no"},
        actor=world.applicant,
        holder_code=world.applicant.id_number,
    )
    uploads = {item.key: pdf_upload() for item in plan if item.satisfied_by == MaterialSource.UPLOAD}
    return cases.submit(
        actor=world.applicant,
        bundle=bundle,
        applicant_kind="person",
        holder_code=world.applicant.id_number,
        situation={"employed": "no"},
        data=form_data(world.applicant),
        prefilled_claims={},
        uploads=uploads,
        **extra,
    )


def test_one_bundle_submission_fans_out_to_each_department(bundle_world):
    world, bundle, second = bundle_world
    parent, created = submit_bundle(bundle=bundle, world=world, idempotency_key="bundle-1")
    assert created and parent.bundle == bundle and parent.implementation is None
    parts = list(parent.children.order_by("pk"))
    assert [part.implementation for part in parts] == [world.implementation, second]
    for part in parts:
        task = CaseTask.objects.get(case=part, state=TaskState.READY)
        assert (task.bpmn_id, task.department_id) == ("accept", part.department_id)
    again, created_again = submit_bundle(bundle=bundle, world=world, idempotency_key="bundle-1")
    assert again == parent and not created_again and Case.objects.count() == 3
    # the applicant sees one application, and each part through it
    listed = selectors.list_cases_for_applicant(actor=world.applicant).items
    assert listed == [parent]
    assert selectors.access_case_by_number(actor=world.applicant, number=parts[1].number) == parts[1]


def test_withdrawing_the_bundle_withdraws_every_open_part(bundle_world):
    world, bundle, _second = bundle_world
    parent, _created = submit_bundle(world, bundle)
    part = parent.children.order_by("pk").first()
    with pytest.raises(Exception) as caught:
        cases.withdraw(actor=world.applicant, case=part)
    assert getattr(caught.value, "code", "") == "withdraw_parent"
    cases.withdraw(actor=world.applicant, case=parent)
    assert set(Case.objects.values_list("status", flat=True)) == {CaseStatus.WITHDRAWN}
    assert not CaseTask.objects.filter(state=TaskState.READY).exists()


def test_the_parent_closes_with_its_last_part_and_explains_a_refusal(bundle_world):
    world, bundle, second = bundle_world
    parent, _created = submit_bundle(world, bundle)
    first_part, second_part = parent.children.order_by("pk")
    cases.refuse_to_accept(
        actor=world.clerk, case=first_part, reason="不符合受理条件", legal_basis="《行政许可法》第三十二条"
    )
    assert Case.objects.get(pk=parent.pk).status == CaseStatus.SUBMITTED  # one part is still open
    clerk = StaffAssignmentFactory(department=second.department, role=StaffRole.WINDOW_CLERK).user
    approver = StaffAssignmentFactory(department=second.department, role=StaffRole.APPROVER).user
    cases.accept(actor=clerk, case=second_part)
    review = CaseTask.objects.get(case=second_part, bpmn_id="review", state=TaskState.READY)
    cases.complete_task(actor=approver, case=second_part, task=review, data={})
    cases.decide(
        actor=approver, case=second_part, decision=Decision.APPROVE, reason="符合条件", legal_basis="b"
    )
    parent = Case.objects.get(pk=parent.pk)
    assert parent.status == CaseStatus.REFUSED and parent.closed_at is not None
    assert "不符合受理条件" in parent.decision_reason
