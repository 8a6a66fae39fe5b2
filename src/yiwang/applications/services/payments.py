"""Fees (缴费): a case's order, the provider's signed notifications, receipts, refunds, reconciliation.

The provider is a plugin (``applications.payments.base``; setting ``APPLICATIONS_PAYMENT_PROVIDER``,
default the sandbox). A notification is verified, then kept once by (provider, notification id): a
replay answers what the first delivery answered and changes nothing. docs/payments.md has the flows.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, NoReturn

from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.audit.constants import Outcome
from yiwang.audit.services import record_event
from yiwang.catalog.selectors import evaluate_situation
from yiwang.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from yiwang.notifications.services import enqueue_event

from ..constants import CASE_PAID, CASE_REFUNDED, AuditAction, CaseStatus, PaymentStatus
from ..models import Case, CaseEvent, Payment, PaymentNotification
from ..payments import receipts
from ..payments.base import (
    PAY,
    REFUND,
    PaymentProvider,
    ProviderNotification,
    RefundResult,
    StatementLine,
    payment_providers,
)
from ..payments.reconciliation import Mismatch, compare
from ..payments.sandbox import SandboxProvider, SignedNotification

if TYPE_CHECKING:
    from yiwang.identity.models import User

logger = logging.getLogger(__name__)

# Timeline (CaseEvent) kinds.
EVENT_PAYMENT_CREATED = "payment_created"
EVENT_PAID = "paid"
EVENT_PAYMENT_FAILED = "payment_failed"
EVENT_PAYMENT_CANCELLED = "payment_cancelled"
EVENT_REFUND_REQUESTED = "refund_requested"
EVENT_REFUNDED = "refunded"

# A payment is open while it may still be paid, or holds the payer's money.
OPEN_STATUSES = (PaymentStatus.PENDING, PaymentStatus.PAID, PaymentStatus.REFUND_PENDING)
PAID_STATUSES = (PaymentStatus.PAID, PaymentStatus.REFUND_PENDING, PaymentStatus.REFUNDED)
# A case closed without a grant keeps no fee; an approved one may still pay (e.g. 工本费 at delivery).
UNPAYABLE_CASE_STATUSES = (CaseStatus.NOT_ACCEPTED, CaseStatus.REFUSED, CaseStatus.WITHDRAWN)
MAX_NOTIFICATION_BYTES = 16 * 1024
SANDBOX = "sandbox"


# Reads ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeeQuote:
    """What a case's applicant owes: items with amounts and reasons, or why nothing is owed."""

    items: list[dict[str, str]]
    total: Decimal
    waiver_reason: str
    unpriced: list[str]  # fees the guide lists without an amount: cannot be collected online

    @property
    def is_payable_online(self) -> bool:
        return self.total > 0 and not self.unpriced


@dataclass(frozen=True)
class ProviderSummary:
    id: str
    name: str
    is_sandbox: bool
    signature_header: str


def _provider(provider_id: str) -> PaymentProvider:
    if provider_id not in payment_providers.ids():
        raise NotFound(_("没有该支付渠道"), code="unknown_provider")
    return payment_providers.get(provider_id)


def provider_summary(*, provider_id: str | None = None) -> ProviderSummary:
    """The provider ``provider_id`` (default: the configured one) as pages show it."""
    plugin = _provider(provider_id or payment_providers.configured_id())
    return ProviderSummary(plugin.id, plugin.name, plugin.is_sandbox, plugin.signature_header)


def fees_for_case(*, case: Case) -> FeeQuote:
    """The fees of the case's implementation under its situation answers (waivers and added fees)."""
    implementation = case.implementation
    if implementation is None:
        raise InvalidInput(_("一件事的费用由各分项办件分别缴纳"), code="pay_per_part")
    prefetch_related_objects([implementation], "fees", "questions__options__adds_fees")
    situation = evaluate_situation(implementation=implementation, answers=case.situation or {})
    items = [
        {
            "name": need.fee.name,
            "amount": f"{need.fee.amount:.2f}" if need.fee.amount is not None else "",
            "reason": need.reason,
            "basis": need.fee.basis,
        }
        for need in situation.fees
    ]
    return FeeQuote(
        items=items,
        total=situation.total_fee,
        waiver_reason=situation.fee_waiver_reason,
        unpriced=[need.fee.name for need in situation.fees if need.fee.amount is None],
    )


def list_payments_for_case(*, case: Case) -> list[Payment]:
    return list(Payment.objects.filter(case=case).order_by("-created_at", "-pk"))


