"""The bundled SMS backends: print to the log (development), append JSON lines to a file (tests, the OIDC
live server), drop everything (benchmarks), and two that fail on purpose (tests of retries).

A real provider (a carrier's or a cloud SMS gateway) registers the same way in its own module, listed in
``sms_backends``' modules or imported from an AppConfig.ready().
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .base import SmsBackend, SmsError, register

logger = logging.getLogger("yiwang.notifications.sms")
# The last messages the console backend sent in this process (tests and the dev shell read it).
outbox: deque[dict[str, str]] = deque(maxlen=100)


def _sms_file() -> Path:
    return Path(getattr(settings, "NOTIFICATIONS_SMS_FILE", "") or settings.IDENTITY_SMS_FILE)


@register("console")
class ConsoleSmsBackend(SmsBackend):
    def send(self, *, phone: str, message: str, reference: str = "") -> None:
        outbox.append({"phone": phone, "message": message, "reference": reference})
        logger.warning("SMS to %s: %s", phone, message)


@register("file")
class FileSmsBackend(SmsBackend):
    def send(self, *, phone: str, message: str, reference: str = "") -> None:
        path = _sms_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"at": timezone.now().isoformat(), "phone": phone, "message": message, "reference": reference},
            ensure_ascii=False,
        )
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


@register("null")
class NullSmsBackend(SmsBackend):
    """Takes every message and sends nothing (benchmarks measure the platform, not a provider)."""

    def send(self, *, phone: str, message: str, reference: str = "") -> None:
        return None


@register("failing")
class FailingSmsBackend(SmsBackend):
    """Refuses every message, as a provider that is down does (tests: retries end dead)."""

    def send(self, *, phone: str, message: str, reference: str = "") -> None:
        raise SmsError("provider unavailable (failing test backend)")


@register("flaky")
class FlakySmsBackend(SmsBackend):
    """Refuses the next ``failures`` messages, then takes them into ``sent`` (tests set ``failures``)."""

    def __init__(self) -> None:
        self.failures = 0
        self.sent: list[dict[str, str]] = []
        self._lock = threading.Lock()

    def send(self, *, phone: str, message: str, reference: str = "") -> None:
        with self._lock:
            if self.failures > 0:
                self.failures -= 1
                raise SmsError("provider timed out (flaky test backend)")
            self.sent.append({"phone": phone, "message": message, "reference": reference})
