"""Search backends: a registry keyed by name; ``settings.SEARCH_BACKEND`` picks one."""

from __future__ import annotations

import threading
from pathlib import Path

from django.conf import settings

from .base import SearchBackend, search_backends

_instances: dict[tuple[str, Path], SearchBackend] = {}
_instances_lock = threading.Lock()
register = search_backends.register


def registered_backends() -> dict[str, type[SearchBackend]]:
    return {backend_id: search_backends.get_class(backend_id) for backend_id in search_backends.ids()}


def get_backend() -> SearchBackend:
    """The configured backend for the configured index directory (one instance per process)."""
    name = search_backends.configured_id()
    index_dir = Path(settings.SEARCH_INDEX_DIR)
    backend_class = search_backends.get_class(name)
    key = (name, index_dir)
    with _instances_lock:
        if key not in _instances:
            _instances[key] = backend_class(index_dir=index_dir)
        return _instances[key]
