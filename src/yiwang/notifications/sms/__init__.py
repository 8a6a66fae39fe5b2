"""SMS providers of the message channels, chosen by settings.NOTIFICATIONS_SMS_BACKEND (private to
notifications: other apps send through ``notifications.services``)."""

from .base import SmsBackend, SmsError, get_sms_backend, register, sms_backends

__all__ = ["SmsBackend", "SmsError", "get_sms_backend", "register", "sms_backends"]
