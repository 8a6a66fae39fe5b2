"""The sandbox provider (沙箱支付): a stand-in for development and demos that takes no real money.

It plays the provider's side inside the platform: its page lets the payer confirm or fail a payment,
it keeps its own ledger (``SandboxTransaction``, what its daily statement prints) and signs its
notifications with its own SM2 key the way webhook bodies are signed: RFC 8785 canonical JSON, SM2 with
SM3 (user id 1234567812345678) through the configured signing backend, base64 DER in a header.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import secrets
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.applications.models import Payment, SandboxPaymentKey, SandboxTransaction
from yiwang.core.crypto import canonicalize, verify
from yiwang.core.signing import get_backend
from yiwang.core.signing.platform_keys import active_platform_key

from .base import PAY, REFUND, PaymentProvider, ProviderNotification, RefundResult, StatementLine, register

KEY_LABEL = "payments-sandbox"


@dataclass(frozen=True)
class SignedNotification:
    """The exact bytes the sandbox POSTs and the signature header that goes with them."""

    notification_id: str
    body: bytes
    signature: str


def _reference() -> str:
    return "SBX" + secrets.token_hex(10).upper()


def _timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


@register("sandbox")
class SandboxProvider(PaymentProvider):
    is_sandbox = True

    @property
    def name(self) -> str:
        return _("沙箱支付（模拟，不产生真实扣款）")

    def checkout_url(self, *, payment: Payment) -> str:
        return reverse("applications:sandbox_checkout", kwargs={"order_number": payment.order_number})

    # The provider's side -------------------------------------------------------------------------

    def settle(self, *, payment: Payment, is_success: bool) -> SignedNotification:
        """Record the payer's choice in the sandbox's ledger and sign the notification telling us."""
        notification_id = str(uuid.uuid4())
        entry = SandboxTransaction.objects.create(
            kind=PAY,
            order_number=payment.order_number,
            reference=_reference(),
            amount=payment.amount,
            succeeded=is_success,
            notification_id=notification_id,
            at=timezone.now(),
        )
        return self.sign_notification(
            notification_id=notification_id,
            kind=PAY,
            order_number=entry.order_number,
            is_success=is_success,
            amount=entry.amount,
            reference=entry.reference,
            occurred_at=entry.at,
        )

    def sign_notification(
        self,
        *,
        notification_id: str,
        kind: str,
        order_number: str,
        is_success: bool,
        amount: Decimal,
        reference: str,
        occurred_at: dt.datetime,
    ) -> SignedNotification:
        """A notification body as the sandbox sends it, signed with its active key."""
        key = active_platform_key(SandboxPaymentKey, label=KEY_LABEL)
        body = canonicalize(
            {
                "notification_id": notification_id,
                "kind": kind,
                "order_number": order_number,
                "status": "succeeded" if is_success else "failed",
                "amount": f"{amount:.2f}",
                "reference": reference,
                "occurred_at": _timestamp(occurred_at),
                "key_id": key.key_id,
            }
        )
        signature = get_backend(key.backend).sign(key=key, message=body)
        return SignedNotification(notification_id, body, base64.b64encode(signature).decode("ascii"))

    def mark_delivered(self, *, notification_id: str) -> None:
        SandboxTransaction.objects.filter(notification_id=notification_id).update(delivered=True)

    # What the platform asks of a provider ----------------------------------------------------------

    def verify(self, *, body: bytes, signature: str) -> bool:
        try:
            key_id = json.loads(body).get("key_id")
            raw = base64.b64decode(signature, validate=True)
        except (ValueError, AttributeError, binascii.Error):
            return False
        if not isinstance(key_id, str):
            return False
        key = SandboxPaymentKey.objects.filter(key_id=key_id).first()
        if key is None:
            return False
        return verify(public_key=bytes.fromhex(key.public_key), message=body, signature=raw)

    def parse(self, *, body: bytes) -> ProviderNotification:
        try:
            data = json.loads(body)
            kind, status = data["kind"], data["status"]
            if kind not in (PAY, REFUND) or status not in ("succeeded", "failed"):
                raise ValueError("unknown kind or status")
            amount = Decimal(str(data["amount"]))
            if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
                raise ValueError("amount is not in yuan and fen")
            occurred_at = dt.datetime.fromisoformat(data["occurred_at"])
            if occurred_at.tzinfo is None:
                raise ValueError("occurred_at has no time zone")
            fields = [data["notification_id"], data["order_number"], data["reference"]]
            if not all(isinstance(value, str) and 0 < len(value) <= 80 for value in fields):
                raise ValueError("identifiers must be short strings")
        except (KeyError, TypeError, AttributeError, InvalidOperation) as error:
            raise ValueError(str(error)) from error
        return ProviderNotification(
            notification_id=fields[0],
            kind=kind,
            order_number=fields[1],
            is_success=status == "succeeded",
            amount=amount,
            reference=fields[2],
            occurred_at=occurred_at,
        )

    def refund(self, *, payment: Payment) -> RefundResult:
        existing = SandboxTransaction.objects.filter(kind=REFUND, order_number=payment.order_number).first()
        if existing is None:
            try:
                with transaction.atomic():
                    existing = SandboxTransaction.objects.create(
                        kind=REFUND,
                        order_number=payment.order_number,
                        reference=_reference(),
                        amount=payment.amount,
                        delivered=True,  # answered in the reply, no notification needed
                        at=timezone.now(),
                    )
            except IntegrityError:  # a concurrent request refunded it first: the same refund
                existing = SandboxTransaction.objects.get(kind=REFUND, order_number=payment.order_number)
        return RefundResult(reference=existing.reference, is_completed=True, completed_at=existing.at)

    def statement(self, *, day: dt.date) -> list[StatementLine]:
        start, end = _day_bounds(day)
        rows = SandboxTransaction.objects.filter(succeeded=True, at__gte=start, at__lt=end).order_by(
            "at", "pk"
        )
        return [
            StatementLine(
                kind=row.kind,
                order_number=row.order_number,
                reference=row.reference,
                amount=row.amount,
                at=row.at,
            )
            for row in rows
        ]
