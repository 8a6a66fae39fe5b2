"""The REST API root (/api/v1): routers of every app, one error format, Chinese returned unescaped."""

from __future__ import annotations

from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from ninja import Schema, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer

from yiwang.applications.api import router as applications_router
from yiwang.catalog.api import router as catalog_router
from yiwang.core.api_auth import InsufficientScope
from yiwang.core.errors import DomainError
from yiwang.exchange.api import router as exchange_router
from yiwang.exchange.api_subscriptions import router as exchange_subscriptions_router
from yiwang.halls.api import router as halls_router
from yiwang.identity.api import router as identity_router
from yiwang.licenses.api import router as licenses_router
from yiwang.notifications.api_messages import router as messages_router
from yiwang.quality.api import router as quality_router
from yiwang.regions.api import router as regions_router
from yiwang.registers.api import router as registers_router
from yiwang.search.api import router as search_router
from yiwang.supervision.api import router as supervision_router

from .audit_log import router as audit_log_router
from .audit_tree import router as audit_tree_router
from .body import StrictJSONParser
from .data_uses import router as data_uses_router
from .openapi import PlatformAPI


class UnescapedJSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


api = PlatformAPI(
    title="一网通办 API",
    version="1",
    description="Yiwang (一网通办) integrated online government services. Errors: "
    '`{"error": {"code": "...", "message": "..."}}`. Request bodies are JSON: another media type is '
    "refused with 415 `unsupported_media_type`, malformed JSON with 400 `invalid_json`, JSON nested "
    "deeper than 32 levels with 400 `json_too_deep`. Authentication: the browser session (unsafe "
    "methods need the CSRF token), or an OIDC access token as `Authorization: Bearer …` that carries "
    "the scope named in the operation's security requirement (else 403 `insufficient_scope`); a token "
    "with `openid` alone opens no endpoint here.",
    renderer=UnescapedJSONRenderer(),
    parser=StrictJSONParser(),
    urls_namespace="api-v1",
    # Swagger UI's default validator badge is an image from validator.swagger.io: none offline.
    docs=Swagger(settings={"validatorUrl": None}),
)


def _error(request: HttpRequest, status: int, code: str, message: str, details: dict | None = None):
    return api.create_response(
        request, {"error": {"code": code, "message": message, "details": details or {}}}, status=status
    )


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    return _error(request, exc.status, exc.code, exc.message, exc.details)


@api.exception_handler(InsufficientScope)
def on_insufficient_scope(request, exc: InsufficientScope):
    response = _error(request, exc.status, exc.code, exc.message, exc.details)
    scope = exc.details.get("required_scope", "")
    response["WWW-Authenticate"] = f'Bearer error="insufficient_scope", scope="{scope}"'  # RFC 6750 3.1
    return response


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc: NinjaValidationError):
    fields = []
    for error in exc.errors:
        location = ".".join(
            str(part) for part in error.get("loc", ()) if part not in {"query", "body", "path"}
        )
        fields.append({"field": location, "message": error.get("msg", "")})
    names = "、".join(field["field"] for field in fields if field["field"]) or "请求"
    return _error(request, 400, "invalid_input", f"参数不合法：{names}", {"fields": fields})


@api.exception_handler(AuthenticationError)
def on_authentication_error(request, exc):
    return _error(request, 401, "not_authenticated", "请先登录")


@api.exception_handler(MultiPartParserError)
def on_multipart_error(request, exc):
    # A multipart body without a boundary or otherwise unreadable (Django's own 400, in our format).
    return _error(request, 400, "invalid_multipart", "请求体不是有效的 multipart/form-data")


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    # ninja wraps whatever the body parser raised ("Cannot parse request body"): answer the cause.
    if isinstance(exc.__cause__, DomainError):
        return on_domain_error(request, exc.__cause__)
    return _error(request, exc.status_code, "http_error", str(exc))


class HealthOut(Schema):
    status: str


@api.get("/health", response=HealthOut, summary="健康检查", tags=["platform"])
def health(request):
    """Liveness: answers without touching the database (also the bare endpoint of the benchmarks)."""
    return {"status": "ok"}


api.add_router("", search_router)
api.add_router("", catalog_router)
api.add_router("", regions_router)
api.add_router("", licenses_router)
api.add_router("", identity_router)
api.add_router("", registers_router)
api.add_router("", exchange_router)
api.add_router("", exchange_subscriptions_router)
api.add_router("", quality_router)
api.add_router("", data_uses_router)
api.add_router("", audit_log_router)
api.add_router("", audit_tree_router)
api.add_router("", applications_router)
api.add_router("", supervision_router)
api.add_router("", halls_router)
api.add_router("", messages_router)
