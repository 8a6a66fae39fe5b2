"""Slowing down guessing: failures counted per address and per key (a case or feedback number) in the
shared cache; past a limit the caller refuses until the window ends. The case status query and the
anonymous feedback follow-up count their failures with it (each under its own prefix and settings).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class FailureThrottle:
    prefix: str
    ip_limit: int
    key_limit: int
    window_seconds: int

    def _keys(self, ip_address: str | None, key: str) -> dict[str, str]:
        keys = {"key": f"{self.prefix}:number:{key}"}
        if ip_address:
            keys["ip"] = f"{self.prefix}:ip:{ip_address}"
        return keys

    def is_throttled(self, *, ip_address: str | None, key: str) -> bool:
        """Whether this address, or this key, failed too often within the window."""
        keys = self._keys(ip_address, key)
        counts = cache.get_many(list(keys.values()))
        limits = {"ip": self.ip_limit, "key": self.key_limit}
        return any(counts.get(cache_key, 0) >= limits[kind] for kind, cache_key in keys.items())

    def count_failure(self, *, ip_address: str | None, key: str) -> None:
        for cache_key in self._keys(ip_address, key).values():
            cache.add(cache_key, 0, timeout=self.window_seconds)
            try:
                cache.incr(cache_key)
            except ValueError:  # expired between add and incr
                cache.set(cache_key, 1, timeout=self.window_seconds)
