"""The one plugin registry: signing, search backends, SMS, face providers, exchange connectors, channels.

A kind of plugin is a ``Registry``; a plugin class registers under an id with ``@registry.register("id")``.
A second class under the same id is refused at import. The id a setting names is checked at start-up by a
system check (``yiwang.E001``), so a typo is a configuration error, not a 400 at the first request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from importlib import import_module
from typing import Generic, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")

_registries: dict[str, Registry] = {}


class Registry(Generic[T]):
    """Plugins of one kind by id; ``modules`` are imported on first use so the bundled plugins register."""

    def __init__(self, kind: str, *, setting: str = "", default: str = "", modules: tuple[str, ...] = ()):
        if kind in _registries:
            raise ImproperlyConfigured(f"plugin registry {kind!r} defined twice")
        self.kind = kind
        self.setting = setting
        self.default = default
        self._modules = modules
        self._plugins: dict[str, type[T]] = {}
        self._instances: dict[str, T] = {}
        self._loaded = False
        self._loading = threading.RLock()  # server threads may ask for the first time at once
        _registries[kind] = self

    def register(self, plugin_id: str) -> Callable[[type[T]], type[T]]:
        """Class decorator: make the class available under ``plugin_id``; a duplicate id is refused."""

        def decorate(cls: type[T]) -> type[T]:
            existing = self._plugins.get(plugin_id)
            if existing is not None and existing.__qualname__ != cls.__qualname__:
                raise ImproperlyConfigured(
                    f"{self.kind}: id {plugin_id!r} is already registered by {existing.__module__}"
                )
            cls.id = plugin_id  # type: ignore[attr-defined]
            self._plugins[plugin_id] = cls
            self._instances.pop(plugin_id, None)
            return cls

        return decorate

    def _load(self) -> None:
        """Import the bundled modules once. Loaded only after they all imported: a thread asking while
        another imports waits for it instead of finding the plugins missing (a 404 or 500 under load)."""
        if self._loaded:
            return
        with self._loading:
            if self._loaded:
                return
            for module in self._modules:
                import_module(module)
            self._loaded = True

    def ids(self) -> list[str]:
        self._load()
        return sorted(self._plugins)

    def get_class(self, plugin_id: str) -> type[T]:
        """The class registered under ``plugin_id`` (for plugins built with arguments of their own)."""
        self._load()
        try:
            return self._plugins[plugin_id]
        except KeyError:
            raise ImproperlyConfigured(
                f"{self.kind}: unknown id {plugin_id!r}; known: {', '.join(sorted(self._plugins))}"
            ) from None

    def get(self, plugin_id: str) -> T:
        """The (shared) instance registered under ``plugin_id``; an unknown id is a configuration error."""
        self._load()
        if plugin_id not in self._instances:
            self._instances[plugin_id] = self.get_class(plugin_id)()
        return self._instances[plugin_id]

    def configured_id(self) -> str:
        """The id the registry's setting names (or its default)."""
        return getattr(settings, self.setting, self.default) if self.setting else self.default

    def configured(self) -> T:
        """The plugin the setting names."""
        return self.get(self.configured_id())


def registries() -> Iterator[Registry]:
    yield from _registries.values()
