"""The canonical bytes of a JSON value (RFC 8785, JSON Canonicalization Scheme): what gets signed."""

from __future__ import annotations

from typing import Any

import rfc8785


def canonicalize(value: Any) -> bytes:
    """RFC 8785 bytes of ``value``: sorted keys, no whitespace, UTF-8, ECMAScript number form."""
    return rfc8785.dumps(value)
