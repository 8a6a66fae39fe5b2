"""The signing-backend contract: where a department's private key lives and how it signs.

Callers never see private keys: they ask the registry for the backend named on a SigningKey row and
call ``sign``. A hardware security module is one more backend registered under its own id.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yiwang.licenses.models import SigningKey


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
        """Generate a key pair for ``label`` (the department's credit code) and return its public half."""

    @abstractmethod
    def sign(self, *, key: SigningKey, message: bytes) -> bytes:
        """The DER SM2-with-SM3 signature of ``message`` (user id 1234567812345678) with ``key``."""
