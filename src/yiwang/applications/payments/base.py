"""The payment-provider contract and its registry (``APPLICATIONS_PAYMENT_PROVIDER``, default "sandbox").

A provider takes the payer to its own page (``checkout_url``), tells us the outcome in a signed
notification POSTed to ``/cases/payments/notify/<provider id>``, refunds on request and prints a daily
statement we reconcile against. A real provider (a 非税收入 collection platform, a bank) is one more
module registering a subclass under its own id.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from yiwang.core.registry import Registry

if TYPE_CHECKING:
    from yiwang.applications.models import Payment

PAY = "pay"
REFUND = "refund"


@dataclass(frozen=True)
class ProviderNotification:
    """What a notification says, once its signature is verified and its body parsed."""

    notification_id: str
    kind: str  # PAY or REFUND
    order_number: str
    is_success: bool
    amount: Decimal
    reference: str  # the provider's transaction id (渠道流水号)
    occurred_at: dt.datetime


@dataclass(frozen=True)
class RefundResult:
    reference: str
    is_completed: bool  # False: the provider confirms later (a REFUND notification)
    completed_at: dt.datetime | None = None  # the provider's time, as its statement prints it


@dataclass(frozen=True)
class StatementLine:
    """One settled transaction on the provider's daily statement (对账单)."""

    kind: str
    order_number: str
    reference: str
    amount: Decimal
    at: dt.datetime


class PaymentProvider(ABC):
    """One way to collect fees; instances are shared, so they hold no per-request state."""

    id: str = ""
    #: A sandbox takes no real money: every page it touches says so.
    is_sandbox = False
    #: The HTTP header carrying the notification's signature.
    signature_header = "Payment-Signature"

    @property
    @abstractmethod
    def name(self) -> str:
        """The provider's name as payers see it."""

    @abstractmethod
    def checkout_url(self, *, payment: Payment) -> str:
        """Where the payer goes to pay ``payment`` (the provider's page)."""

    @abstractmethod
    def verify(self, *, body: bytes, signature: str) -> bool:
        """Whether ``signature`` is the provider's signature of exactly these bytes."""

    @abstractmethod
    def parse(self, *, body: bytes) -> ProviderNotification:
        """The notification in a verified body; ``ValueError`` when it is not one."""

    @abstractmethod
    def refund(self, *, payment: Payment) -> RefundResult:
        """Ask for the whole of ``payment`` back; idempotent by its order number."""

    @abstractmethod
    def statement(self, *, day: dt.date) -> list[StatementLine]:
        """The transactions the provider settled on ``day`` (Asia/Shanghai)."""


payment_providers: Registry[PaymentProvider] = Registry(
    "applications-payment-providers",
    setting="APPLICATIONS_PAYMENT_PROVIDER",
    default="sandbox",
    modules=("yiwang.applications.payments.sandbox",),
)
register = payment_providers.register
