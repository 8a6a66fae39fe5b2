"""Search backends: a registry keyed by name; ``settings.SEARCH_BACKEND`` picks one."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

from .base import SearchBackend

_registry: dict[str, type[SearchBackend]] = {}
_instances: dict[tuple[str, Path], SearchBackend] = {}
_instances_lock = threading.Lock()
# Modules that register a backend when imported.
BUILTIN_BACKENDS = {"tantivy": "yiwang.search.backends.tantivy_backend.TantivyBackend"}


def register(name: str) -> Callable[[type[SearchBackend]], type[SearchBackend]]:
    """Class decorator: make a backend selectable as ``SEARCH_BACKEND = name``."""

    def decorator(backend_class: type[SearchBackend]) -> type[SearchBackend]:
        _registry[name] = backend_class
        return backend_class

    return decorator


def registered_backends() -> dict[str, type[SearchBackend]]:
    return dict(_registry)


def get_backend() -> SearchBackend:
    """The configured backend for the configured index directory (one instance per process)."""
    name = getattr(settings, "SEARCH_BACKEND", "tantivy")
    index_dir = Path(settings.SEARCH_INDEX_DIR)
    if name not in _registry and name in BUILTIN_BACKENDS:
        import_string(BUILTIN_BACKENDS[name])
    if name not in _registry:
        raise LookupError(f"unknown search backend {name!r}")
    key = (name, index_dir)
    with _instances_lock:
        if key not in _instances:
            _instances[key] = _registry[name](index_dir=index_dir)
        return _instances[key]
