"""The citizen's objections over the API: /api/v1/me/objections (session, or a token with ``objections``).

Evidence is text, or a file sent as Base64 inside the JSON body (up to ``API_EVIDENCE_MAX_BYTES``: the
request body limit; larger files, up to 5 MB, are uploaded on the page /me/objections/new).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from yiwang.core.api_auth import bearer_scope
from yiwang.core.errors import InvalidInput
from yiwang.core.pagination import paginate
from yiwang.core.schemas import ERROR_RESPONSES, ErrorOut, PageQuery, page_of, render_page

from . import selectors, services
from .constants import OBJECTIONS_SCOPE, TEXT_MAX_LENGTH, VALUE_MAX_LENGTH
from .models import Objection
from .objections import item_label

router = Router(tags=["数据异议"])
AUTH = bearer_scope(OBJECTIONS_SCOPE)
ERRORS = {**ERROR_RESPONSES, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut}
API_EVIDENCE_MAX_BYTES = 1536 * 1024  # Base64 grows it by a third: within Django's 2.5 MB request body


class EvidenceFileIn(Schema):
    name: str = Field("evidence", max_length=100, description="文件名（仅作提示，不用于存储）")
    content_base64: str = Field(
        max_length=API_EVIDENCE_MAX_BYTES * 4 // 3 + 4,
        description=f"文件内容的 Base64 编码：PDF、PNG 或 JPEG，不超过 {API_EVIDENCE_MAX_BYTES // 1024} KB",
    )


class ObjectionIn(Schema):
    register_code: str = Field(
        max_length=30, description="基础库：population 人口库（本人）或 legal_person 法人库（本人代表的企业）"
    )
    record_key: str = Field(max_length=40, description="记录主键：本人公民身份号码或企业统一社会信用代码")
    item: str = Field(max_length=60, description="有误的信息项代码，如 household_address、birth_date")
    proposed_value: str = Field(max_length=VALUE_MAX_LENGTH, description="正确的值；日期为 YYYY-MM-DD")
    description: str = Field(max_length=TEXT_MAX_LENGTH, description="哪里有误")
    evidence_text: str = Field("", max_length=TEXT_MAX_LENGTH, description="证明材料说明")
    evidence_file: EvidenceFileIn | None = Field(None, description="证明材料文件（与说明至少提供一项）")


class ObjectionOut(Schema):
    id: int
    register_code: str
    item: str
    item_label: str
    current_value: str
    proposed_value: str
    description: str
    has_evidence_file: bool
    status: str = Field(description="submitted 待处理、accepted 已更正、rejected 不予更正")
    status_label: str
    department: str = Field(description="处理部门")
    submitted_at: dt.datetime
    due_on: dt.date = Field(description="办理期限（5 个工作日）")
    decided_at: dt.datetime | None
    decision_reason: str
    applied_value: str


def _out(objection: Objection) -> dict:
    return {
        "id": objection.pk,
        "register_code": objection.register,
        "item": objection.item,
        "item_label": item_label(objection.item),
        "current_value": objection.current_value,
        "proposed_value": objection.proposed_value,
        "description": objection.description,
        "has_evidence_file": bool(objection.evidence_file),
        "status": objection.status,
        "status_label": objection.get_status_display(),
        "department": objection.department.name,
        "submitted_at": objection.submitted_at,
        "due_on": objection.due_on,
        "decided_at": objection.decided_at,
        "decision_reason": objection.decision_reason,
        "applied_value": objection.applied_value,
    }


def _evidence_file(evidence: EvidenceFileIn | None) -> SimpleUploadedFile | None:
    if evidence is None:
        return None
    try:
        content = base64.b64decode(evidence.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("证明材料文件不是有效的 Base64 编码", code="invalid_evidence_encoding") from None
    if len(content) > API_EVIDENCE_MAX_BYTES:
        raise InvalidInput(
            f"通过接口上传的证明材料不得超过 {API_EVIDENCE_MAX_BYTES // 1024} KB，更大的文件请在页面上传",
            code="evidence_too_large",
        )
    return SimpleUploadedFile(evidence.name or "evidence", content)


@router.get(
    "/me/objections", response={200: page_of(ObjectionOut), **ERRORS}, auth=AUTH, summary="我的数据异议"
)
def list_objections(request: HttpRequest, page: Query[PageQuery]):
    objections = selectors.list_own_objections(citizen=request.auth)
    found = paginate(objections, ordering=["-submitted_at", "-id"], cursor=page.cursor, limit=page.limit)
    return render_page(found, _out)


@router.post("/me/objections", response={201: ObjectionOut, **ERRORS}, auth=AUTH, summary="提出数据异议")
def submit(request: HttpRequest, payload: ObjectionIn):
    """Object to an item of one's own record; the holding department answers within 5 working days."""
    data = payload.dict(exclude={"evidence_file"})
    objection = services.submit_objection(
        citizen=request.auth,
        register=data.pop("register_code"),
        evidence_file=_evidence_file(payload.evidence_file),
        **data,
    )
    return Status(201, _out(objection))


@router.get(
    "/me/objections/{objection_id}", response={200: ObjectionOut, **ERRORS}, auth=AUTH, summary="数据异议详情"
)
def detail(request: HttpRequest, objection_id: int):
    return _out(selectors.access_own_objection(citizen=request.auth, objection_id=objection_id))