def get_payment(*, order_number: str) -> Payment:
    """The payment of ``order_number`` with its case; callers gate access through the case."""
    payment = (
        Payment.objects.select_related("case", "case__department", "case__region")
        .filter(order_number=order_number)
        .first()
    )
    if payment is None:
        raise NotFound(_("未找到该缴款单"), code="unknown_order")
    return payment


def checkout_url(*, payment: Payment) -> str:
    return _provider(payment.provider).checkout_url(payment=payment)


def receipt_pdf(*, payment: Payment) -> bytes:
    """The receipt of a paid payment (非税收入电子票据 in form) as PDF bytes."""
    if payment.status not in PAID_STATUSES or not payment.receipt_number:
        raise Conflict(_("该缴款单尚未缴费，没有电子票据"), code="not_paid")
    return receipts.receipt_pdf(payment, is_sandbox=_provider(payment.provider).is_sandbox)


# Timeline and audit --------------------------------------------------------------------------------


def _timeline(case: Case, kind: str, text: str, *, actor: User | None = None) -> None:
    CaseEvent.objects.create(case=case, kind=kind, text=text[:500], actor=actor, department=case.department)


def _audit(action: str, payment: Payment, *, actor: User | None = None, **facts) -> None:
    record_event(
        action=action,
        actor=actor,
        target=payment,
        department=payment.case.department,
        subject=payment.case.holder_code,
        system="" if actor is not None else f"payment-provider:{payment.provider}",
        details={
            "case": payment.case.number,
            "order_number": payment.order_number,
            "amount": f"{payment.amount:.2f}",
            "status": payment.status,
            **facts.pop("details", {}),
        },
        **facts,
    )


# Creating the order --------------------------------------------------------------------------------


def _new_order_number(case: Case) -> str:
    """缴款单号: region (6) + date (8) + 6 random digits = 20 digits, as 非税 payment codes are."""
    return f"{case.region.code[:6]}{timezone.localdate():%Y%m%d}{secrets.randbelow(10**6):06d}"


def _insert_payment(*, case: Case, provider: str, quote: FeeQuote) -> Payment:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Payment.objects.create(
                    case=case,
                    provider=provider,
                    order_number=_new_order_number(case),
                    amount=quote.total,
                    items=quote.items,
                )
        except IntegrityError:
            if Payment.objects.filter(case=case, status__in=OPEN_STATUSES).exists():
                raise Conflict(_("本件已有缴款单"), code="payment_exists") from None
    raise Conflict(_("缴款单号生成失败，请重试"), code="order_number_collision")


@transaction.atomic
def create_payment(*, case: Case, actor: User | None = None) -> Payment:
    """The case's one pending order for its fees (the existing one if there is one)."""
    case = (
        Case.objects.select_for_update(of=("self",), no_key=True)
        .select_related("implementation", "region", "department")
        .get(pk=case.pk)
    )
    current = Payment.objects.filter(case=case, status__in=OPEN_STATUSES).first()
    if current is not None:
        if current.status == PaymentStatus.PENDING:
            return current
        raise Conflict(_("本件费用已缴纳"), code="already_paid")
    if case.status in UNPAYABLE_CASE_STATUSES:
        raise Conflict(_("办件已办结，无需缴费"), code="case_closed")
    quote = fees_for_case(case=case)
    if quote.unpriced:
        raise Conflict(
            _("收费项目“%(names)s”未标明金额，请到窗口缴纳") % {"names": "、".join(quote.unpriced)},
            code="fee_amount_unknown",
        )
    if quote.total <= 0:
        raise Conflict(quote.waiver_reason or _("本件无需缴费"), code="no_fee")
    payment = _insert_payment(case=case, provider=payment_providers.configured_id(), quote=quote)
    payment.case = case
    _timeline(
        case,
        EVENT_PAYMENT_CREATED,
        _("已生成缴款单 %(order)s，应缴 %(amount)s 元")
        % {"order": payment.order_number, "amount": payment.amount},
        actor=actor,
    )
    _audit(AuditAction.PAYMENT_CREATED, payment, actor=actor, details={"provider": payment.provider})
    return payment


# Notifications -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationResult:
    """What handling a notification came to; ``code`` is stable and returned to the provider."""

    code: str
    payment: Payment | None
    is_replay: bool = False


# Outcomes that refuse the notification (the provider gets an error and our records are unchanged).
REFUSALS: dict[str, type[DomainError]] = {"unknown_order": NotFound, "amount_mismatch": Conflict}


def _refusal_message(code: str) -> str:
    return {
        "unknown_order": _("通知中的缴款单不存在"),
        "amount_mismatch": _("通知金额与缴款单金额不符，未入账"),
    }[code]


