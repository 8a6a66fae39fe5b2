"""The SMS backend registry: `@register("id")` on a class with `send(phone=, message=)`."""

from __future__ import annotations

from abc import ABC, abstractmethod

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_BACKENDS: dict[str, type[SmsBackend]] = {}


class SmsBackend(ABC):
    @abstractmethod
    def send(self, *, phone: str, message: str) -> None:
        """Deliver one text message or raise."""


def register(backend_id: str):
    def decorate(cls: type[SmsBackend]) -> type[SmsBackend]:
        _BACKENDS[backend_id] = cls
        return cls

    return decorate


def get_sms_backend() -> SmsBackend:
    """The configured backend (development: console or file)."""
    from . import backends  # noqa: F401  (registers the bundled backends)

    backend_id = getattr(settings, "IDENTITY_SMS_BACKEND", "console")
    try:
        return _BACKENDS[backend_id]()
    except KeyError:
        raise ImproperlyConfigured(
            f"Unknown IDENTITY_SMS_BACKEND {backend_id!r}; known: {sorted(_BACKENDS)}"
        ) from None
