"""The signing backends, one kind of plugin in the core registry: ``@signing_backends.register("id")``."""

from __future__ import annotations

from yiwang.core.registry import Registry

from .base import SigningBackend

# The setting keeps its historical name: licenses were the first to sign; the audit log signs through it too.
signing_backends: Registry[SigningBackend] = Registry(
    "signing",
    setting="LICENSE_SIGNING_BACKEND",
    default="database",
    modules=("yiwang.core.signing.database",),
)
register = signing_backends.register


def get_backend(backend_id: str) -> SigningBackend:
    """The backend a key record names; an unknown id is a configuration error (ImproperlyConfigured)."""
    return signing_backends.get(backend_id)


def default_backend() -> SigningBackend:
    """The backend new keys are created in (settings.LICENSE_SIGNING_BACKEND)."""
    return signing_backends.configured()


def backend_ids() -> list[str]:
    return signing_backends.ids()
