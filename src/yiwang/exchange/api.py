"""/api/v1/exchange: departmental systems call the resources they are granted (client credentials).

Every answer, a refusal included, is an envelope ``{"payload": …, "signature": …}``: the platform's SM2
signature over the payload's RFC 8785 bytes, checkable with OpenSSL and the key at
``/exchange/signing-key``. That holds for the answers the API root gives before a handler runs, too: a
missing or bad token (401 ``token_required`` / ``invalid_token``), a token without the scope (403
``insufficient_scope``), a body that is not JSON (400 ``invalid_json``, 415 ``unsupported_media_type``)
or does not fit the schema (400 ``invalid_input``) are re-signed here, on these routes only (the rest of
the API keeps its plain error shape). Every call, allowed or refused, is in the audit log with the
consuming department, the purpose (the service item code) and the case number.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.decorators import decorate_view
from pydantic import StringConstraints

from yiwang.core.api_auth import has_bearer_header, system_scope
from yiwang.core.errors import DomainError

from .constants import EXCHANGE_SCOPE
from .selectors import list_granted_methods, query_resource, verify_assertions
from .selectors.calls import MAX_BATCH_KEYS, MAX_KEY_LENGTH, query_batch, verify_batch
from .signing import published_key, signed

router = Router(tags=["exchange"])
MAX_ITEMS = 30
MAX_ASSERTIONS = 20

# No control characters anywhere (PostgreSQL refuses NUL in text; nothing legitimate needs them).
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
Text = Annotated[str, StringConstraints(max_length=200, pattern=_PRINTABLE)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=MAX_KEY_LENGTH, pattern=_PRINTABLE)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=60, pattern=_PRINTABLE)]
KEY_DESCRIPTION = (
    "主键：公民身份号码、统一社会信用代码、不动产权证书号或单元号、电子证照标识"
    "（见 /exchange/methods 的 key）"
)


class AnswerSignatureOut(Schema):
    algorithm: str = Field(description="SM2-SM3：SM2 签名，SM3 摘要")
    key_id: str = Field(description="平台交换签名密钥标识（见 /exchange/signing-key）")
    distid: str = Field(description="SM2 用户标识（OpenSSL -sigopt distid:…）")
    value: str = Field(description="DER 编码签名的 Base64")


class SignedAnswerOut(Schema):
    payload: dict[str, Any] = Field(
        description="应答内容；签名针对其 RFC 8785 规范化 JSON 字节。拒绝与错误为 "
        '{"error": {"code", "message", "details"}, "answered_at"}'
    )
    signature: AnswerSignatureOut


class ExchangeQueryIn(Schema):
    resource: str = Field(max_length=40, pattern=_PRINTABLE, description="资源代码")
    key: Key = Field(description=KEY_DESCRIPTION)
    items: list[Code] = Field(min_length=1, max_length=MAX_ITEMS, description="信息项代码，须在授权范围内")
    purpose: str = Field(
        min_length=1, max_length=40, pattern=_PRINTABLE, description="用途：授权所列的事项编码之一"
    )
    case_number: str = Field(
        min_length=1, max_length=100, pattern=_PRINTABLE, description="办件编号，记入审计日志并向本人展示"
    )


class ExchangeBatchIn(Schema):
    resource: str = Field(max_length=40, pattern=_PRINTABLE, description="资源代码")
    keys: list[Key] = Field(
        description=f"主键，1–{MAX_BATCH_KEYS} 个，不得重复（空批 batch_empty、超量 batch_too_large、"
        "重复 duplicate_keys，均为 400）；结果按此顺序逐个返回",
        json_schema_extra={"maxItems": MAX_BATCH_KEYS},
    )
    items: list[Code] = Field(min_length=1, max_length=MAX_ITEMS, description="信息项代码，须在授权范围内")
    purpose: str = Field(
        min_length=1, max_length=40, pattern=_PRINTABLE, description="用途：授权所列的事项编码之一"
    )
    case_number: str = Field(min_length=1, max_length=100, pattern=_PRINTABLE, description="办件（批次）编号")


class ExchangeVerifyIn(Schema):
    resource: str = Field(max_length=40, pattern=_PRINTABLE, description="资源代码")
    key: Key = Field(
        description=KEY_DESCRIPTION + "；owner_of 以权利人身份号码，holds_license 可以持证主体证件号"
    )
    assertions: dict[Code, bool | int | Text] = Field(
        max_length=MAX_ASSERTIONS,
        description='核验项，如 {"alive": true, "age_over": 18, "name": "张三"}。'
        "人口：alive、age_over、name；法人：name、active、representative；"
        "不动产：owner_of（证书号或单元号）；社保：insured、insurance_active"
        "（true 或险种代码 pension/medical/unemployment/injury）；公积金：housing_fund_active；"
        "信用：has_dishonest_record；电子证照：holds_license（证照类型代码）、valid、holder。"
        "只答真假，不返回数据",
    )
    purpose: str = Field(
        min_length=1, max_length=40, pattern=_PRINTABLE, description="用途：授权所列的事项编码之一"
    )
    case_number: str = Field(min_length=1, max_length=100, pattern=_PRINTABLE, description="办件编号")


class ExchangeVerifyBatchIn(Schema):
    resource: str = Field(max_length=40, pattern=_PRINTABLE, description="资源代码")
    keys: list[Key] = Field(
        description=f"主键，1–{MAX_BATCH_KEYS} 个，不得重复（空批 batch_empty、超量 batch_too_large、"
        "重复 duplicate_keys，均为 400）；每个主键核验同样的核验项，结果按此顺序逐个返回",
        json_schema_extra={"maxItems": MAX_BATCH_KEYS},
    )
    assertions: dict[Code, bool | int | Text] = Field(
        max_length=MAX_ASSERTIONS,
        description="核验项，同 /exchange/verify；对每个主键逐项答真假，不返回数据",
    )
    purpose: str = Field(
        min_length=1, max_length=40, pattern=_PRINTABLE, description="用途：授权所列的事项编码之一"
    )
    case_number: str = Field(min_length=1, max_length=100, pattern=_PRINTABLE, description="办件（批次）编号")


class ExchangeKeyOut(Schema):
    key_id: str
    algorithm: str
    distid: str
    public_key_pem: str


# Every status these routes answer is a signed envelope (the API root's errors are re-signed below).
SIGNED = dict.fromkeys((200, 400, 401, 403, 404, 415), SignedAnswerOut)


def _refusal(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "error": {"code": code, "message": message, "details": details or {}},
        "answered_at": timezone.now().isoformat(),
    }


def _answer(call: Callable[[], dict[str, Any]]) -> Status:
    """The call's payload, or its refusal, signed either way."""
    try:
        return Status(200, signed(call()))
    except DomainError as error:
        return Status(error.status, signed(_refusal(error.code, error.message, error.details)))


