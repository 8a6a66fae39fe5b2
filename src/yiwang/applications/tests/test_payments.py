"""Fees: the order from the catalog's fees and situation waivers, signed notifications kept once,
receipts, refunds on refusal, reconciliation with the provider's statement, the registry's check."""

from __future__ import annotations

import base64
import datetime as dt
import threading
import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from yiwang.applications.constants import CASE_PAID, CASE_REFUNDED, AuditAction, CaseStatus, PaymentStatus
from yiwang.applications.models import CaseEvent, Payment, PaymentNotification, SandboxTransaction
from yiwang.applications.payments.base import PAY, payment_providers
from yiwang.applications.payments.receipts import amount_in_words, split_receipt_number
from yiwang.applications.payments.sandbox import SandboxProvider
from yiwang.applications.services import payments
from yiwang.audit.constants import Outcome
from yiwang.audit.models import AuditEntry
from yiwang.catalog.tests.factories import (
    FeeFactory,
    ImplementationFactory,
    SituationOptionFactory,
    SituationQuestionFactory,
)
from yiwang.core.checks import check_configured_plugins
from yiwang.core.crypto import canonicalize
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.core.registry import registries
from yiwang.notifications.models import OutboxEvent

from .factories import CaseFactory
from .pdf_text import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def implementation():
    """登记费 80 + 工本费 10; 小微企业 waives both; a second certificate adds 10 even when waived."""
    implementation = ImplementationFactory(is_free=False)
    FeeFactory(implementation=implementation, name="登记费", amount=Decimal("80.00"), order=1)
    FeeFactory(implementation=implementation, name="证书工本费", amount=Decimal("10.00"), order=2)
    extra = FeeFactory(
        implementation=implementation,
        name="每增加一本证书加收",
        amount=Decimal("10.00"),
        by_situation=True,
        order=3,
    )
    kind = SituationQuestionFactory(implementation=implementation, code="kind", text="申请人类型？")
    SituationOptionFactory(question=kind, code="small", label="小微企业", waiving=True)
    SituationOptionFactory(question=kind, code="other", label="其他")
    copies = SituationQuestionFactory(implementation=implementation, code="copies", text="需要几本证书？")
    SituationOptionFactory(question=copies, code="one", label="一本")
    SituationOptionFactory(question=copies, code="two", label="两本", adds_fees=[extra])
    return implementation


@pytest.fixture
def case(implementation):
    return CaseFactory(implementation=implementation, situation={"kind": "other", "copies": "one"})


def sandbox() -> SandboxProvider:
    provider = payment_providers.get("sandbox")
    assert isinstance(provider, SandboxProvider)
    return provider


def signed(payment: Payment, *, amount: Decimal | None = None, is_success: bool = True, reference: str = ""):
    """A notification the sandbox could have sent about ``payment`` (a fresh notification id)."""
    return sandbox().sign_notification(
        notification_id=str(uuid.uuid4()),
        kind=PAY,
        order_number=payment.order_number,
        is_success=is_success,
        amount=payment.amount if amount is None else amount,
        reference=reference or f"SBX{uuid.uuid4().hex[:12].upper()}",
        occurred_at=timezone.now(),
    )


def settle(payment: Payment, outcome: str = "paid"):
    """The payer's choice on the sandbox page."""
    return payments.sandbox_settle(
        actor=payment.case.applicant, order_number=payment.order_number, outcome=outcome
    )


def deliver(notification):
    return payments.handle_notification(
        provider="sandbox", body=notification.body, signature=notification.signature
    )


# Fees from the catalog ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("situation", "total", "waived"),
    [
        ({"kind": "other", "copies": "one"}, Decimal("90.00"), False),
        ({"kind": "other", "copies": "two"}, Decimal("100.00"), False),
        ({"kind": "small", "copies": "one"}, Decimal("0"), True),
        # The waiver covers the standard fees; a fee another answer adds is still charged.
        ({"kind": "small", "copies": "two"}, Decimal("10.00"), True),
    ],
)
def test_fees_follow_the_situation_answers(implementation, situation, total, waived):
    quote = payments.fees_for_case(case=CaseFactory(implementation=implementation, situation=situation))

    assert quote.total == total
    assert bool(quote.waiver_reason) is waived
    assert quote.unpriced == []


