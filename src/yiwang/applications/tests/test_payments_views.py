"""Fee pages: who may pay and download the receipt, the sandbox page, the notification endpoint's answers."""

from __future__ import annotations

import base64
import json
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from yiwang.applications.constants import PaymentStatus
from yiwang.applications.models import Payment, PaymentNotification, SandboxPaymentKey
from yiwang.applications.payments.base import PAY, payment_providers
from yiwang.applications.services import payments
from yiwang.catalog.tests.factories import FeeFactory, ImplementationFactory
from yiwang.conftest import login_with_second_factor
from yiwang.core.crypto import canonicalize
from yiwang.core.signing import get_backend
from yiwang.core.signing.platform_keys import active_platform_key
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import MandateFactory, StaffAssignmentFactory, UserFactory

from .factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    implementation = ImplementationFactory(is_free=False)
    FeeFactory(implementation=implementation, name="登记费", amount=Decimal("80.00"))
    return CaseFactory(implementation=implementation)


def pay_url(case) -> str:
    return reverse("applications:pay", kwargs={"number": case.number})


def notify_url(provider: str = "sandbox") -> str:
    return reverse("applications:payment_notify", kwargs={"provider": provider})


def post_notification(client, body: bytes, signature: str, provider: str = "sandbox"):
    return client.post(
        notify_url(provider), data=body, content_type="application/json", HTTP_PAYMENT_SIGNATURE=signature
    )


def signed(payment: Payment, *, amount: Decimal | None = None):
    return payment_providers.get(
        "sandbox"
    ).sign_notification(  # type: ignore[attr-defined]
        notification_id=str(uuid.uuid4()),
        kind=PAY,
        order_number=payment.order_number,
        is_success=True,
        amount=payment.amount if amount is None else amount,
        reference="SBX" + uuid.uuid4().hex[:10].upper(),
        occurred_at=timezone.now(),
    )


def paid(case) -> Payment:
    payment = payments.create_payment(case=case)
    payments.sandbox_settle(actor=case.applicant, order_number=payment.order_number, outcome="paid")
    payment.refresh_from_db()
    return payment


# The applicant pays ---------------------------------------------------------------------------------------


def test_the_applicant_pays_through_the_sandbox_page(client, case):
    client.force_login(case.applicant)

    page = client.get(pay_url(case))
    started = client.post(pay_url(case))
    payment = Payment.objects.get(case=case)
    checkout = client.get(started["Location"])
    done = client.post(started["Location"], {"outcome": "paid"})
    after = client.get(pay_url(case))

    assert page.status_code == 200
    text = page.content.decode()
    assert "沙箱" in text and 'data-testid="sandbox-banner"' in text and "80.00" in text
    assert started.status_code == 302
    assert started["Location"] == reverse("applications:sandbox_checkout", args=[payment.order_number])
    assert checkout.status_code == 200 and 'data-testid="sandbox-banner"' in checkout.content.decode()
    assert done.status_code == 302 and done["Location"] == pay_url(case)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert payment.receipt_number in after.content.decode()
    receipt = client.get(reverse("applications:payment_receipt", args=[case.number, payment.order_number]))
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    assert receipt.content.startswith(b"%PDF")


def test_a_lost_notification_leaves_the_order_pending(client, case):
    client.force_login(case.applicant)
    started = client.post(pay_url(case))

    client.post(started["Location"], {"outcome": "paid_unnotified"})

    assert Payment.objects.get(case=case).status == PaymentStatus.PENDING


def test_an_unknown_outcome_on_the_sandbox_page_is_an_error_message_not_a_500(client, case):
    client.force_login(case.applicant)
    started = client.post(pay_url(case))

    response = client.post(started["Location"], {"outcome": "free-money"}, follow=True)

    assert response.status_code == 200
    assert Payment.objects.get(case=case).status == PaymentStatus.PENDING


# Who may pay and see the receipt ------------------------------------------------------------------------


def _other_citizen(case):
    return UserFactory(level3=True)


def _staff_in_scope(case):
    return StaffAssignmentFactory(
        department=case.department, region=case.region, role=StaffRole.WINDOW_CLERK
    ).user


