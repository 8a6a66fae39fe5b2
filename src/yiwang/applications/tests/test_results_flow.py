"""Results through the real workflow: the standard process calls issue_result and deliver_result on an
approval, notify_refusal on a refusal, and escalate when the decision's timer fires; a bundle's parent
closes when its last part is decided."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.applications.constants import (
    CASE_CLOSED,
    CASE_ESCALATED,
    CASE_REFUSAL_NOTIFIED,
    CASE_RESULT_DELIVERED,
    CASE_RESULT_ISSUED,
    CaseStatus,
    Decision,
    TaskState,
)
from yiwang.applications.models import Case, CaseEvent, CaseTask
from yiwang.applications.services import bundles, cases, runtime
from yiwang.applications.services.processes import load_default_processes
from yiwang.catalog.models import Implementation
from yiwang.catalog.tests.factories import ImplementationFactory
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory
from yiwang.licenses.selectors import verify_license_identifier
from yiwang.licenses.services import load_license_type_catalog
from yiwang.notifications.models import Notice

from .factories import CaseFactory
from .pdf_text import pdf_text
from .test_bundles import CONTRACT, MORTGAGE, TAX, TRANSFER, submitted_parent
from .test_results import HOUSE

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def staff(case: Case, role: str):
    return StaffAssignmentFactory(department=case.department, role=role).user


def to_decision(case: Case) -> tuple[Case, object]:
    """Accept and review the case as its department's staff; return it and its approver."""
    cases.accept(actor=staff(case, StaffRole.WINDOW_CLERK), case=case)
    approver = staff(case, StaffRole.APPROVER)
    review = CaseTask.objects.get(case=case, bpmn_id="review", state=TaskState.READY)
    cases.complete_task(actor=approver, case=case, task=review, data={})
    return Case.objects.get(pk=case.pk), approver


def kinds(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).order_by("at", "pk").values_list("kind", flat=True))


@pytest.fixture
def house_case():
    load_license_type_catalog()
    load_default_processes()
    implementation = ImplementationFactory(
        result_license_type="REAL_ESTATE_CERT",
        result_name="不动产权证书",
        statutory_limit_days=30,
        promised_limit_days=3,
    )
    case = CaseFactory(implementation=implementation, data=dict(HOUSE))
    runtime.start(case=case)
    return case


def test_an_approval_issues_and_delivers_the_result_and_closes_the_case(house_case):
    case, approver = to_decision(house_case)
    # when the approver approves
    cases.decide(
        actor=approver,
        case=case,
        decision=Decision.APPROVE,
        reason="符合登记条件",
        legal_basis="《不动产登记暂行条例》",
    )
    # then the workflow issued the license, delivered it and the case closed
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED and case.result_license is not None
    assert verify_license_identifier(identifier=case.result_license.identifier).is_valid
    assert case.result_license.issued_by == approver
    events = kinds(case)
    assert events.index(CASE_RESULT_ISSUED) < events.index(CASE_RESULT_DELIVERED) < events.index(CASE_CLOSED)
    with case.decision_document.open("rb") as document:
        assert case.result_license.identifier in pdf_text(document.read()).replace("\n", "")


def test_the_approvers_surface_entries_at_the_decision_complete_the_result(house_case):
    # given a form that does not give the 不动产单元号 and a review that recorded the 共有情况 only
    case = house_case
    Case.objects.filter(pk=case.pk).update(data={k: v for k, v in HOUSE.items() if k != "unit_number"})
    cases.accept(actor=staff(case, StaffRole.WINDOW_CLERK), case=case)
    approver = staff(case, StaffRole.APPROVER)
    review = CaseTask.objects.get(case=case, bpmn_id="review", state=TaskState.READY)
    cases.complete_task(
        actor=approver, case=case, task=review, data={"result_surface": {"co_ownership": "共同共有"}}
    )
    # when the approver approves, entering the unit number
    cases.decide(
        actor=approver,
        case=Case.objects.get(pk=case.pk),
        decision=Decision.APPROVE,
        reason="符合登记条件",
        legal_basis="《不动产登记暂行条例》",
        result_surface={"unit_number": HOUSE["unit_number"]},
    )
    # then the license carries both entries and the form's answers
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    surface = case.result_license.surface
    assert surface["unit_number"] == HOUSE["unit_number"] and surface["co_ownership"] == "共同共有"
    assert surface["location"] == HOUSE["location"]


