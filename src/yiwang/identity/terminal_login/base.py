"""The card-reader registry: how a terminal reads the resident ID card (居民身份证) put on its reader.

A real reader runs a vendor's local agent that reads the card chip and posts a signed reading; the
``simulated`` reader (development and tests only) takes the card number typed into a form.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from yiwang.core.registry import Registry


@dataclass(frozen=True)
class CardReading:
    """What a reader vouches for: the ID number on the card it read."""

    id_number: str
    reference: str = ""  # the reader's own transaction id, kept in the audit event


class CardReader(ABC):
    is_test_only = False
    # The form fields the terminal page shows for this reader (a chip reader posts them itself).
    form_fields: tuple[str, ...] = ()

    @abstractmethod
    def read(self, *, data: Mapping[str, str]) -> CardReading:
        """Turn what the terminal posted into a reading; raise InvalidInput if it is not one."""


# The id "" (the default) means no reader: the terminal offers the QR login only.
card_readers: Registry[CardReader] = Registry(
    "terminal-card-reader",
    setting="IDENTITY_TERMINAL_CARD_READER",
    default="",
    modules=("yiwang.identity.terminal_login.simulated",),
)
register = card_readers.register


def get_card_reader() -> CardReader | None:
    """The configured reader, or None; a test reader is refused unless DEBUG or explicitly allowed."""
    if not card_readers.configured_id():
        return None
    reader = card_readers.configured()
    if reader.is_test_only and not (
        settings.DEBUG or getattr(settings, "IDENTITY_ALLOW_TEST_TERMINAL_READER", False)
    ):
        raise ImproperlyConfigured(
            "The simulated card reader logs anyone in by a typed ID number and may not run with DEBUG off; "
            "set YIWANG_ALLOW_TEST_TERMINAL_READER=1 only on a demo or test system."
        )
    return reader
