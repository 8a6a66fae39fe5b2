"""Development SMS backends: print to the log, or append JSON lines to a file that tests can read."""

from __future__ import annotations

import json
import logging
from collections import deque
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .base import SmsBackend, register

logger = logging.getLogger("yiwang.identity.sms")
# The last messages the console backend sent in this process (tests and the dev shell read it).
outbox: deque[dict[str, str]] = deque(maxlen=100)


@register("console")
class ConsoleSmsBackend(SmsBackend):
    def send(self, *, phone: str, message: str) -> None:
        outbox.append({"phone": phone, "message": message})
        logger.warning("SMS to %s: %s", phone, message)


@register("file")
class FileSmsBackend(SmsBackend):
    def send(self, *, phone: str, message: str) -> None:
        path = Path(settings.IDENTITY_SMS_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"at": timezone.now().isoformat(), "phone": phone, "message": message}, ensure_ascii=False
        )
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
