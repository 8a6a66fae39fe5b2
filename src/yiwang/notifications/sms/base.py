"""The SMS backend registry: ``@register("id")`` on a class with ``send(phone=, message=, reference=)``.

A ``yiwang.core.registry.Registry``: a duplicate id is refused, and an unknown backend id fails the start-up
system check. The id comes from ``NOTIFICATIONS_SMS_BACKEND``; when that is empty, the older
``IDENTITY_SMS_BACKEND`` is read (installations that set it keep working), then ``console``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from django.conf import settings

from yiwang.core.registry import Registry


class SmsError(Exception):
    """The provider refused or could not take the message (the deliverer retries it with backoff)."""


class SmsBackend(ABC):
    id: str = ""

    @abstractmethod
    def send(self, *, phone: str, message: str, reference: str = "") -> None:
        """Hand one text message to the provider or raise. ``reference`` is the platform's id for the
        message (``dispatch-<id>``): a provider that deduplicates by a client reference drops a repeat."""


class _SmsRegistry(Registry[SmsBackend]):
    def configured_id(self) -> str:
        return (
            getattr(settings, "NOTIFICATIONS_SMS_BACKEND", "")
            or getattr(settings, "IDENTITY_SMS_BACKEND", "")
            or self.default
        )


sms_backends: Registry[SmsBackend] = _SmsRegistry(
    "sms",
    setting="NOTIFICATIONS_SMS_BACKEND",
    default="console",
    modules=("yiwang.notifications.sms.backends",),
)
register = sms_backends.register


def get_sms_backend() -> SmsBackend:
    """The configured backend (development: console; tests: console or file)."""
    return sms_backends.configured()
