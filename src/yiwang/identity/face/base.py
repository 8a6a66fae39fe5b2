"""The face-verification provider registry; production has none until a real provider is configured."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from yiwang.identity.models import User

_PROVIDERS: dict[str, type[FaceProvider]] = {}


@dataclass(frozen=True)
class FaceResult:
    is_match: bool
    reference: str  # the provider's transaction id, kept in the audit event


class FaceProvider(ABC):
    is_test_only = False

    @abstractmethod
    def verify(self, *, user: User, sample: str) -> FaceResult:
        """Compare a live capture with the certificate photo of the user's ID number."""

    def sample_hint(self, *, user: User) -> str:
        """What a developer may submit in place of a capture (test providers only)."""
        return ""


def register(provider_id: str):
    def decorate(cls: type[FaceProvider]) -> type[FaceProvider]:
        _PROVIDERS[provider_id] = cls
        return cls

    return decorate


def get_face_provider() -> FaceProvider | None:
    """The configured provider, or None; a test provider is refused unless DEBUG or explicitly allowed."""
    from . import testing  # noqa: F401  (registers the bundled test provider)

    provider_id = getattr(settings, "IDENTITY_FACE_PROVIDER", "")
    if not provider_id:
        return None
    if provider_id not in _PROVIDERS:
        raise ImproperlyConfigured(f"Unknown IDENTITY_FACE_PROVIDER {provider_id!r}")
    provider = _PROVIDERS[provider_id]()
    if provider.is_test_only and not (
        settings.DEBUG or getattr(settings, "IDENTITY_ALLOW_TEST_FACE_PROVIDER", False)
    ):
        raise ImproperlyConfigured(
            "The deterministic test face provider may not run with DEBUG off; "
            "set YIWANG_ALLOW_TEST_FACE_PROVIDER=1 only on a demo or test system."
        )
    return provider
