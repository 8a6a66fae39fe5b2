"""Fee pages: the applicant's pay page and receipt, the sandbox provider's page, the notification endpoint."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from yiwang.core.errors import DomainError, NotFound

from .. import selectors
from ..constants import PaymentStatus
from ..models import Case
from ..services import payments


def _payer_case(request, number: str) -> Case:
    """The case if the user is on its applicant side (applicant, holder, mandated agent); else 404.

    Staff who may see the case do not pay for the applicant, nor download the applicant's receipt.
    """
    try:
        case = selectors.access_case_by_number(actor=request.user, number=number)
    except NotFound:
        raise Http404(_("未找到该办件")) from None
    if not selectors.is_applicant_side(actor=request.user, case=case):
        raise Http404(_("未找到该办件"))
    return case


def _payer_payment(request, order_number: str):
    try:
        payment = payments.get_payment(order_number=order_number)
    except NotFound:
        raise Http404(_("未找到该缴款单")) from None
    _payer_case(request, payment.case.number)
    return payment


@login_required
@require_http_methods(["GET", "POST"])
def pay_page(request, number: str):
    case = _payer_case(request, number)
    if request.method == "POST":
        try:
            payment = payments.create_payment(case=case, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("applications:pay", number=case.number)
        return redirect(payments.checkout_url(payment=payment))
    quote, quote_error = None, ""
    try:
        quote = payments.fees_for_case(case=case)
    except DomainError as error:
        quote_error = error.message
    case_payments = payments.list_payments_for_case(case=case)
    return render(
        request,
        "applications/payments/pay.html",
        {
            "case": case,
            "quote": quote,
            "quote_error": quote_error,
            "payments": case_payments,
            "pending": next((p for p in case_payments if p.status == PaymentStatus.PENDING), None),
            "is_paid": any(p.status == PaymentStatus.PAID for p in case_payments),
            "provider": payments.provider_summary(),
            "sandbox_orders": {p.order_number for p in case_payments if p.provider == payments.SANDBOX},
        },
    )


@login_required
def receipt_download(request, number: str, order_number: str):
    case = _payer_case(request, number)
    try:
        payment = payments.get_payment(order_number=order_number)
    except NotFound:
        raise Http404(_("未找到该缴款单")) from None
    if payment.case_id != case.pk:
        raise Http404(_("未找到该缴款单"))
    try:
        pdf = payments.receipt_pdf(payment=payment)
    except DomainError:
        raise Http404(_("该缴款单没有电子票据")) from None
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{payment.receipt_number}.pdf"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def sandbox_checkout(request, order_number: str):
    """The sandbox provider's own page: the payer pays, fails, or pays with the notification lost."""
    payment = _payer_payment(request, order_number)
    if payment.provider != payments.SANDBOX:
        raise Http404(_("未找到该缴款单"))
    if request.method == "POST":
        outcome = request.POST.get("outcome", "")
        try:
            result = payments.sandbox_settle(actor=request.user, order_number=order_number, outcome=outcome)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            if result is None:
                messages.warning(request, _("沙箱：已模拟付款，但未发送支付通知（对账时可发现）"))
            elif result.code in ("paid", "already_paid"):
                messages.success(request, _("缴费成功，电子票据已开具"))
            else:
                messages.warning(request, _("缴费未成功，可重新缴费"))
        return redirect("applications:pay", number=payment.case.number)
    return render(
        request,
        "applications/payments/sandbox_checkout.html",
        {
            "payment": payment,
            "provider": payments.provider_summary(provider_id=payments.SANDBOX),
            "outcomes": payments.SANDBOX_OUTCOMES,
        },
    )


def _error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": message}, status=status, json_dumps_params={"ensure_ascii": False}
    )


@csrf_exempt  # a server-to-server POST: the provider's signature, not a session, authenticates it
@require_POST
def notify(request, provider: str):
    """The providers' notification endpoint: signature required; every refusal a JSON error code."""
    try:
        summary = payments.provider_summary(provider_id=provider)
        body = request.body
    except RequestDataTooBig:
        return _error("body_too_large", _("通知过大"), 413)
    except DomainError as error:
        return _error(error.code, error.message, error.status)
    signature = request.headers.get(summary.signature_header, "")
    try:
        result = payments.handle_notification(provider=provider, body=body, signature=signature)
    except DomainError as error:
        return _error(error.code, error.message, error.status)
    return JsonResponse(
        {
            "code": result.code,
            "replay": result.is_replay,
            "order_number": getattr(result.payment, "order_number", ""),
        }
    )


urlpatterns = [
    path("payments/notify/<slug:provider>", notify, name="payment_notify"),
    path("payments/sandbox/<str:order_number>", sandbox_checkout, name="sandbox_checkout"),
    path("<str:number>/pay", pay_page, name="pay"),
    path("<str:number>/payments/<str:order_number>/receipt.pdf", receipt_download, name="payment_receipt"),
]
