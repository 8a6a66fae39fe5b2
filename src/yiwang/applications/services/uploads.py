"""Uploaded materials: the type judged by the file's first bytes, a size limit, a SHA-256, and storage
through Django's storage API (``default_storage``: the file system by default, an object store when
``STORAGES["default"]`` says so).

A stored file has a random name; the case and vault rows that point to it are written later, in the
submission's transaction. If that transaction fails, the file stays behind unreferenced (harmless:
nothing links to it, and its random name cannot be guessed); ``discard_upload`` removes it when the
caller knows the submission failed.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.utils import timezone

from yiwang.core.errors import InvalidInput

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# Allowed types, judged by the first bytes (never by the name or what the browser says).
SIGNATURES: dict[str, tuple[bytes, str]] = {
    "application/pdf": (b"%PDF-", ".pdf"),
    "image/png": (b"\x89PNG\r\n\x1a\n", ".png"),
    "image/jpeg": (b"\xff\xd8\xff", ".jpg"),
}
UPLOAD_DIR = "applications/uploads"
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class StoredFile:
    """A stored upload: its storage name, the type sniffed from its bytes, size, SHA-256, original name."""

    name: str
    content_type: str
    size: int
    sha256: str
    original_name: str


def max_upload_bytes() -> int:
    return int(getattr(settings, "APPLICATIONS_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def sniff_type(head: bytes) -> str:
    """The content type the first bytes show (PDF, PNG or JPEG), or ""."""
    for content_type, (signature, _suffix) in SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    return ""


def _checked_type(uploaded_file: File) -> str:
    limit = max_upload_bytes()
    size = uploaded_file.size or 0
    if size <= 0:
        raise InvalidInput("上传的文件为空", code="upload_empty")
    if size > limit:
        raise InvalidInput(
            f"上传的文件不能超过 {limit / (1024 * 1024):g} MB",
            code="upload_too_large",
            limit=limit,
            size=size,
        )
    uploaded_file.seek(0)
    content_type = sniff_type(uploaded_file.read(16))
    uploaded_file.seek(0)
    if not content_type:
        raise InvalidInput("材料只接受 PDF、PNG 或 JPEG 文件", code="upload_type_not_allowed")
    return content_type


def _sha256(uploaded_file: File) -> str:
    digest = hashlib.sha256()
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks(_CHUNK):
        digest.update(chunk)
    uploaded_file.seek(0)
    return digest.hexdigest()


def store_upload(*, uploaded_file: File) -> StoredFile:
    """Check an upload (type from its bytes, size limit) and store it under a random name."""
    content_type = _checked_type(uploaded_file)
    sha256 = _sha256(uploaded_file)
    suffix = SIGNATURES[content_type][1]
    name = f"{UPLOAD_DIR}/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}{suffix}"
    stored = default_storage.save(name, uploaded_file)
    original = (getattr(uploaded_file, "name", "") or "").rsplit("/", 1)[-1][:200]
    return StoredFile(stored, content_type, int(uploaded_file.size or 0), sha256, original)


def discard_upload(stored: StoredFile) -> None:
    """Remove a stored upload that no row will point to (its submission failed)."""
    try:
        default_storage.delete(stored.name)
    except OSError:
        logger.exception("could not remove the upload %s of a failed submission", stored.name)
