"""Signing backends behind the core plugin registry (see base.py): license keys and the audit log's key."""

from .base import KeyRecord, NewKey, SigningBackend, handle_of
from .registry import backend_ids, default_backend, get_backend, register, signing_backends

__all__ = [
    "KeyRecord",
    "NewKey",
    "SigningBackend",
    "backend_ids",
    "default_backend",
    "get_backend",
    "handle_of",
    "register",
    "signing_backends",
]