def _refuse_notification(*, provider: str, error: DomainError, details: dict) -> NoReturn:
    """Audit a notification refused before it could be kept (its own transaction), then raise."""
    with transaction.atomic():
        record_event(
            action=AuditAction.PAYMENT_NOTIFIED,
            outcome=Outcome.REFUSED,
            reason=error.code,
            system=f"payment-provider:{provider}",
            details={"provider": provider, "reason": error.code, **details},
        )
    raise error


def handle_notification(*, provider: str, body: bytes, signature: str) -> NotificationResult:
    """Verify, keep once and apply a provider's notification; refusals raise with a stable code."""
    plugin = _provider(provider)
    if len(body) > MAX_NOTIFICATION_BYTES:
        _refuse_notification(
            provider=provider, error=InvalidInput(_("通知过大"), code="body_too_large"), details={}
        )
    if not signature or not plugin.verify(body=body, signature=signature):
        _refuse_notification(
            provider=provider,
            error=PermissionDenied(_("通知签名无效"), code="bad_signature"),
            details={"bytes": len(body)},
        )
    try:
        note = plugin.parse(body=body)
        stored_body = json.loads(body)
    except ValueError as error:
        _refuse_notification(
            provider=provider,
            error=InvalidInput(_("通知格式不正确"), code="malformed_notification"),
            details={"problem": str(error)[:200]},
        )
    result = _apply_notification(provider=provider, note=note, body=stored_body)
    if result.code in REFUSALS:
        raise REFUSALS[result.code](_refusal_message(result.code), code=result.code)
    return result


@transaction.atomic
def _apply_notification(*, provider: str, note: ProviderNotification, body: dict) -> NotificationResult:
    kept = PaymentNotification.objects.filter(provider=provider, notification_id=note.notification_id).first()
    if kept is None:
        try:
            with transaction.atomic():
                kept = PaymentNotification.objects.create(
                    provider=provider, notification_id=note.notification_id, body=body, signature_valid=True
                )
        except IntegrityError:  # the same notification delivered twice at once: the other one handles it
            kept = PaymentNotification.objects.get(provider=provider, notification_id=note.notification_id)
        else:
            return _first_delivery(kept, provider=provider, note=note)
    return NotificationResult(code=kept.outcome, payment=kept.payment, is_replay=True)


def _first_delivery(
    kept: PaymentNotification, *, provider: str, note: ProviderNotification
) -> NotificationResult:
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("case", "case__department", "case__region")
        .filter(provider=provider, order_number=note.order_number)
        .first()
    )
    if payment is None:
        code = "unknown_order"
    elif note.amount != payment.amount:
        code = "amount_mismatch"
    elif note.kind == PAY:
        code = _apply_payment(payment, note)
    else:
        code = _apply_refund(payment, note)
    kept.payment, kept.outcome = payment, code
    kept.save(update_fields=["payment", "outcome"])
    details = {
        "provider": provider,
        "notification_id": note.notification_id,
        "kind": note.kind,
        "outcome": code,
        "amount": f"{note.amount:.2f}",
        "reference": note.reference,
    }
    if payment is None:
        record_event(
            action=AuditAction.PAYMENT_NOTIFIED,
            outcome=Outcome.REFUSED,
            reason=code,
            system=f"payment-provider:{provider}",
            details={**details, "order_number": note.order_number[:40]},
        )
    else:
        _audit(
            AuditAction.PAYMENT_NOTIFIED,
            payment,
            outcome=Outcome.REFUSED if code in REFUSALS else Outcome.ALLOWED,
            reason=code,
            details=details,
        )
    return NotificationResult(code=code, payment=payment)


def _apply_payment(payment: Payment, note: ProviderNotification) -> str:
    if not note.is_success:
        if payment.status != PaymentStatus.PENDING:
            return "ignored"
        _timeline(payment.case, EVENT_PAYMENT_FAILED, _("缴费未成功，可重新缴费"))
        return "payment_failed"
    if payment.status in PAID_STATUSES:
        # The same payment told twice (another notification id), or the payer paid twice: the latter is
        # for reconciliation to find and the department to give back.
        return "already_paid" if note.reference == payment.provider_reference else "duplicate_payment"
    was_cancelled = payment.status == PaymentStatus.CANCELLED
    _mark_paid(payment, note)
    if was_cancelled:  # paid while the case closed without a grant: the money goes straight back
        _request_refund(payment, actor=None, reason=_("缴费时办件已办结"))
        return "paid_then_refunded"
    return "paid"


