"""The face-verification provider registry; production has none until a real provider is configured."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from yiwang.core.registry import Registry

if TYPE_CHECKING:
    from yiwang.identity.models import User


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


# The id "" (the default) means no provider: level 4 is then unavailable.
face_providers: Registry[FaceProvider] = Registry(
    "face", setting="IDENTITY_FACE_PROVIDER", default="", modules=("yiwang.identity.face.testing",)
)
register = face_providers.register


def get_face_provider() -> FaceProvider | None:
    """The configured provider, or None; a test provider is refused unless DEBUG or explicitly allowed."""
    if not face_providers.configured_id():
        return None
    provider = face_providers.configured()
    if provider.is_test_only and not (
        settings.DEBUG or getattr(settings, "IDENTITY_ALLOW_TEST_FACE_PROVIDER", False)
    ):
        raise ImproperlyConfigured(
            "The deterministic test face provider may not run with DEBUG off; "
            "set YIWANG_ALLOW_TEST_FACE_PROVIDER=1 only on a demo or test system."
        )
    return provider
