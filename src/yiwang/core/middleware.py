"""Cheaper drop-ins for two third-party middleware: the same headers and messages, less work per request.

Measured on an anonymous GET of the API (bench/middleware_cost.py), django-csp rebuilt both policy
strings from the settings on every response, and the messages middleware built its cookie and session
storages (a signer each time) for requests that never add or read a message: together about 40 % of
what the middleware stack costs a bare API request. Nothing is skipped for being an API request:
sessions, CSRF, authentication, OTP, axes and the audit context run as before.
"""

from __future__ import annotations

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import SimpleLazyObject, empty

# What a view (csp decorators) or a template (request.csp_nonce) may set to make its policy its own.
_RESPONSE_OVERRIDES = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
_DEBUG_EXEMPT_STATUSES = (404, 500)
_policies: dict[bool, tuple[str, tuple[str, ...]]] = {}


def _policy(report_only: bool) -> tuple[str, tuple[str, ...]]:
    """The header value of the settings' policy (no nonce, no per-view change) and its excluded prefixes."""
    if report_only not in _policies:
        name = "CONTENT_SECURITY_POLICY_REPORT_ONLY" if report_only else "CONTENT_SECURITY_POLICY"
        prefixes = tuple((getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES", None) or ())
        _policies[report_only] = (build_policy(report_only=report_only), prefixes)
    return _policies[report_only]


@receiver(setting_changed)
def _forget_policies(*, setting, **kwargs) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY") or setting == "DEBUG":
        _policies.clear()


class CachedPolicyCSPMiddleware(CSPMiddleware):
    """django-csp with the settings' policy built once per process instead of twice per response.

    A response with its own policy (csp_update/csp_replace/csp decorators) or a request that used its
    nonce goes through django-csp unchanged.
    """

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _RESPONSE_OVERRIDES
        ):
            return super().process_response(request, response)
        if response.status_code in _DEBUG_EXEMPT_STATUSES and settings.DEBUG:
            return response
        for header, report_only, exempt in (
            (HEADER, False, "_csp_exempt"),
            (HEADER_REPORT_ONLY, True, "_csp_exempt_ro"),
        ):
            value, excluded = _policy(report_only)
            if (
                value
                and header not in response
                and getattr(response, exempt, False) is False
                and not (excluded and request.path_info.startswith(excluded))
            ):
                response[header] = value
        # As django-csp: a nonce asked for after the header was written would not be in it.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


class LazyMessageMiddleware(MessageMiddleware):
    """Django's messages, with the storage built only when a message is added or read."""

    def process_request(self, request):
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request, response):
        messages = getattr(request, "_messages", None)
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:
            return response  # never touched: nothing added, nothing read, nothing to store
        return super().process_response(request, response)
