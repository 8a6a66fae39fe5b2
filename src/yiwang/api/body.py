"""The one JSON body parser of /api/v1: JSON media type only, well-formed, and not absurdly deep."""

from __future__ import annotations

import json
from typing import Any

from ninja.parser import Parser

from yiwang.core.errors import DomainError, InvalidInput

# Deeper than any body the API accepts (a license surface nests two or three levels).
MAX_JSON_DEPTH = 32


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    status = 415
    default_message = "请求体须为 JSON（Content-Type: application/json）"


class MalformedJSON(InvalidInput):
    code = "invalid_json"
    default_message = "请求体不是有效的 JSON"


def is_json_media_type(content_type: str) -> bool:
    media_type = (content_type or "").split(";")[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def nesting_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists or objects deeper than ``limit`` (iterative: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


class StrictJSONParser(Parser):
    def parse_body(self, request):
        if not is_json_media_type(request.content_type):
            raise UnsupportedMediaType()
        too_deep = MalformedJSON(f"请求体嵌套超过 {MAX_JSON_DEPTH} 层", code="json_too_deep")
        try:
            data = json.loads(request.body)
        except ValueError:
            raise MalformedJSON() from None
        except RecursionError:
            raise too_deep from None
        if nesting_exceeds(data, MAX_JSON_DEPTH):
            raise too_deep
        return data