def test_a_refusal_writes_the_refusal_decision_and_closes_the_case(house_case):
    case, approver = to_decision(house_case)
    cases.decide(
        actor=approver,
        case=case,
        decision=Decision.REFUSE,
        reason="房屋存在查封登记",
        legal_basis="《不动产登记暂行条例》第二十二条",
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.REFUSED and case.result_license is None
    assert CASE_REFUSAL_NOTIFIED in kinds(case)
    with case.decision_document.open("rb") as document:
        text = pdf_text(document.read()).replace("\n", "")
    assert "理由：房屋存在查封登记" in text and "申请行政复议" in text and "提起行政诉讼" in text


def test_the_decision_timer_escalates_to_the_departments_supervisor(house_case):
    # given a case waiting for its decision and a supervisor of its department
    case, _approver = to_decision(house_case)
    supervisor = staff(case, StaffRole.SUPERVISOR)
    # when its timer is due (3 working days later) and the scheduler fires it
    fired = runtime.fire_due_timers(now=timezone.now() + dt.timedelta(days=30))
    # then the supervisor is alerted, a 督办 task is ready, and the case is still waiting for its decision
    assert fired >= 1
    assert Notice.objects.filter(recipient=supervisor, title__contains=case.number).exists()
    assert CaseEvent.objects.filter(case=case, kind=CASE_ESCALATED, is_public=False).exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED
    ready = set(CaseTask.objects.filter(case=case, state=TaskState.READY).values_list("bpmn_id", flat=True))
    assert {"decide", "supervise"} <= ready


def test_the_bundle_parent_closes_when_its_last_part_is_decided_and_explains_the_refusal():
    # given the house transfer fanned out; the licence-issuing parts' results are tested above, so here
    # they end with a decision document only
    parent = submitted_parent()
    Implementation.objects.filter(code__in=[TAX, TRANSFER, MORTGAGE]).update(result_license_type="")
    parts = {part.implementation.code: part for part in bundles.fan_out(parent=parent)}
    # when every part is accepted and decided by its own department, the tax return refused
    for code in (CONTRACT, TAX, TRANSFER, MORTGAGE):
        part, approver = to_decision(parts[code])
        decision = Decision.REFUSE if code == TAX else Decision.APPROVE
        reason = "卖方有欠缴税款" if code == TAX else "符合条件"
        cases.decide(
            actor=approver, case=part, decision=decision, reason=reason, legal_basis="《税收征收管理法》"
        )
        parent.refresh_from_db()
        # then the parent stays open until the last part closes
        assert (parent.closed_at is None) == (code != MORTGAGE)  # accepted with its first part, still open
    assert parent.status == CaseStatus.REFUSED
    assert "卖方有欠缴税款" in parent.decision_reason and parts[TAX].department.name in parent.decision_reason


# The one form's answers the parts' results are written from (the demo forms' result_field).
HOUSE_ANSWERS = {
    "applicant_name": "张测一",
    "buyer_name": "李测二",
    "property_certificate_number": "川(2020)广安区不动产权第0001234号",
    "property_address": HOUSE["location"],
    "property_area": "89.5",
    "property_use": "residential",
    "contract_price": 860000,
    "loan_amount": 300000,
    "mortgage_kind": "general",
}
# What only the approvers know: the tax assessed, the 不动产单元号 and the 共有情况 of a single buyer.
ENTERED = {
    TAX: {"tax_period": "2026年", "tax_type": "契税", "amount": 25800},
    TRANSFER: {"unit_number": HOUSE["unit_number"], "co_ownership": "单独所有"},
    MORTGAGE: {},
    CONTRACT: {},
}


def test_every_part_of_the_house_transfer_is_issued_from_its_form_and_the_approvers_entries():
    # given the house transfer on the demo forms, fanned out, each part reviewed by its department
    load_license_type_catalog()
    parent = submitted_parent()
    Case.objects.filter(pk=parent.pk).update(data=dict(HOUSE_ANSWERS))
    parent.refresh_from_db()
    parts = {part.implementation.code: part for part in bundles.fan_out(parent=parent)}
    valid_until = (timezone.localdate() + dt.timedelta(days=365)).isoformat()  # a 完税证明's validity
    for code, part in parts.items():
        cases.accept(actor=staff(part, StaffRole.WINDOW_CLERK), case=part)
        approver = staff(part, StaffRole.APPROVER)
        review = CaseTask.objects.get(case=part, bpmn_id="review", state=TaskState.READY)
        data = {"result_valid_until": valid_until} if code == TAX else {}
        cases.complete_task(actor=approver, case=part, task=review, data=data)
        # when each approver approves, entering only what no form field gives
        cases.decide(
            actor=approver,
            case=Case.objects.get(pk=part.pk),
            decision=Decision.APPROVE,
            reason="符合条件",
            legal_basis="《不动产登记暂行条例》",
            result_surface=ENTERED[code] or None,
        )
    # then every part is approved with its result license, and the parent closes approved
    issued = {}
    for code, part in parts.items():
        part.refresh_from_db()
        assert part.status == CaseStatus.APPROVED, code
        issued[code] = part.result_license
    assert issued[CONTRACT] is None  # 网签备案 has no license of its own
    tax, transfer, mortgage = issued[TAX].surface, issued[TRANSFER].surface, issued[MORTGAGE].surface
    assert tax["amount"] == 25800 and tax["certificate_number"] == parts[TAX].number
    assert (transfer["location"], transfer["area"], transfer["use"]) == (HOUSE["location"], 89.5, "住宅")
    assert transfer["unit_number"] == HOUSE["unit_number"] and transfer["co_ownership"] == "单独所有"
    assert (mortgage["location"], mortgage["obligor"], mortgage["matter"]) == (
        HOUSE["location"],
        "李测二",
        "一般抵押",
    )
    for code in (TAX, TRANSFER, MORTGAGE):
        assert verify_license_identifier(identifier=issued[code].identifier).is_valid
    parent.refresh_from_db()
    assert parent.status == CaseStatus.APPROVED
