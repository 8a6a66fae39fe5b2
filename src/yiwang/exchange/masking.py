"""Masking a granted value by its mask: full, partial (``110***********1234``, ``张*``) or withheld.

A multi-valued item (a property's owners, a subject's credit records) is a list: each value is masked
alike, and a withheld list is withheld whole (not a list of nulls that would tell how many there are).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from .constants import Mask

Scalar = str | int | bool | None
JsonValue = Scalar | list[Scalar]


def plain(value: Any) -> Scalar:
    """The JSON form of a register value: dates as ISO strings, amounts as decimal strings."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def mask_text(text: str) -> str:
    """Star the middle of a text, keeping only enough to recognise it (length kept)."""
    length = len(text)
    if length >= 11:  # ID numbers, credit codes, phone numbers: 3 first, 4 last
        head, tail = 3, 4
    elif length >= 4:
        head, tail = 1, 1
    elif length >= 2:  # names: the surname
        head, tail = 1, 0
    else:
        head, tail = 0, 0
    return text[:head] + "*" * (length - head - tail) + text[length - tail :]


def mask_value(value: Any, mask: str) -> JsonValue:
    """The value as a consumer may receive it under ``mask``."""
    if isinstance(value, (list, tuple)):
        return None if mask not in (Mask.FULL, Mask.PARTIAL) else [_mask_one(one, mask) for one in value]
    return _mask_one(value, mask)


def _mask_one(value: Any, mask: str) -> Scalar:
    if mask == Mask.FULL:
        return plain(value)
    if mask != Mask.PARTIAL or value is None or isinstance(value, (bool, int, Decimal)):
        return None  # withheld, or nothing meaningful to show of a flag or an amount in part
    if isinstance(value, dt.date):
        return f"{value.year:04d}-**-**"
    return mask_text(str(value))
