"""Where the current work came from (channel, request id, IP, calling system), for the audit log.

The web middleware binds it per request; tasks and commands bind their own channel. Services never take
these as arguments: they are facts about the call, not the business.
"""

from __future__ import annotations

import contextvars
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    WEB = "web", _("网页")
    API = "api", _("接口")
    ADMIN = "admin", _("管理后台")
    OIDC = "oidc", _("统一身份认证")
    TASK = "task", _("后台任务")
    COMMAND = "command", _("命令行")
    SYSTEM = "system", _("平台内部")
    WEBHOOK = "webhook", _("推送")  # a change notice pushed to a subscribed system (exchange subscriptions)


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


@dataclass(frozen=True)
class CallContext:
    channel: str = Channel.SYSTEM
    request_id: str = ""
    ip_address: str | None = None
    system: str = ""  # the OIDC client or departmental system calling on the user's behalf


_NO_CALL = CallContext()  # frozen, so sharing it as the default is safe
_current: contextvars.ContextVar[CallContext] = contextvars.ContextVar("audit_call", default=_NO_CALL)


def current() -> CallContext:
    return _current.get()


@contextmanager
def bound(**facts) -> Iterator[CallContext]:
    """Record entries made inside the block with these facts (channel, request_id, ip_address, system)."""
    token = _current.set(replace(_current.get(), **facts))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def set_system(system: str) -> None:
    """Name the calling system for the rest of this request (the bearer-token auth knows it late)."""
    _current.set(replace(_current.get(), system=system[:100]))


def request_id_from(header: str | None) -> str:
    """The caller's X-Request-ID when it is well formed, else a fresh one."""
    if header and _REQUEST_ID.match(header):
        return header
    return uuid.uuid4().hex


def channel_for_path(path: str) -> str:
    if path.startswith("/api/"):
        return Channel.API
    if path.startswith("/admin/"):
        return Channel.ADMIN
    if path.startswith("/o/"):
        return Channel.OIDC
    return Channel.WEB
