"""Upload references of the API: a file is uploaded once (POST /applications/uploads), then named by its
reference in a submission or a supplement.

The reference is the stored file's facts (storage name, sniffed type, size, SHA-256, original name) and
the uploader, signed with the site's key (``django.core.signing``) and valid for a day: a client cannot
forge one, name another person's file, or use one after it expired. A retried submission sends the same
references again, so the files are not sent twice. A file never referenced stays in storage under an
unguessable name, as a failed submission's does (services.uploads).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import signing
from django.core.files.storage import default_storage
from django.utils import timezone

from yiwang.core.errors import InvalidInput

from .services.uploads import StoredFile

SALT = "yiwang.applications.upload-reference"
MAX_AGE = dt.timedelta(days=1)


def printable_name(name: str) -> str:
    """The original file name without control characters (PostgreSQL refuses NUL; none belongs there)."""
    return "".join(char for char in name if char >= " " and char != "\x7f")[:200]


def reference_for(*, stored: StoredFile, actor: Any) -> tuple[str, dt.datetime]:
    """The reference of a stored upload for its uploader, and when it stops being accepted."""
    facts = {
        "n": stored.name,
        "t": stored.content_type,
        "s": stored.size,
        "h": stored.sha256,
        "o": printable_name(stored.original_name),
        "u": str(actor.public_id),
    }
    return signing.dumps(facts, salt=SALT, compress=True), timezone.now() + MAX_AGE


def _invalid(key: str, message: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_upload", material=key)


def stored_file(*, reference: str, actor: Any, key: str) -> StoredFile:
    """The stored upload a reference names, if it is the actor's, unexpired and still stored."""
    try:
        facts = signing.loads(reference, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise _invalid(key, f"材料“{key}”的上传已过期，请重新上传") from None
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        raise _invalid(key, f"材料“{key}”的上传引用无效") from None
    if not isinstance(facts, dict) or facts.get("u") != str(actor.public_id):
        raise _invalid(key, f"材料“{key}”的上传引用无效")
    stored = StoredFile(
        name=str(facts["n"]),
        content_type=str(facts["t"]),
        size=int(facts["s"]),
        sha256=str(facts["h"]),
        original_name=str(facts["o"]),
    )
    if not default_storage.exists(stored.name):
        raise _invalid(key, f"材料“{key}”的上传文件已不存在，请重新上传")
    return stored


def stored_files(*, references: dict[str, str], actor: Any) -> dict[str, StoredFile]:
    """Material key → stored upload, for every reference of a request."""
    return {key: stored_file(reference=ref, actor=actor, key=key) for key, ref in references.items()}