def test_the_order_holds_the_fee_items_and_is_created_once(case):
    payment = payments.create_payment(case=case, actor=case.applicant)
    again = payments.create_payment(case=case, actor=case.applicant)

    assert again.pk == payment.pk
    assert payment.amount == Decimal("90.00")
    assert [item["name"] for item in payment.items] == ["登记费", "证书工本费"]
    assert payment.status == PaymentStatus.PENDING and payment.provider == "sandbox"
    assert len(payment.order_number) == 20 and payment.order_number.isdigit()
    assert CaseEvent.objects.filter(case=case, kind="payment_created").count() == 1
    assert (
        AuditEntry.objects.filter(action=AuditAction.PAYMENT_CREATED, object_id=str(payment.pk)).count() == 1
    )


def test_a_waived_case_has_nothing_to_pay(implementation):
    waived = CaseFactory(implementation=implementation, situation={"kind": "small", "copies": "one"})

    with pytest.raises(Conflict) as refused:
        payments.create_payment(case=waived)

    assert refused.value.code == "no_fee"
    assert not Payment.objects.filter(case=waived).exists()


def test_a_fee_without_an_amount_is_not_collected_online(case, implementation):
    FeeFactory(implementation=implementation, name="测绘费", amount=None)

    with pytest.raises(Conflict) as refused:
        payments.create_payment(case=case)

    assert refused.value.code == "fee_amount_unknown"


def test_a_case_closed_without_a_grant_takes_no_payment(case):
    case.status = CaseStatus.REFUSED
    case.save()

    with pytest.raises(Conflict) as refused:
        payments.create_payment(case=case)

    assert refused.value.code == "case_closed"


def test_a_bundle_parent_pays_through_its_parts(case):
    case.implementation = None
    case.save()

    with pytest.raises(InvalidInput) as refused:
        payments.fees_for_case(case=case)

    assert refused.value.code == "pay_per_part"


# Notifications -----------------------------------------------------------------------------------------


def test_the_sandbox_payment_marks_the_order_paid_with_a_receipt(case):
    payment = payments.create_payment(case=case)

    result = settle(payment)

    payment.refresh_from_db()
    assert result is not None and result.code == "paid" and not result.is_replay
    assert payment.status == PaymentStatus.PAID and payment.paid_at is not None
    code, serial = split_receipt_number(payment.receipt_number)
    assert code == f"{case.region.code[:6]}{timezone.localdate(payment.paid_at).year % 100:02d}"
    assert serial == f"{payment.pk:010d}"
    assert len(payment.receipt_check_code) == 6 and payment.receipt_check_code.isdigit()
    assert payment.provider_reference.startswith("SBX")
    event = OutboxEvent.objects.get(topic=CASE_PAID)
    assert event.payload["number"] == case.number and event.payload["amount"] == "90.00"
    assert CaseEvent.objects.filter(case=case, kind="paid").count() == 1
    entry = AuditEntry.objects.get(action=AuditAction.PAYMENT_NOTIFIED)
    assert entry.outcome == Outcome.ALLOWED and entry.details["outcome"] == "paid"
    assert SandboxTransaction.objects.get(order_number=payment.order_number).delivered


