"""Plain text messages to a phone (an evaluation link, a reminder) through the configured SMS backend.

Other apps never touch the backends (identity.sms is private): they call ``send_text``.
"""

from __future__ import annotations

from ..sms import get_sms_backend


def send_text(*, phone: str, message: str) -> None:
    """Send ``message`` to ``phone`` now (callers in a transaction send it after commit)."""
    get_sms_backend().send(phone=phone, message=message)
