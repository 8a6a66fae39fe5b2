"""The signing-backend contract: where a private key lives and how it signs.

Callers never see private keys: they ask the registry for the backend named on a key record (a license
department's ``SigningKey``, the platform's ``AuditKey``) and call ``sign``. A hardware security module is
one more backend registered under its own id.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Protocol


class KeyRecord(Protocol):
    """What a backend needs of a stored key: the public half (hex) and how to find the private half."""

    public_key: str
    sealed_private_key: bytes | memoryview | None


def handle_of(key: KeyRecord) -> str:
    """The backend's handle of the private key (``handle``, or ``backend_handle`` on license keys)."""
    return getattr(key, "handle", "") or getattr(key, "backend_handle", "") or ""


@dataclass(frozen=True, repr=False)
class NewKey:
    """What a backend returns for a new key: the public half, and how to find the private half again."""

    public_key: bytes
    sealed_private_key: bytes | None = None
    handle: str = ""

    def __repr__(self) -> str:
        return f"NewKey(public_key={self.public_key.hex()[:16]}…, handle={self.handle!r})"


class SigningBackend(ABC):
    """Creates SM2 key pairs and signs with them; the public key alone verifies, outside any backend."""

    id: str = ""

    @abstractmethod
    def create_key(self, *, label: str) -> NewKey:
        """Generate a key pair for ``label`` (a credit code, or ``audit``) and return its public half."""

    @abstractmethod
    def sign(self, *, key: KeyRecord, message: bytes) -> bytes:
        """The DER SM2-with-SM3 signature of ``message`` (user id 1234567812345678) with ``key``."""