def _unsigned_error(response: HttpResponse) -> dict[str, Any] | None:
    """The API root's ``{"error": …}`` body of an error response, or None when it is already signed."""
    if response.status_code < 400 or not response.get("Content-Type", "").startswith("application/json"):
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return body["error"] if isinstance(body, dict) and isinstance(body.get("error"), dict) else None


def _re_signed(request: HttpRequest, response: HttpResponse, error: dict[str, Any]) -> HttpResponse:
    code, message = error.get("code", "error"), error.get("message", "")
    if response.status_code == 401:
        # a system has no session to log in to: say what is wrong with its token (RFC 6750 3.1)
        if has_bearer_header(request):
            code, message = "invalid_token", "访问令牌无效、已过期，或不是以客户端凭证取得的系统令牌"
            response["WWW-Authenticate"] = 'Bearer realm="yiwang-exchange", error="invalid_token"'
        else:
            code, message = "token_required", "须以 Authorization: Bearer 携带客户端凭证访问令牌"
            response["WWW-Authenticate"] = 'Bearer realm="yiwang-exchange"'
    body = json.dumps(signed(_refusal(code, message, error.get("details"))), ensure_ascii=False)
    answer = HttpResponse(body, status=response.status_code, content_type="application/json; charset=utf-8")
    for header, value in response.items():
        if header.lower() not in {"content-type", "content-length"}:
            answer[header] = value
    return answer


