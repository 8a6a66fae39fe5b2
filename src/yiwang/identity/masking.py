"""Masking personal identifiers for logs, audit details and screens that need only a hint."""

from __future__ import annotations


def mask_id_number(value: str) -> str:
    """Keep the first 4 and last 4 characters: 5116**********0012."""
    value = (value or "").strip()
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    value = (value or "").strip()
    return value[:3] + "****" + value[-4:] if len(value) == 11 else "*" * len(value)


def mask_name(value: str) -> str:
    return value[:1] + "*" * (len(value) - 1) if value else ""