def test_a_notification_with_a_bad_signature_is_refused_and_changes_nothing(case):
    payment = payments.create_payment(case=case)
    notification = signed(payment)
    forged = notification.body.replace(b'"succeeded"', b'"succeeded" ')

    with pytest.raises(PermissionDenied) as refused:
        payments.handle_notification(provider="sandbox", body=forged, signature=notification.signature)
    with pytest.raises(PermissionDenied):
        payments.handle_notification(provider="sandbox", body=notification.body, signature="")
    with pytest.raises(PermissionDenied):
        payments.handle_notification(
            provider="sandbox", body=notification.body, signature=base64.b64encode(b"\x30\x00").decode()
        )

    assert refused.value.code == "bad_signature"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert not PaymentNotification.objects.exists()
    refusals = AuditEntry.objects.filter(action=AuditAction.PAYMENT_NOTIFIED, outcome=Outcome.REFUSED)
    assert refusals.count() == 3 and {e.reason for e in refusals} == {"bad_signature"}


def test_a_replayed_notification_is_processed_once(case):
    payment = payments.create_payment(case=case)
    notification = signed(payment)

    first = deliver(notification)
    second = deliver(notification)

    assert (first.code, first.is_replay) == ("paid", False)
    assert (second.code, second.is_replay) == ("paid", True)
    assert PaymentNotification.objects.filter(notification_id=notification.notification_id).count() == 1
    assert OutboxEvent.objects.filter(topic=CASE_PAID).count() == 1
    assert CaseEvent.objects.filter(case=case, kind="paid").count() == 1
    assert AuditEntry.objects.filter(action=AuditAction.PAYMENT_NOTIFIED).count() == 1


def test_another_notification_of_the_same_payment_changes_nothing(case):
    payment = payments.create_payment(case=case)
    deliver(signed(payment, reference="SBXSAME"))
    payment.refresh_from_db()
    receipt = payment.receipt_number

    again = deliver(signed(payment, reference="SBXSAME"))
    twice = deliver(signed(payment, reference="SBXOTHER"))

    payment.refresh_from_db()
    assert again.code == "already_paid" and twice.code == "duplicate_payment"
    assert payment.receipt_number == receipt and payment.provider_reference == "SBXSAME"
    assert OutboxEvent.objects.filter(topic=CASE_PAID).count() == 1


def test_an_amount_that_does_not_match_is_refused(case):
    payment = payments.create_payment(case=case)
    notification = signed(payment, amount=Decimal("0.01"))

    with pytest.raises(Conflict) as refused:
        deliver(notification)
    with pytest.raises(Conflict) as replayed:
        deliver(notification)

    assert refused.value.code == replayed.value.code == "amount_mismatch"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and not payment.receipt_number
    kept = PaymentNotification.objects.get(notification_id=notification.notification_id)
    assert kept.outcome == "amount_mismatch" and kept.payment == payment
    assert not OutboxEvent.objects.filter(topic=CASE_PAID).exists()
    entry = AuditEntry.objects.get(action=AuditAction.PAYMENT_NOTIFIED)
    assert entry.outcome == Outcome.REFUSED and entry.reason == "amount_mismatch"


def test_a_notification_of_an_unknown_order_is_refused(case):
    payment = payments.create_payment(case=case)
    notification = sandbox().sign_notification(
        notification_id="n-1",
        kind=PAY,
        order_number="00000000000000000000",
        is_success=True,
        amount=payment.amount,
        reference="SBX1",
        occurred_at=timezone.now(),
    )

    with pytest.raises(NotFound) as refused:
        deliver(notification)

    assert refused.value.code == "unknown_order"


def test_a_signed_but_malformed_notification_is_refused(case):
    from yiwang.applications.models import SandboxPaymentKey
    from yiwang.core.signing import get_backend
    from yiwang.core.signing.platform_keys import active_platform_key

    key = active_platform_key(SandboxPaymentKey, label="payments-sandbox")
    body = canonicalize({"notification_id": "n-2", "kind": PAY, "key_id": key.key_id, "amount": "1e400"})
    signature = base64.b64encode(get_backend(key.backend).sign(key=key, message=body)).decode()

    with pytest.raises(InvalidInput) as refused:
        payments.handle_notification(provider="sandbox", body=body, signature=signature)

    assert refused.value.code == "malformed_notification"


