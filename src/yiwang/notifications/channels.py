"""The channels a message to a person leaves the platform by: one registry, ``sms`` and ``email``.

A channel sender takes a rendered message (subject, text) and an address and hands it over, or raises; the
deliverer (``services.dispatching``) records the outcome and retries. SMS goes through the configured SMS
backend (``notifications.sms``); email through Django's email backend (``EMAIL_BACKEND``: the console in
development, locmem in tests, SMTP in production). Another channel (an app push gateway) registers here
under its own id and gets a ``Channel`` value.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from django.conf import settings
from django.core.mail import EmailMessage

from yiwang.core.registry import Registry

from .sms import get_sms_backend

SMS_SIGNATURE = "【一网通办】"
SMS_MAX_CHARS = 300  # long messages are cut: the link in the inbox carries the rest


class ChannelSender(ABC):
    id: str = ""

    @abstractmethod
    def send(self, *, address: str, subject: str, text: str, link: str, reference: str) -> None:
        """Hand one message to the channel's provider or raise (any exception is a failed attempt).
        ``link`` is a rendered line pointing at the message on the platform ('' when it has none)."""


channel_senders: Registry[ChannelSender] = Registry("message-channel")


@channel_senders.register("sms")
class SmsChannel(ChannelSender):
    def send(self, *, address: str, subject: str, text: str, link: str, reference: str) -> None:
        message = " ".join(part for part in (f"{SMS_SIGNATURE}{subject}", text, link) if part)
        get_sms_backend().send(phone=address, message=message[:SMS_MAX_CHARS], reference=reference)


@channel_senders.register("email")
class EmailChannel(ChannelSender):
    def send(self, *, address: str, subject: str, text: str, link: str, reference: str) -> None:
        email = EmailMessage(
            subject=subject,
            body="\n\n".join(part for part in (text, link) if part),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            headers={"X-Yiwang-Reference": reference},
        )
        email.send(fail_silently=False)


def send_sms_now(*, phone: str, message: str) -> None:
    """A text sent at once, outside any message record (one-time codes the person is waiting for)."""
    get_sms_backend().send(phone=phone, message=message)