def _signed_errors(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap an operation so the API root's own error answers (authentication, body, schema) go out signed."""

    @functools.wraps(run)
    def signed_run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = run(request, *args, **kwargs)
        error = _unsigned_error(response)
        return response if error is None else _re_signed(request, response, error)

    return signed_run


@router.get(
    "/exchange/methods",
    response=SIGNED,
    auth=system_scope(EXCHANGE_SCOPE),
    summary="本系统可调用的资源、信息项、主键、核验项与用途（allowedMethods）",
)
@decorate_view(_signed_errors)
def list_methods(request):
    return _answer(lambda: list_granted_methods(system=request.auth_client))


@router.post(
    "/exchange/query",
    response=SIGNED,
    auth=system_scope(EXCHANGE_SCOPE),
    summary="按授权查询一条记录（仅授权信息项，按级别与授权脱敏）",
)
@decorate_view(_signed_errors)
def query(request, payload: ExchangeQueryIn):
    """Refusals (403) name why: no_grant, grant_revoked, grant_expired, purpose_not_granted,
    items_not_granted, resource_not_shared; nothing of the record is returned with them. The subject is
    named only by ``key_digest`` (HMAC-SM3 under the platform's key)."""
    return _answer(
        lambda: query_resource(
            system=request.auth_client,
            resource_code=payload.resource,
            key=payload.key,
            items=payload.items,
            purpose=payload.purpose,
            case_number=payload.case_number,
        )
    )


@router.post(
    "/exchange/query/batch",
    response=SIGNED,
    auth=system_scope(EXCHANGE_SCOPE),
    summary=f"批量查询（至多 {MAX_BATCH_KEYS} 个主键）：一次授权检查，逐个返回 found / not_found / refused",
)
@decorate_view(_signed_errors)
def query_in_batch(request, payload: ExchangeBatchIn):
    """One signed answer: ``results`` in the order of ``keys``, each with ``index``, ``key_digest``,
    ``status`` and the masked ``items`` (found) or the ``error`` (not_found, refused); ``counts`` per status.
    All keys are read at once; each key's read has its own audit entry, so each person's data tracker
    shows it."""
    return _answer(
        lambda: query_batch(
            system=request.auth_client,
            resource_code=payload.resource,
            keys=payload.keys,
            items=payload.items,
            purpose=payload.purpose,
            case_number=payload.case_number,
        )
    )


@router.post(
    "/exchange/verify",
    response=SIGNED,
    auth=system_scope(EXCHANGE_SCOPE),
    summary="核验（可用不可见）：逐项答真假，不返回数据",
)
@decorate_view(_signed_errors)
def verify(request, payload: ExchangeVerifyIn):
    return _answer(
        lambda: verify_assertions(
            system=request.auth_client,
            resource_code=payload.resource,
            key=payload.key,
            assertions=payload.assertions,
            purpose=payload.purpose,
            case_number=payload.case_number,
        )
    )


@router.post(
    "/exchange/verify/batch",
    response=SIGNED,
    auth=system_scope(EXCHANGE_SCOPE),
    summary=f"批量核验（至多 {MAX_BATCH_KEYS} 个主键）：一次授权检查，逐个答真假，不返回数据",
)
@decorate_view(_signed_errors)
def verify_in_batch(request, payload: ExchangeVerifyBatchIn):
    """One signed answer: ``results`` in the order of ``keys``, each with ``index``, ``key_digest``,
    ``status`` and, when ``verified``, ``results`` (true or false per assertion), else the ``error``
    (not_found, refused); ``counts`` per status. The grant is checked once for the whole batch (refusals
    as for ``/exchange/verify``, nothing read); each key's read is logged, so each person's data tracker
    shows it."""
    return _answer(
        lambda: verify_batch(
            system=request.auth_client,
            resource_code=payload.resource,
            keys=payload.keys,
            assertions=payload.assertions,
            purpose=payload.purpose,
            case_number=payload.case_number,
        )
    )


@router.get("/exchange/signing-key", response=ExchangeKeyOut, summary="交换应答签名公钥（SM2，PEM）")
def signing_key(request):
    return published_key()
