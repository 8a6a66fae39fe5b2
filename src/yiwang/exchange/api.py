"""/api/v1/exchange: departmental systems call the resources they are granted (client credentials).

Every answer, a refusal included, is an envelope ``{"payload": …, "signature": …}``: the platform's SM2
signature over the payload's RFC 8785 bytes, checkable with OpenSSL and the key at
``/exchange/signing-key``. Every call, allowed or refused, is in the audit log with the consuming
department, the purpose (the service item code) and the case number.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone
from ninja import Field, Router, Schema, Status

from yiwang.core.api_auth import system_scope
from yiwang.core.errors import DomainError
from yiwang.core.schemas import ErrorOut

from .constants import EXCHANGE_SCOPE
from .selectors import list_granted_methods, query_resource, verify_assertions
from .signing import published_key, signed

router = Router(tags=["exchange"])
MAX_ITEMS = 30


class AnswerSignatureOut(Schema):
    algorithm: str = Field(description="SM2-SM3：SM2 签名，SM3 摘要")
    key_id: str = Field(description="平台交换签名密钥标识（见 /exchange/signing-key）")
    distid: str = Field(description="SM2 用户标识（OpenSSL -sigopt distid:…）")
    value: str = Field(description="DER 编码签名的 Base64")


class SignedAnswerOut(Schema):
    payload: dict[str, Any] = Field(description="应答内容；签名针对其 RFC 8785 规范化 JSON 字节")
    signature: AnswerSignatureOut


class ExchangeQueryIn(Schema):
    resource: str = Field(max_length=40, description="资源代码")
    key: str = Field(min_length=1, max_length=40, description="主键：公民身份号码或统一社会信用代码")
    items: list[str] = Field(min_length=1, max_length=MAX_ITEMS, description="信息项代码，须在授权范围内")
    purpose: str = Field(min_length=1, max_length=40, description="用途：授权所列的事项编码之一")
    case_number: str = Field(min_length=1, max_length=100, description="办件编号，记入审计日志并向本人展示")


class ExchangeVerifyIn(Schema):
    resource: str = Field(max_length=40, description="资源代码")
    key: str = Field(min_length=1, max_length=40, description="主键：公民身份号码或统一社会信用代码")
    assertions: dict[str, bool | int | str] = Field(
        description='核验项，如 {"alive": true, "age_over": 18, "name": "张三"}；'
        "法人：name、active、representative。只答真假，不返回数据"
    )
    purpose: str = Field(min_length=1, max_length=40, description="用途：授权所列的事项编码之一")
    case_number: str = Field(min_length=1, max_length=100, description="办件编号")


class ExchangeKeyOut(Schema):
    key_id: str
    algorithm: str
    distid: str
    public_key_pem: str


SIGNED = {
    200: SignedAnswerOut,
    400: SignedAnswerOut,
    403: SignedAnswerOut,
    404: SignedAnswerOut,
    401: ErrorOut,
}


def _answer(call: Callable[[], dict[str, Any]]) -> Status:
    """The call's payload, or its refusal, signed either way."""
    try:
        return Status(200, signed(call()))
    except DomainError as error:
        refusal = {
            "error": {"code": error.code, "message": error.message, "details": error.details},
            "answered_at": timezone.now().isoformat(),
        }
        return Status(error.status, signed(refusal))


@router.get(
    "/exchange/methods",
    response=SIGNED,
    auth=system_scope(EXCHANGE_SCOPE),
    summary="本系统可调用的资源、信息项与用途（allowedMethods）",
)
def list_methods(request):
    return _answer(lambda: list_granted_methods(system=request.auth_client))


@router.post(
    "/exchange/query",
    response=SIGNED,
    auth=system_scope(EXCHANGE_SCOPE),
    summary="按授权查询一条记录（仅授权信息项，按级别与授权脱敏）",
)
def query(request, payload: ExchangeQueryIn):
    """Refusals (403) name why: no_grant, grant_revoked, grant_expired, purpose_not_granted,
    items_not_granted, resource_not_shared; nothing of the record is returned with them."""
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
    "/exchange/verify",
    response=SIGNED,
    auth=system_scope(EXCHANGE_SCOPE),
    summary="核验（可用不可见）：逐项答真假，不返回数据",
)
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


@router.get("/exchange/signing-key", response=ExchangeKeyOut, summary="交换应答签名公钥（SM2，PEM）")
def signing_key(request):
    return published_key()
