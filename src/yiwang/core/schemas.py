"""API schemas shared by every app's router: the one error format."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorBody(Schema):
    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorOut(Schema):
    """Every error answer of the API: a stable ``code`` for machines, a Chinese ``message`` for people."""

    error: ErrorBody


# The responses every handler may give besides its success, for the OpenAPI schema.
ERROR_RESPONSES: dict[int, type[Schema]] = {400: ErrorOut, 404: ErrorOut}
