"""Bind each request's channel, request id and address to the audit context, and echo the request id."""

from __future__ import annotations

from yiwang.core import call_context as context


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = context.request_id_from(request.headers.get("X-Request-ID"))
        with context.bound(
            channel=context.channel_for_path(request.path),
            request_id=request_id,
            ip_address=request.META.get("REMOTE_ADDR") or None,
            system="",
        ):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
