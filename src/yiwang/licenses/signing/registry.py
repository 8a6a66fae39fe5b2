"""The registry of signing backends: ``@register("id")`` on a SigningBackend subclass."""

from __future__ import annotations

from django.conf import settings

from yiwang.core.errors import InvalidInput

from .base import SigningBackend

_backends: dict[str, SigningBackend] = {}


def register(backend_id: str):
    """Class decorator: make the backend available under ``backend_id``."""

    def decorate(cls: type[SigningBackend]) -> type[SigningBackend]:
        cls.id = backend_id
        _backends[backend_id] = cls()
        return cls

    return decorate


def get_backend(backend_id: str) -> SigningBackend:
    try:
        return _backends[backend_id]
    except KeyError:
        raise InvalidInput(f"未知的签名后端：{backend_id}", code="unknown_signing_backend") from None


def default_backend() -> SigningBackend:
    """The backend new keys are created in (settings.LICENSE_SIGNING_BACKEND)."""
    return get_backend(getattr(settings, "LICENSE_SIGNING_BACKEND", "database"))


def backend_ids() -> list[str]:
    return sorted(_backends)
