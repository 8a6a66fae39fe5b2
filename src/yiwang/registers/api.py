"""/api/v1 register look-ups for department staff and systems: one record, the fields asked, a stated ground.

The ID number travels in the body, never in the URL (URLs end up in access logs). Every call passes the
one gate (``access_person_by_id_number``), which checks the caller's role and region and records the read,
allowed or refused, in the audit log the resident can read.
"""

from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Router, Schema

from yiwang.audit.constants import GroundKind
from yiwang.core.api_auth import bearer_scope
from yiwang.core.schemas import ErrorOut

from .constants import PERSON_FIELDS
from .selectors import access_person_by_id_number

router = Router(tags=["registers"])
# The fields of the population register's catalogue, as an enumeration clients can read from the schema.
PersonField = Literal[tuple(sorted(PERSON_FIELDS))]  # type: ignore[valid-type]
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class PersonLookupIn(Schema):
    id_number: str = Field(pattern=r"^(\d{17}[\dXx]|\d{15})$", description="公民身份号码（仅在请求体中传递）")
    fields: list[PersonField] = Field(
        min_length=1,
        max_length=14,
        description="要读取的字段（人口库目录中的字段名），未列入目录的字段被拒绝",
    )
    purpose: str = Field(min_length=1, max_length=200, description="用途，记入审计日志并向本人展示")
    ground_kind: Literal["case", "consent", "item", "legal_basis"] = Field(
        "case",
        description="读取依据：case 办件、consent 用证授权、item 办理事项、legal_basis 法定依据",
    )
    ground_ref: str = Field(
        "",
        max_length=100,
        description="依据编号（办件号、授权编号、事项编码或法律条款）；缺少依据的读取会提醒本人与审计员",
    )


class PersonLookupOut(Schema):
    record: dict[str, Any]


@router.post(
    "/registers/population/lookup",
    response={200: PersonLookupOut, **ERRORS},
    auth=bearer_scope("registers:read"),
    summary="人口库查询（按字段、说明用途与依据，全程留痕）",
)
def look_up_person(request, payload: PersonLookupIn):
    """Missing and forbidden answer alike (404 person_not_found): callers cannot probe who is registered."""
    record = access_person_by_id_number(
        actor=request.auth,
        id_number=payload.id_number,
        purpose=payload.purpose,
        fields=payload.fields,
        ground_kind=payload.ground_kind if payload.ground_ref else GroundKind.NONE,
        ground_ref=payload.ground_ref,
    )
    return {
        "record": {
            name: value.isoformat() if hasattr(value, "isoformat") else value
            for name, value in record.items()
        }
    }
