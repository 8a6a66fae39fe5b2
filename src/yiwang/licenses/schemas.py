"""API schemas of the licenses router."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict


class LicenseTypeOut(Schema):
    code: str
    name: str
    holder_kind: str
    issuer_description: str
    validity_kind: str
    validity_years: int | None
    field_schema: dict[str, Any]


class PublicKeyOut(Schema):
    key_id: str
    department_credit_code: str
    department_name: str
    algorithm: str = "SM2-with-SM3"
    user_id: str = "1234567812345678"
    status: str
    activated_at: dt.datetime
    retired_at: dt.datetime | None
    public_key_pem: str


class LicenseSummaryOut(Schema):
    identifier: str
    type_code: str
    type_name: str
    issuer_name: str
    holder_name: str
    issued_on: dt.date
    valid_until: dt.date | None
    status: str
    trust_level: str


class StatusChangeOut(Schema):
    from_status: str
    to_status: str
    reason: str
    created_at: dt.datetime


class LicenseOut(LicenseSummaryOut):
    issuer_credit_code: str
    holder_kind: str
    holder_code: str
    surface: dict[str, Any]
    key_id: str
    history: list[StatusChangeOut] = []


class VerifyIn(Schema):
    """Give ``identifier`` or ``bundle`` (a bundle wins); with neither the answer is 400
    ``identifier_or_bundle_required``."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {
                    "required": ["identifier"],
                    "properties": {"identifier": {"type": "string", "minLength": 1}},
                },
                {"required": ["bundle"], "properties": {"bundle": {"type": "object"}}},
            ]
        }
    )

    identifier: str | None = Field(None, max_length=80, description="验证平台登记的证照")
    bundle: dict[str, Any] | None = Field(
        None,
        description="GET /licenses/{identifier}/bundle 下载的验证包（JSON 嵌套不超过 32 层）",
    )


class VerificationOut(Schema):
    is_valid: bool
    signature_ok: bool
    key_status: str
    status: str
    within_validity: bool
    problems: list[str]
    license: dict[str, Any]


class BundleOut(Schema):
    format: str
    identifier: str
    algorithm: str
    user_id: str
    key_id: str
    canonical: str = Field(description="RFC 8785 规范化 JSON 的 Base64")
    signature: str = Field(description="DER 编码 SM2 签名的 Base64")
    public_key_pem: str
    key_url: str


class IssueIn(Schema):
    type_code: str = Field(max_length=32)
    issuer_credit_code: str = Field(max_length=18)
    holder_code: str = Field(max_length=18)
    holder_name: str = Field(max_length=200)
    surface: dict[str, Any]
    valid_until: dt.date | None = None


class StatusIn(Schema):
    status: str = Field(pattern="^(valid|suspended|revoked)$")
    reason: str = Field(min_length=1, max_length=200)


class ReadIn(Schema):
    requester_credit_code: str = Field(max_length=18)


class ShowOut(Schema):
    token: str
    url: str
    expires_at: dt.datetime


class ConsentIn(Schema):
    holder_code: str = Field(max_length=18)
    identifier: str | None = Field(None, max_length=80)
    type_code: str | None = Field(None, max_length=32)
    requester_credit_code: str = Field(max_length=18)
    requester_system: str = Field("", max_length=100)
    purpose: str = Field(min_length=1, max_length=200)
    expires_at: dt.datetime


class ConsentOut(Schema):
    id: int
    holder_code: str
    identifier: str | None
    type_code: str | None
    requester_credit_code: str
    requester_name: str
    requester_system: str
    purpose: str
    channel: str
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    is_active: bool


class UseOut(Schema):
    identifier: str
    requester_name: str | None
    purpose: str
    outcome: str
    created_at: dt.datetime


class ConsentRequestIn(Schema):
    requester_credit_code: str = Field(max_length=18)
    type_code: str = Field(max_length=32)
    purpose: str = Field(min_length=1, max_length=200)
    consent_days: int = Field(1, ge=1, le=366)


class ConsentRequestOut(Schema):
    token: str
    url: str
    expires_at: dt.datetime


class AcceptIn(Schema):
    holder_code: str = Field(max_length=18)


class ImportOut(Schema):
    id: int
    status: str
    file_name: str
    total_rows: int
    processed_rows: int
    imported_count: int
    errors: list[dict[str, Any]]
