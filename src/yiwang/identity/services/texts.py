"""Plain text messages to a phone (an evaluation link, a reminder) through notifications' SMS channel.

Other apps never touch the SMS backends (they are private to notifications): they call ``send_text``, or
``notifications.services.notify`` for a message the person should also find in their inbox.
"""

from __future__ import annotations

from yiwang.notifications.services import send_sms_now


def send_text(*, phone: str, message: str) -> None:
    """Send ``message`` to ``phone`` now (callers in a transaction send it after commit)."""
    send_sms_now(phone=phone, message=message)
