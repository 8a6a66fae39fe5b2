"""SMS delivery backends, chosen by settings.IDENTITY_SMS_BACKEND."""

from .base import SmsBackend, get_sms_backend, register, sms_backends

__all__ = ["SmsBackend", "get_sms_backend", "register", "sms_backends"]
