"""The SMS backend registry: ``@register("id")`` on a class with ``send(phone=, message=)``.

A ``yiwang.core.registry.Registry``: a duplicate id is refused, and an unknown
``IDENTITY_SMS_BACKEND`` fails the start-up system check.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from yiwang.core.registry import Registry


class SmsBackend(ABC):
    @abstractmethod
    def send(self, *, phone: str, message: str) -> None:
        """Deliver one text message or raise."""


sms_backends: Registry[SmsBackend] = Registry(
    "sms", setting="IDENTITY_SMS_BACKEND", default="console", modules=("yiwang.identity.sms.backends",)
)
register = sms_backends.register


def get_sms_backend() -> SmsBackend:
    """The configured backend (development: console or file)."""
    return sms_backends.configured()
