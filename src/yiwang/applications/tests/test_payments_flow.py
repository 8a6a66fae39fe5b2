"""Fees through the case services: a paid fee goes back when the case is refused, not accepted or
withdrawn, through the standard process (cases.decide, refuse_to_accept, withdraw call refund_for_case)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from yiwang.applications.constants import CASE_REFUNDED, CaseStatus, Decision, PaymentStatus, TaskState
from yiwang.applications.models import Case, CaseTask, Payment, SandboxTransaction
from yiwang.applications.services import cases, payments, runtime
from yiwang.applications.services.processes import load_default_processes
from yiwang.catalog.tests.factories import FeeFactory, ImplementationFactory
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory
from yiwang.notifications.models import OutboxEvent

from .factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def paid_case():
    """A submitted case on the standard process whose 50-yuan fee the applicant has paid."""
    load_default_processes()
    implementation = ImplementationFactory(is_free=False, statutory_limit_days=20, promised_limit_days=5)
    FeeFactory(implementation=implementation, name="登记费", amount=Decimal("50.00"))
    case = CaseFactory(implementation=implementation)
    runtime.start(case=case)
    payment = payments.create_payment(case=case, actor=case.applicant)
    payments.sandbox_settle(actor=case.applicant, order_number=payment.order_number, outcome="paid")
    return Case.objects.get(pk=case.pk)


def staff(case: Case, role: str):
    return StaffAssignmentFactory(department=case.department, role=role).user


def refunded(case: Case) -> Payment:
    payment = Payment.objects.get(case=case)
    assert payment.status == PaymentStatus.REFUNDED
    assert SandboxTransaction.objects.filter(order_number=payment.order_number, kind="refund").count() == 1
    events = OutboxEvent.objects.filter(topic=CASE_REFUNDED)
    assert [event.payload["order_number"] for event in events] == [payment.order_number]
    return payment


def test_a_refused_case_gets_its_fee_back(paid_case, django_capture_on_commit_callbacks):
    cases.accept(actor=staff(paid_case, StaffRole.WINDOW_CLERK), case=paid_case)
    approver = staff(paid_case, StaffRole.APPROVER)
    review = CaseTask.objects.get(case=paid_case, bpmn_id="review", state=TaskState.READY)
    cases.complete_task(actor=approver, case=paid_case, task=review, data={})

    with django_capture_on_commit_callbacks(execute=True):
        cases.decide(
            actor=approver,
            case=Case.objects.get(pk=paid_case.pk),
            decision=Decision.REFUSE,
            reason="不符合登记条件",
            legal_basis="《行政许可法》第三十八条第二款",
        )

    assert Case.objects.get(pk=paid_case.pk).status == CaseStatus.REFUSED
    assert refunded(paid_case).refunded_at is not None


def test_a_case_not_accepted_gets_its_fee_back(paid_case, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        cases.refuse_to_accept(
            actor=staff(paid_case, StaffRole.WINDOW_CLERK),
            case=paid_case,
            reason="不属于本部门职权范围",
            legal_basis="《行政许可法》第三十二条第一款第二项",
        )

    refunded(paid_case)


def test_an_approved_case_keeps_its_fee(paid_case, django_capture_on_commit_callbacks):
    cases.accept(actor=staff(paid_case, StaffRole.WINDOW_CLERK), case=paid_case)
    approver = staff(paid_case, StaffRole.APPROVER)
    review = CaseTask.objects.get(case=paid_case, bpmn_id="review", state=TaskState.READY)
    cases.complete_task(actor=approver, case=paid_case, task=review, data={})

    with django_capture_on_commit_callbacks(execute=True):
        cases.decide(
            actor=approver,
            case=Case.objects.get(pk=paid_case.pk),
            decision=Decision.APPROVE,
            reason="符合条件",
            legal_basis="《行政许可法》第三十八条第一款",
        )

    assert Payment.objects.get(case=paid_case).status == PaymentStatus.PAID
    assert not SandboxTransaction.objects.filter(kind="refund").exists()


def test_a_withdrawn_case_gets_its_fee_back(paid_case, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        cases.withdraw(actor=paid_case.applicant, case=paid_case, reason="不再需要")

    refunded(paid_case)