@pytest.mark.parametrize("who", [_other_citizen, _staff_in_scope])
def test_only_the_applicant_side_may_pay_or_download_the_receipt(client, case, who):
    payment = paid(case)
    user = who(case)
    if user.is_staff_member:
        login_with_second_factor(client, user)
    else:
        client.force_login(user)
    urls = [
        pay_url(case),
        reverse("applications:sandbox_checkout", args=[payment.order_number]),
        reverse("applications:payment_receipt", args=[case.number, payment.order_number]),
    ]

    answers = [client.get(url).status_code for url in urls]
    posted = client.post(pay_url(case)).status_code

    assert answers == [404, 404, 404] and posted == 404


def test_an_agent_with_a_mandate_for_the_holder_may_pay(client):
    mandate = MandateFactory()
    implementation = ImplementationFactory(is_free=False)
    FeeFactory(implementation=implementation, amount=Decimal("20.00"))
    case = CaseFactory(
        implementation=implementation,
        applicant=mandate.agent,
        mandate=mandate,
        applicant_kind="enterprise",
        holder_code=mandate.enterprise.credit_code,
        holder_name=mandate.enterprise.name,
    )
    client.force_login(mandate.agent)

    assert client.get(pay_url(case)).status_code == 200
    assert client.post(pay_url(case)).status_code == 302


def test_anonymous_visitors_are_sent_to_log_in(client, case):
    response = client.get(pay_url(case))

    assert response.status_code == 302 and "login" in response["Location"]


def test_a_receipt_of_another_case_is_not_found(client, case):
    payment = paid(case)
    own = CaseFactory(applicant=case.applicant, implementation=case.implementation)
    client.force_login(case.applicant)

    response = client.get(reverse("applications:payment_receipt", args=[own.number, payment.order_number]))

    assert response.status_code == 404


# The notification endpoint --------------------------------------------------------------------------------


def test_the_endpoint_applies_a_signed_notification_once(client, case):
    payment = payments.create_payment(case=case)
    notification = signed(payment)

    first = post_notification(client, notification.body, notification.signature)
    again = post_notification(client, notification.body, notification.signature)

    assert first.status_code == 200 and first.json() == {
        "code": "paid",
        "replay": False,
        "order_number": payment.order_number,
    }
    assert again.status_code == 200 and again.json()["replay"] is True
    assert PaymentNotification.objects.count() == 1


def _bad_signature(payment):
    notification = signed(payment)
    return notification.body.replace(b"succeeded", b"SUCCEEDED"), notification.signature


def _no_signature(payment):
    return signed(payment).body, ""


def _garbage_signature(payment):
    return signed(payment).body, "%%%not-base64%%%"


def _not_json(payment):
    return b"\xff\xfe not json", base64.b64encode(b"x").decode()


def _signed_but_malformed(payment):
    key = active_platform_key(SandboxPaymentKey, label="payments-sandbox")
    body = canonicalize({"notification_id": "n", "kind": "pay", "key_id": key.key_id, "amount": []})
    return body, base64.b64encode(get_backend(key.backend).sign(key=key, message=body)).decode()


def _wrong_amount(payment):
    notification = signed(payment, amount=Decimal("1.00"))
    return notification.body, notification.signature


def _too_large(payment):
    return b"{" + b" " * 20_000 + b"}", "x"


@pytest.mark.parametrize(
    ("make", "status", "code"),
    [
        (_bad_signature, 403, "bad_signature"),
        (_no_signature, 403, "bad_signature"),
        (_garbage_signature, 403, "bad_signature"),
        (_not_json, 403, "bad_signature"),
        (_signed_but_malformed, 400, "malformed_notification"),
        (_wrong_amount, 409, "amount_mismatch"),
        (_too_large, 400, "body_too_large"),
    ],
)
def test_the_endpoint_refuses_bad_notifications_with_a_code(client, case, make, status, code):
    payment = payments.create_payment(case=case)
    body, signature = make(payment)

    response = post_notification(client, body, signature)

    assert response.status_code == status
    assert response.json()["code"] == code and response.json()["message"]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_the_endpoint_knows_only_registered_providers_and_only_posts(client):
    unknown = post_notification(client, b"{}", "x", provider="nope")
    get = client.get(notify_url())

    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_provider"
    assert get.status_code == 405


def test_the_endpoint_needs_no_csrf_token(case):
    from django.test import Client

    payment = payments.create_payment(case=case)
    notification = signed(payment)
    strict = Client(enforce_csrf_checks=True)

    response = post_notification(strict, notification.body, notification.signature)

    assert response.status_code == 200 and json.loads(response.content)["code"] == "paid"
