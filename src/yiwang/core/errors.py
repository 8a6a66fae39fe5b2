"""Domain errors: a stable machine code, a Chinese message for people, and the HTTP status the API uses."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a service or selector raises on purpose."""

    code = "error"
    status = 400
    default_message = "请求无法处理"

    def __init__(self, message: str | None = None, *, code: str | None = None, **details: Any) -> None:
        self.message = str(message or self.default_message)
        if code:
            self.code = code
        self.details = details
        super().__init__(self.message)


class NotFound(DomainError):
    """Missing or not visible to the actor: the two answer alike on purpose."""

    code = "not_found"
    status = 404
    default_message = "未找到该对象"


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 400
    default_message = "输入不合法"


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    default_message = "无权进行此操作"


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = "与当前状态冲突"


class Throttled(DomainError):
    """Too many failed attempts from this address or on this object: wait for the cool-off window."""

    code = "throttled"
    status = 429
    default_message = "尝试次数过多，请稍后再试"
