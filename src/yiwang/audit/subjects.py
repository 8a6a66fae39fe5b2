"""The data subject as the log keeps it: a keyed SM3 hash of the ID number or credit code, never the number.

The key (``YIWANG_AUDIT_SUBJECT_KEY``) lets the platform find a subject's entries; without it a leaked log
cannot be searched for a known number.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.hazmat.primitives import hashes, hmac
from django.conf import settings

from yiwang.core.identifiers import is_valid_resident_id

from .constants import SubjectKind


@lru_cache(maxsize=2)
def _key(secret: str) -> bytes:
    return secret.encode("utf-8")


def subject_hash(code: str) -> str:
    """HMAC-SM3 of the normalised ID number or credit code, hex; '' for no subject."""
    code = (code or "").strip().upper()
    if not code:
        return ""
    mac = hmac.HMAC(_key(settings.AUDIT_SUBJECT_KEY), hashes.SM3())
    mac.update(code.encode("ascii", errors="replace"))
    return mac.finalize().hex()


def subject_kind_of(code: str) -> str:
    """'person' for a valid resident ID number, 'enterprise' for anything else that is given."""
    code = (code or "").strip().upper()
    if not code:
        return SubjectKind.NONE
    return SubjectKind.PERSON if is_valid_resident_id(code) else SubjectKind.ENTERPRISE