def _mark_paid(payment: Payment, note: ProviderNotification) -> None:
    payment.status = PaymentStatus.PAID
    payment.paid_at = note.occurred_at  # the provider's time: reconciliation compares the same days
    payment.provider_reference = note.reference
    payment.receipt_number = receipts.receipt_number(payment)
    payment.receipt_check_code = receipts.new_check_code()
    payment.save(
        update_fields=["status", "paid_at", "provider_reference", "receipt_number", "receipt_check_code"]
    )
    case = payment.case
    _timeline(
        case,
        EVENT_PAID,
        _("已缴费 %(amount)s 元，电子票据号码 %(receipt)s")
        % {"amount": payment.amount, "receipt": payment.receipt_number},
    )
    enqueue_event(
        topic=CASE_PAID,
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"yiwang:case.paid:{payment.order_number}"),
        payload={
            "number": case.number,
            "order_number": payment.order_number,
            "amount": f"{payment.amount:.2f}",
            "receipt_number": payment.receipt_number,
            "paid_at": payment.paid_at.isoformat() if payment.paid_at else "",
        },
    )


def _apply_refund(payment: Payment, note: ProviderNotification) -> str:
    """A provider that refunds later tells us so in a REFUND notification."""
    if payment.status == PaymentStatus.REFUNDED:
        return "already_refunded"
    if payment.status != PaymentStatus.REFUND_PENDING:
        return "ignored"
    if not note.is_success:
        return "refund_failed"  # stays pending: reconcile_payments --retry-refunds asks again
    _mark_refunded(payment, reference=note.reference, at=note.occurred_at, actor=None)
    return "refunded"


# Refunds -------------------------------------------------------------------------------------------


def _request_refund(payment: Payment, *, actor: User | None, reason: str) -> None:
    payment.status = PaymentStatus.REFUND_PENDING
    payment.save(update_fields=["status"])
    _timeline(
        payment.case,
        EVENT_REFUND_REQUESTED,
        _("已申请退还已缴费用 %(amount)s 元") % {"amount": payment.amount},
        actor=actor,
    )
    _audit(AuditAction.REFUND_REQUESTED, payment, actor=actor, details={"reason": reason[:200]})
    payment_id = payment.pk
    transaction.on_commit(lambda: send_refunds(payment_ids=[payment_id]))


@transaction.atomic
def refund_for_case(*, case: Case, actor: User | None = None, reason: str = "") -> list[Payment]:
    """Give back what the case's applicant paid and cancel an unpaid order (on refusal, withdrawal…).

    Runs in the caller's transaction; the provider is asked once it commits (``send_refunds``), and
    ``reconcile_payments --retry-refunds`` asks again for any refund still pending.
    """
    touched = []
    payments = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("case", "case__department")
        .filter(case=case, status__in=(PaymentStatus.PENDING, PaymentStatus.PAID))
    )
    for payment in payments:
        if payment.status == PaymentStatus.PENDING:
            payment.status = PaymentStatus.CANCELLED
            payment.save(update_fields=["status"])
            _timeline(
                case, EVENT_PAYMENT_CANCELLED, _("缴款单 %(order)s 已取消") % {"order": payment.order_number}
            )
            _audit(AuditAction.PAYMENT_CANCELLED, payment, actor=actor, details={"reason": reason[:200]})
        else:
            _request_refund(payment, actor=actor, reason=reason)
        touched.append(payment)
    return touched


def _mark_refunded(payment: Payment, *, reference: str, at: dt.datetime, actor: User | None) -> None:
    payment.status = PaymentStatus.REFUNDED
    payment.refund_reference = reference
    payment.refunded_at = at
    payment.save(update_fields=["status", "refund_reference", "refunded_at"])
    case = payment.case
    _timeline(case, EVENT_REFUNDED, _("已退还费用 %(amount)s 元") % {"amount": payment.amount})
    enqueue_event(
        topic=CASE_REFUNDED,
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"yiwang:case.refunded:{payment.order_number}"),
        payload={
            "number": case.number,
            "order_number": payment.order_number,
            "amount": f"{payment.amount:.2f}",
            "refunded_at": at.isoformat(),
        },
    )
    _audit(AuditAction.PAYMENT_REFUNDED, payment, actor=actor, details={"reference": reference})


@transaction.atomic
def _complete_refund(*, payment_id: int, result: RefundResult) -> None:
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("case", "case__department")
        .get(pk=payment_id)
    )
    if payment.status == PaymentStatus.REFUND_PENDING:
        at = result.completed_at or timezone.now()
        _mark_refunded(payment, reference=result.reference, at=at, actor=None)


