"""API shapes of the identity domain; identifiers are masked unless the owner reads them."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from ninja import Field, Schema


class StaffRoleOut(Schema):
    department: str
    department_credit_code: str
    role: str
    role_label: str
    region_code: str


class EnterpriseOut(Schema):
    credit_code: str
    name: str


class MeOut(Schema):
    public_id: UUID
    username: str
    name: str
    assurance_level: int
    assurance_label: str
    id_number_masked: str
    phone_masked: str
    phone_verified: bool
    is_staff_member: bool
    staff_roles: list[StaffRoleOut]
    enterprises: list[EnterpriseOut]


class MandateOut(Schema):
    id: int
    principal_kind: str
    principal_name: str
    enterprise_credit_code: str | None
    granted_by_name: str
    agent_name: str
    covers_all_items: bool
    item_codes: list[str]
    valid_from: dt.date
    valid_until: dt.date
    revoked_at: dt.datetime | None
    is_active: bool
    note: str


class MandateIn(Schema):
    enterprise_credit_code: str | None = Field(None, description="代表企业授权时填写；个人委托留空")
    agent_id_number: str = Field(..., max_length=18)
    agent_name: str = Field(..., max_length=30)
    covers_all_items: bool = False
    item_codes: list[str] = Field(default_factory=list, max_length=200)
    valid_from: dt.date
    valid_until: dt.date
    note: str = Field("", max_length=200)


class MandateCheckOut(Schema):
    allowed: bool
    code: str
    message: str


class StaffMemberOut(Schema):
    name: str
    department: str
    department_credit_code: str
    role: str
    role_label: str
    region_code: str
