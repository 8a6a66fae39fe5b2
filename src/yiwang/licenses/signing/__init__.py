"""Signing backends behind a registry (see base.py); importing this package registers the built-in ones."""

from . import database  # noqa: F401  (registers "database")
from .base import NewKey, SigningBackend
from .registry import backend_ids, default_backend, get_backend, register

__all__ = ["NewKey", "SigningBackend", "backend_ids", "default_backend", "get_backend", "register"]