def test_an_unknown_provider_is_not_found():
    with pytest.raises(NotFound) as refused:
        payments.handle_notification(provider="nope", body=b"{}", signature="x")

    assert refused.value.code == "unknown_provider"


def test_a_failed_payment_leaves_the_order_to_pay_again(case):
    payment = payments.create_payment(case=case)

    result = settle(payment, "failed")

    payment.refresh_from_db()
    assert result is not None and result.code == "payment_failed"
    assert payment.status == PaymentStatus.PENDING
    assert payments.create_payment(case=case).pk == payment.pk
    assert CaseEvent.objects.filter(case=case, kind="payment_failed").exists()


# Receipt ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("90.00", "玖拾元整"),
        ("10.00", "壹拾元整"),
        ("100.50", "壹佰元伍角"),
        ("1005.07", "壹仟零伍元零柒分"),
        ("100500.00", "壹拾万零伍佰元整"),
        ("1000000.00", "壹佰万元整"),
        ("100000001.00", "壹亿零壹元整"),
        ("0.05", "伍分"),
        ("0.00", "零元整"),
    ],
)
def test_amounts_in_capitals(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_the_receipt_pdf_prints_the_receipt_and_says_sandbox(case):
    payment = payments.create_payment(case=case)
    settle(payment)
    payment.refresh_from_db()

    text = pdf_text(payments.receipt_pdf(payment=payment))

    assert "非税收入电子票据" in text and "沙箱" in text
    code, serial = split_receipt_number(payment.receipt_number)
    for printed in (code, serial, payment.receipt_check_code, "玖拾元整", "登记费", case.department.name):
        assert printed in text
    assert case.holder_code not in text  # a person's ID number is masked on paper


def test_an_unpaid_order_has_no_receipt(case):
    payment = payments.create_payment(case=case)

    with pytest.raises(Conflict):
        payments.receipt_pdf(payment=payment)


# Refunds ------------------------------------------------------------------------------------------------


def test_refusal_refunds_what_was_paid(case, django_capture_on_commit_callbacks):
    payment = payments.create_payment(case=case)
    settle(payment)
    case.status = CaseStatus.REFUSED
    case.save()

    with django_capture_on_commit_callbacks(execute=True):
        touched = payments.refund_for_case(case=case, reason="不予许可")

    payment.refresh_from_db()
    assert [p.pk for p in touched] == [payment.pk]
    assert payment.status == PaymentStatus.REFUNDED and payment.refund_reference.startswith("SBX")
    refund = SandboxTransaction.objects.get(order_number=payment.order_number, kind="refund")
    assert refund.amount == payment.amount and payment.refunded_at == refund.at
    assert OutboxEvent.objects.get(topic=CASE_REFUNDED).payload["order_number"] == payment.order_number
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds[-2:] == ["refund_requested", "refunded"]
    assert AuditEntry.objects.filter(action=AuditAction.PAYMENT_REFUNDED).count() == 1
    # Asking again neither refunds twice nor fails.
    with django_capture_on_commit_callbacks(execute=True):
        assert payments.refund_for_case(case=case) == []
    assert payments.send_refunds() == 0
    assert SandboxTransaction.objects.filter(kind="refund").count() == 1


def test_refusal_cancels_an_unpaid_order_and_a_late_payment_goes_back(
    case, django_capture_on_commit_callbacks
):
    payment = payments.create_payment(case=case)
    notification = signed(payment)
    case.status = CaseStatus.REFUSED
    case.save()
    payments.refund_for_case(case=case)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED

    with django_capture_on_commit_callbacks(execute=True):
        result = deliver(notification)  # the payer paid just before the refusal

    payment.refresh_from_db()
    assert result.code == "paid_then_refunded"
    assert payment.status == PaymentStatus.REFUNDED


def test_a_refund_the_provider_could_not_make_stays_pending_for_the_command(
    case, django_capture_on_commit_callbacks, monkeypatch
):
    payment = payments.create_payment(case=case)
    settle(payment)

    def down(self, *, payment):
        raise ConnectionError("provider down")

    monkeypatch.setattr(SandboxProvider, "refund", down)
    with django_capture_on_commit_callbacks(execute=True):
        payments.refund_for_case(case=case)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUND_PENDING

    monkeypatch.undo()
    call_command("reconcile_payments", "--retry-refunds", "--day", "2020-01-01")

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED


# Reconciliation -----------------------------------------------------------------------------------------


def test_reconciliation_finds_a_lost_notification(implementation, case):
    notified = payments.create_payment(case=case)
    settle(notified)
    lost_case = CaseFactory(implementation=implementation, situation={"kind": "other", "copies": "two"})
    lost = payments.create_payment(case=lost_case)
    settle(lost, "paid_unnotified")

    report = payments.reconcile(provider="sandbox", day=timezone.localdate())

    assert report.matched == 1
    assert [(m.code, m.order_number, m.theirs) for m in report.mismatches] == [
        ("not_recorded", lost.order_number, Decimal("100.00"))
    ]
    entry = AuditEntry.objects.get(action=AuditAction.PAYMENTS_RECONCILED)
    assert entry.details["mismatch_count"] == 1


def test_reconciliation_finds_what_the_statement_lacks_and_amounts_that_differ(case, implementation):
    payment = payments.create_payment(case=case)
    settle(payment)
    SandboxTransaction.objects.filter(order_number=payment.order_number).update(amount=Decimal("9.00"))
    other_case = CaseFactory(implementation=implementation)
    other = payments.create_payment(case=other_case)
    deliver(signed(other))  # we recorded it; the sandbox's ledger never saw it

    report = payments.reconcile(provider="sandbox", day=timezone.localdate())

    assert report.matched == 0
    assert sorted((m.code, m.order_number) for m in report.mismatches) == sorted(
        [("amount_differs", payment.order_number), ("not_on_statement", other.order_number)]
    )


def test_the_reconcile_command_reports_mismatches_and_fails(case, capsys):
    payment = payments.create_payment(case=case)
    settle(payment, "paid_unnotified")

    with pytest.raises(CommandError, match="1 mismatch"):
        call_command("reconcile_payments", "--day", timezone.localdate().isoformat())

    out = capsys.readouterr().out
    assert "not_recorded" in out and payment.order_number in out


def test_the_reconcile_command_passes_on_a_quiet_day(capsys):
    call_command("reconcile_payments", "--day", (timezone.localdate() - dt.timedelta(days=400)).isoformat())

    assert "0 matched" in capsys.readouterr().out


# The registry -------------------------------------------------------------------------------------------


def test_the_start_up_check_covers_the_payment_provider_setting():
    assert "applications-payment-providers" in {registry.kind for registry in registries()}
    with override_settings(APPLICATIONS_PAYMENT_PROVIDER="no-such-provider"):
        errors = check_configured_plugins()

    assert [e.id for e in errors] == ["yiwang.E001"]
    assert "applications-payment-providers" in errors[0].msg


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_the_same_notification_delivered_twice_at_once_is_processed_once(implementation):
    payment = payments.create_payment(case=CaseFactory(implementation=implementation))
    notification = signed(payment)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def provider_delivers():
        try:
            barrier.wait()
            results.append(deliver(notification))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=provider_delivers) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(result.is_replay for result in results) == [False, True]
    assert {result.code for result in results} == {"paid"}
    assert PaymentNotification.objects.count() == 1
    assert OutboxEvent.objects.filter(topic=CASE_PAID).count() == 1


def test_the_sandbox_in_production_is_a_start_up_warning():
    from yiwang.applications.payments.checks import check_sandbox_payments

    with override_settings(IS_PRODUCTION=True):
        warnings = check_sandbox_payments()
    with override_settings(IS_PRODUCTION=False):
        quiet = check_sandbox_payments()

    assert [w.id for w in warnings] == ["yiwang.W002"] and "沙箱" in warnings[0].msg
    assert quiet == []
