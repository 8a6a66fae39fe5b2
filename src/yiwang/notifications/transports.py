"""How a delivery's body reaches its URL: a plugin registry (``http`` by default) and the SSRF guard.

Tests plug a recording transport with ``@webhook_transports.register("recording")`` and the setting
``NOTIFICATIONS_WEBHOOK_TRANSPORT``. The HTTP transport POSTs with httpx, follows no redirects (a 3xx is a
failure: a redirect could lead to an internal address) and refuses URLs that resolve to private, loopback,
link-local or reserved addresses, unless ``NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK`` allows loopback (tests,
the demo).
"""

from __future__ import annotations

import ipaddress
import socket
from abc import ABC, abstractmethod
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from yiwang.core.errors import InvalidInput
from yiwang.core.registry import Registry

ALLOWED_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class TransportResult:
    """What the receiver answered: its status code (2xx is delivered), or why nothing was answered."""

    status_code: int | None = None
    error: str = ""

    @property
    def is_delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookTransport(ABC):
    id: str = ""

    @abstractmethod
    def send(self, *, url: str, body: bytes, headers: dict[str, str]) -> TransportResult:
        """POST ``body`` to ``url``; never raise for a network failure, report it in the result."""


webhook_transports: Registry[WebhookTransport] = Registry(
    "webhook-transport", setting="NOTIFICATIONS_WEBHOOK_TRANSPORT", default="http"
)


class UnsafeURL(InvalidInput):
    code = "unsafe_webhook_url"


def _address_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if address.is_loopback:
        return bool(getattr(settings, "NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK", False))
    return address.is_global and not address.is_multicast


def check_url(url: str, *, resolve: bool = True) -> None:
    """Refuse a URL that is not http(s), or whose host is (or resolves to) a non-public address."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port out of range, a malformed IPv6 literal
        raise UnsafeURL(_("推送地址必须是 http 或 https 网址。")) from None
    if parts.scheme not in ALLOWED_SCHEMES or not parts.hostname:
        raise UnsafeURL(_("推送地址必须是 http 或 https 网址。"))
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    elif not resolve:
        return
    else:
        try:
            infos = socket.getaddrinfo(parts.hostname, port or 443, proto=socket.IPPROTO_TCP)
        except OSError:
            raise UnsafeURL(_("推送地址的主机名无法解析。")) from None
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses or not all(_address_allowed(address) for address in addresses):
        raise UnsafeURL(_("推送地址指向内网、回环或保留地址，已拒绝。"))


@webhook_transports.register("http")
class HttpTransport(WebhookTransport):
    """POST over HTTP(S) with httpx; one client (connection pool) per process."""

    def __init__(self) -> None:
        timeout = float(getattr(settings, "NOTIFICATIONS_WEBHOOK_TIMEOUT", 10))
        self.client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)

    def send(self, *, url: str, body: bytes, headers: dict[str, str]) -> TransportResult:
        try:
            # Resolved again just before the request: an address checked at registration may have moved.
            check_url(url)
            response = self.client.post(url, content=body, headers=headers)
        except UnsafeURL as error:
            return TransportResult(error=str(error.message))
        except httpx.HTTPError as error:
            return TransportResult(error=f"{type(error).__name__}: {error}"[:500])
        error = "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
        return TransportResult(status_code=response.status_code, error=error)