def send_refunds(*, payment_ids: list[int] | None = None) -> int:
    """Ask the providers for pending refunds (all, or of ``payment_ids``); returns how many completed."""
    pending = Payment.objects.filter(status=PaymentStatus.REFUND_PENDING)
    if payment_ids is not None:
        pending = pending.filter(pk__in=payment_ids)
    completed = 0
    for payment in pending.order_by("pk"):
        try:
            # The provider is asked outside any transaction: no row stays locked while it answers.
            result = _provider(payment.provider).refund(payment=payment)
        except Exception:  # a provider down must not undo the refusal: the refund stays pending
            logger.exception("refund of %s failed; it stays pending", payment.order_number)
            continue
        if result.is_completed:
            _complete_refund(payment_id=payment.pk, result=result)
            completed += 1
    return completed


# The sandbox provider's page -----------------------------------------------------------------------

SANDBOX_OUTCOMES = ("paid", "failed", "paid_unnotified")


def _sandbox() -> SandboxProvider:
    plugin = _provider(SANDBOX)
    if not isinstance(plugin, SandboxProvider):  # another plugin registered under the sandbox's id
        raise NotFound(_("沙箱支付不可用"), code="sandbox_unavailable")
    return plugin


@transaction.atomic
def _sandbox_settle(*, actor: User, order_number: str, is_success: bool) -> SignedNotification:
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("case", "case__department")
        .filter(order_number=order_number, provider=SANDBOX)
        .first()
    )
    if payment is None:
        raise NotFound(_("未找到该缴款单"), code="unknown_order")
    if payment.status != PaymentStatus.PENDING:
        raise Conflict(_("该缴款单不是待缴费状态"), code="order_not_pending")
    signed = _sandbox().settle(payment=payment, is_success=is_success)
    _audit(
        AuditAction.SANDBOX_PAYMENT_SETTLED,
        payment,
        actor=actor,
        details={"paid": is_success, "sandbox": True},
    )
    return signed


def sandbox_settle(*, actor: User, order_number: str, outcome: str) -> NotificationResult | None:
    """The payer's choice on the sandbox page, then its signed notification delivered to us.

    Delivered in-process to ``handle_notification``, exactly what the endpoint calls with the same
    bytes (a development server may serve one request at a time, so it does not POST to itself).
    ``paid_unnotified`` pays without notifying: a lost notification for reconciliation to find.
    """
    if outcome not in SANDBOX_OUTCOMES:
        raise InvalidInput(_("未知的沙箱支付结果"), code="unknown_outcome")
    signed = _sandbox_settle(actor=actor, order_number=order_number, is_success=outcome != "failed")
    if outcome == "paid_unnotified":
        return None
    result = handle_notification(provider=SANDBOX, body=signed.body, signature=signed.signature)
    _sandbox().mark_delivered(notification_id=signed.notification_id)
    return result


# Reconciliation ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReconciliationReport:
    provider: str
    day: dt.date
    matched: int
    mismatches: list[Mismatch]


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


def _our_lines(*, provider: str, day: dt.date) -> list[StatementLine]:
    start, end = _day_bounds(day)
    ours = Payment.objects.filter(provider=provider)
    lines = [
        StatementLine(PAY, p.order_number, p.provider_reference, p.amount, p.paid_at)
        for p in ours.filter(status__in=PAID_STATUSES, paid_at__gte=start, paid_at__lt=end)
        if p.paid_at is not None
    ]
    lines += [
        StatementLine(REFUND, p.order_number, p.refund_reference, p.amount, p.refunded_at)
        for p in ours.filter(status=PaymentStatus.REFUNDED, refunded_at__gte=start, refunded_at__lt=end)
        if p.refunded_at is not None
    ]
    return lines


@transaction.atomic
def reconcile(*, provider: str, day: dt.date, actor: User | None = None) -> ReconciliationReport:
    """Compare the provider's statement of ``day`` with what we recorded; report (and audit) what differs."""
    plugin = _provider(provider)
    comparison = compare(ours=_our_lines(provider=provider, day=day), theirs=plugin.statement(day=day))
    report = ReconciliationReport(provider, day, comparison.matched, comparison.mismatches)
    record_event(
        action=AuditAction.PAYMENTS_RECONCILED,
        actor=actor,
        system="" if actor is not None else "reconcile_payments",
        object_type="applications.payment",
        object_id=f"{provider}:{day.isoformat()}",
        details={
            "provider": provider,
            "day": day.isoformat(),
            "matched": report.matched,
            "mismatches": [m.as_dict() for m in report.mismatches[:100]],
            "mismatch_count": len(report.mismatches),
        },
    )
    return report
