"""A deterministic stand-in for face verification: no biometrics, for development and tests only."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from .base import FaceProvider, FaceResult, register

if TYPE_CHECKING:
    from yiwang.identity.models import User


def _expected(user: User) -> str:
    digest = hashlib.sha256(f"yiwang-test-face:{user.id_number}".encode()).hexdigest()[:12]
    return f"TESTFACE-{digest}"


@register("test")
class DeterministicTestProvider(FaceProvider):
    """Matches exactly when the submitted sample is the token derived from the user's ID number."""

    is_test_only = True

    def verify(self, *, user: User, sample: str) -> FaceResult:
        expected = _expected(user)
        return FaceResult(
            is_match=bool(user.id_number) and sample == expected, reference=f"test:{expected[-6:]}"
        )

    def sample_hint(self, *, user: User) -> str:
        return _expected(user)
