"""The shapes of /api/v1/applications and /api/v1/workbench: what a client sends and what it gets back.

Every string a client sends is bounded and free of control characters (PostgreSQL refuses NUL in text
and JSON); the form's answers may be any JSON the form's fields take, checked by the same walk
(``clean_answers``: no NUL, no NaN or infinity, bounded). What the form itself says of the answers is
the services' word (``invalid_form``, ``prefill_tampered``), not the schema's.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import StrictFloat, StrictInt, StringConstraints, field_validator, model_validator

from yiwang.core.schemas import PageQuery

# One line of text (no control characters at all), and text that may span lines (reasons, notes).
_LINE = r"^[^\x00-\x1f\x7f]*$"
_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Code = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=_LINE)]
Line = Annotated[str, StringConstraints(max_length=300, pattern=_LINE)]
Text = Annotated[str, StringConstraints(max_length=2000, pattern=_TEXT)]
UploadReference = Annotated[
    str, StringConstraints(min_length=1, max_length=2000, pattern=r"^[A-Za-z0-9_\-:.]+$")
]
SITUATION_ANSWER = r"^[^\x00-\x1f\x7f:]+:[^\x00-\x1f\x7f]+$"
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]{1,100}$"
SurfaceValue = (
    Annotated[str, StringConstraints(max_length=200, pattern=_LINE)]
    | StrictInt
    | Annotated[StrictFloat, Field(allow_inf_nan=False)]
)
CaseNumber = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=_LINE)]

MAX_ANSWERS = 200  # a form has at most 200 fields (services.form_schema)
MAX_ANSWER_CHARS = 20_000  # one answer
MAX_ANSWER_ITEMS = 200  # one list answer
MAX_SITUATION = 50
MAX_MATERIALS = 50
EARLIEST_DAY, LATEST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)
MAX_ID = 2**63 - 1
# pydantic names a dict's key pattern in patternProperties; other keys are refused too (say so).
ONLY_PATTERN_KEYS = {"additionalProperties": False}


def _check_value(value: Any, depth: int) -> None:
    if isinstance(value, str):
        if len(value) > MAX_ANSWER_CHARS:
            raise ValueError(f"单项内容不超过 {MAX_ANSWER_CHARS} 个字符")
        if "\x00" in value:
            raise ValueError("内容不能包含空字符")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError("数值须为有限数")
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**15:
        raise ValueError("数值超出范围")
    elif isinstance(value, list):
        if depth > 2 or len(value) > MAX_ANSWER_ITEMS:
            raise ValueError("列表过长或嵌套过深")
        for one in value:
            _check_value(one, depth + 1)
    elif isinstance(value, dict):
        if depth > 2 or len(value) > MAX_ANSWER_ITEMS:
            raise ValueError("对象过大或嵌套过深")
        for key, one in value.items():
            _check_value(key, depth + 1)
            _check_value(one, depth + 1)


def clean_answers(value: dict[str, Any]) -> dict[str, Any]:
    """The form's answers as sent, refused if they hold what no field takes (NUL, NaN, huge values)."""
    if len(value) > MAX_ANSWERS:
        raise ValueError(f"申请表字段不超过 {MAX_ANSWERS} 个")
    for key, one in value.items():
        _check_value(key, 0)
        _check_value(one, 0)
    return value


# Requests --------------------------------------------------------------------------------------------


class BodyIn(Schema):
    """A JSON object (ninja would read the defaults of an all-optional schema out of ``[]`` or ``null``)."""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        if not isinstance(getattr(value, "_obj", value), dict):
            raise ValueError("须为 JSON 对象")
        return value


class ApplicationIn(BodyIn):
    """A submission: what is applied for, for whom, the form's answers and the materials' uploads."""

    implementation_code: Code | None = Field(
        None, description="实施清单编码（单个事项）；与 bundle_code 二选一"
    )
    bundle_code: Code | None = Field(None, description="一件事编码，如 second-hand-house-transfer")
    applicant_kind: Literal["person", "enterprise"] = Field(
        "person", description="申请主体类型：person 个人，enterprise 企业"
    )
    holder_code: Annotated[str, StringConstraints(min_length=1, max_length=18, pattern=_LINE)] = Field(
        description="申请主体证件号码：本人公民身份号码，或企业统一社会信用代码（法定代表人本人或受托人）"
    )
    mandate_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="代办时所用的授权委托编号；不填则自动选用有效且覆盖该事项的委托"
    )
    situation: dict[Code, Code | list[Code]] = Field(
        json_schema_extra=ONLY_PATTERN_KEYS,
        default_factory=dict,
        max_length=MAX_SITUATION,
        description="情形引导的回答：问题编码 → 选项编码（多选为列表），决定显示的字段与所需材料",
    )
    data: dict[Code, Any] = Field(
        json_schema_extra=ONLY_PATTERN_KEYS,
        default_factory=dict,
        description="申请表字段编码 → 填写值（预填字段可不填，服务器按来源重新核验并填入）",
    )
    prefilled: dict[Code, Any] = Field(
        json_schema_extra=ONLY_PATTERN_KEYS,
        default_factory=dict,
        description="客户端展示为预填的字段及其值（只用于比对，从不信任；"
        "被改动的预填字段返回 prefill_tampered）",
    )
    materials: dict[Code, UploadReference] = Field(
        json_schema_extra=ONLY_PATTERN_KEYS,
        default_factory=dict,
        max_length=MAX_MATERIALS,
        description="材料编码 → 上传引用（POST /applications/uploads 返回的 upload）；"
        "只需提交表单接口 materials 中 needs_upload 为 true 的材料",
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "implementation_code": "000172005001-511602000000-000-11511602MB1234567X-1-00",
                    "applicant_kind": "person",
                    "holder_code": "511602199001011234",
                    "situation": {"employed": "no"},
                    "data": {"phone": "13800000000", "kind": "a"},
                    "prefilled": {"applicant_name": "张三"},
                    "materials": {"application_form": "eyJ1Ijo...:1uQ2xY:abc"},
                }
            ]
        }
    }

    @field_validator("data", "prefilled")
    @classmethod
    def _answers(cls, value: dict[str, Any]) -> dict[str, Any]:
        return clean_answers(value)


class SupplementIn(BodyIn):
    """The applicant's answer to a supplement notice (补正): exactly the items it lists."""

    data: dict[Code, Any] = Field(
        default_factory=dict, json_schema_extra=ONLY_PATTERN_KEYS, description="告知书所列字段的新值"
    )
    materials: dict[Code, UploadReference] = Field(
        json_schema_extra=ONLY_PATTERN_KEYS,
        default_factory=dict,
        max_length=MAX_MATERIALS,
        description="告知书所列材料编码 → 上传引用",
    )
    expected_revision: int | None = Field(
        None, ge=0, le=MAX_ID, description="乐观并发：办件当前 revision，不一致时返回 409 stale_revision"
    )

    model_config = {
        "json_schema_extra": {
            "examples": [{"data": {"phone": "13900000000"}, "materials": {"income_proof": "eyJ1...:abc"}}]
        }
    }

    @field_validator("data")
    @classmethod
    def _answers(cls, value: dict[str, Any]) -> dict[str, Any]:
        return clean_answers(value)


class RevisionIn(BodyIn):
    expected_revision: int | None = Field(
        None, ge=0, le=MAX_ID, description="乐观并发：办件当前 revision，不一致时返回 409 stale_revision"
    )


class WithdrawIn(RevisionIn):
    reason: Line = Field("", description="撤回说明（可不填）")


class ApplicationListQuery(PageQuery):
    status: (
        Literal[
            "submitted",
            "supplement",
            "accepted",
            "suspended",
            "not_accepted",
            "approved",
            "refused",
            "withdrawn",
            "open",
            "closed",
        ]
        | None
    ) = Field(None, description="状态，或 open（办理中）、closed（已办结）")
    item: Code | None = Field(None, description="事项编码（一件事按其包含的事项匹配）")
    holder_code: Code | None = Field(None, description="申请主体证件号码（代办或企业时筛选）")
    submitted_from: dt.date | None = Field(
        None, ge=EARLIEST_DAY, le=LATEST_DAY, description="提交日期起（含）"
    )
    submitted_to: dt.date | None = Field(None, ge=EARLIEST_DAY, le=LATEST_DAY, description="提交日期止（含）")


class FormQuery(Schema):
    holder_code: Code | None = Field(None, description="申请主体证件号码；默认为本人公民身份号码")
    applicant_kind: Literal["person", "enterprise"] = Field("person", description="申请主体类型")
    situation: list[Annotated[str, StringConstraints(max_length=200, pattern=SITUATION_ANSWER)]] = Field(
        default_factory=list,
        max_length=MAX_SITUATION,
        description="情形回答，每个为“问题编码:选项编码”，可重复（多选时同一问题重复）",
    )


class PublicStatusQuery(Schema):
    number: CaseNumber = Field(description="办件编号（27 位，含校验位）")
    query_code: Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=_LINE)] = Field(
        description="提交时获得的 8 位查询码"
    )


class QueueQuery(PageQuery):
    department_id: int | None = Field(None, ge=1, le=MAX_ID, description="只看某一部门")
    claimed: Literal["mine", "unclaimed"] | None = Field(
        None, description="mine 我已签收的，unclaimed 未签收的；不填为两者"
    )
    escalations_only: bool = Field(False, description="只看督办")


class RefuseIn(RevisionIn):
    reason: Text = Field(min_length=1, description="不予受理的理由")
    legal_basis: Line = Field(min_length=1, description="法律依据")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"reason": "申请事项不属于本机关职权范围", "legal_basis": "《行政许可法》第三十二条"}
            ]
        }
    }


class SupplementItemIn(BodyIn):
    kind: Literal["material", "field"] = Field(description="material 材料，field 申请表字段")
    key: Code = Field(description="材料编码或字段编码")
    problem: Line = Field(min_length=1, description="问题与补正要求")


class SupplementRequestIn(RevisionIn):
    items: list[SupplementItemIn] = Field(
        min_length=1, max_length=100, description="一次性告知的全部补正事项"
    )
    note: Text = Field("", description="说明")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "items": [
                        {"kind": "material", "key": "income_proof", "problem": "收入证明未加盖单位公章"},
                        {"kind": "field", "key": "phone", "problem": "联系电话无法接通，请核对"},
                    ],
                    "note": "请在 30 日内补正",
                }
            ]
        }
    }


class SuspendIn(RevisionIn):
    kind: Literal["expert_review", "hearing", "public_notice", "inspection"] = Field(
        description="expert_review 专家评审、hearing 听证、public_notice 公示、inspection 现场勘验"
    )
    reason: Text = Field(min_length=1, description="原因")
    legal_basis: Line = Field("", description="依据")
    unit: Literal["working", "calendar"] = Field("working", description="计时单位：工作日或自然日")


class ExtendIn(RevisionIn):
    days: int = Field(ge=1, le=366, description="延长天数")
    reason: Text = Field(min_length=1, description="延长理由")
    legal_basis: Line = Field(min_length=1, description="依据，如《行政许可法》第四十二条")
    unit: Literal["working", "calendar"] = Field("working", description="计时单位：工作日或自然日")


class HandOverIn(RevisionIn):
    to_user: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_LINE)] = Field(
        description="接收人的用户标识（public_id），须在该环节的部门与区划内有相应角色"
    )
    reason: Line = Field(min_length=1, description="转交原因")


class CompleteIn(RevisionIn):
    data: dict[Code, Any] = Field(
        json_schema_extra=ONLY_PATTERN_KEYS,
        default_factory=dict,
        description="环节办理结果（写入流程数据），如审查意见",
    )

    @field_validator("data")
    @classmethod
    def _answers(cls, value: dict[str, Any]) -> dict[str, Any]:
        return clean_answers(value)


class DecideIn(RevisionIn):
    decision: Literal["approve", "refuse"] = Field(description="approve 准予，refuse 不予")
    reason: Text = Field(min_length=1, description="决定理由")
    legal_basis: Line = Field(min_length=1, description="法律依据")
    task_id: int | None = Field(None, ge=1, le=MAX_ID, description="决定环节（并行会签时指明哪一个）")
    result_surface: dict[Code, SurfaceValue] | None = Field(
        None,
        max_length=50,
        json_schema_extra=ONLY_PATTERN_KEYS,
        description="准予时结果电子证照中申请表未提供的照面信息（如不动产单元号、核定税额）："
        "字段 → 文字或数字",
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "decision": "approve",
                    "reason": "申请材料齐全，符合法定形式",
                    "legal_basis": "《行政许可法》第三十八条第一款",
                    "expected_revision": 4,
                }
            ]
        }
    }


# Answers ---------------------------------------------------------------------------------------------


class UploadOut(Schema):
    upload: str = Field(description="上传引用：提交申请或补正时放在 materials 中；仅上传者本人可用")
    file_name: str
    content_type: str = Field(description="按文件内容识别的类型：application/pdf、image/png、image/jpeg")
    size: int
    sha256: str
    expires_at: dt.datetime = Field(description="引用的有效期限，过期后须重新上传")


class SubmissionOut(Schema):
    number: str = Field(description="办件编号")
    status: str
    status_label: str
    submitted_at: dt.datetime
    query_code: str | None = Field(
        description="查询码：凭办件编号与查询码免登录查询进度。只在首次应答中给出；"
        "以同一幂等键重放时在 24 小时内原样返回，之后为 null"
    )
    detail_url: str
    receipt_url: str

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "number": "511602000000202610080000123",
                    "status": "submitted",
                    "status_label": "已提交，待受理",
                    "submitted_at": "2026-10-08T09:30:00+08:00",
                    "query_code": "7KQ2M9XA",
                    "detail_url": "/api/v1/applications/511602000000202610080000123",
                    "receipt_url": "/api/v1/applications/511602000000202610080000123/receipt",
                }
            ]
        }
    }


class CaseSummaryOut(Schema):
    number: str
    name: str = Field(description="事项或一件事名称")
    implementation_code: str | None
    bundle_code: str | None
    department: str = Field(description="受理部门")
    applicant_kind: str
    holder_name: str
    status: str
    status_label: str
    channel: str
    revision: int = Field(description="修订号：每次变化加一；办理操作可用 expected_revision 做乐观并发检查")
    submitted_at: dt.datetime
    accepted_at: dt.datetime | None
    statutory_due: dt.date | None = Field(description="法定办结日期")
    promised_due: dt.date | None = Field(description="承诺办结日期")
    closed_at: dt.datetime | None


class EventOut(Schema):
    at: dt.datetime
    kind: str = Field(description="事件类型，如 case.submitted、case.accepted")
    text: str
    is_public: bool = Field(description="申请人可见（工作人员视图另含内部记录）")


class StopOut(Schema):
    kind: str
    label: str
    reason: str
    legal_basis: str
    started_on: dt.date
    ended_on: dt.date | None
    days: int
    unit: str
    is_open: bool


class ClockOut(Schema):
    accepted_on: dt.date | None
    statutory_due: dt.date | None
    promised_due: dt.date | None
    is_running: bool
    stopped_by: str = Field(description="暂停计时的原因（补正、特别程序），空串表示未暂停")
    working_days_left: int | None
    is_overdue: bool
    stops: list[StopOut]


class MaterialOut(Schema):
    key: str
    name: str
    source: str = Field(
        description="license 电子证照、shared_data 共享数据、vault 材料库、upload 上传、paper_scan 窗口扫描"
    )
    source_label: str
    trust: int = Field(description="可信等级：3 签名核验，2 共享数据核验，1 申请人提交")
    trust_label: str
    license_identifier: str | None
    file_name: str
    content_type: str
    size: int
    sha256: str
    superseded: bool = Field(description="已被补正材料替换")
    note: str


class SupplementOut(Schema):
    id: int
    items: list[dict[str, str]] = Field(description='[{"kind": "material"|"field", "key": …, "problem": …}]')
    note: str
    requested_at: dt.datetime
    answered_at: dt.datetime | None


class PartOut(Schema):
    number: str
    name: str
    department: str
    status: str
    status_label: str
    promised_due: dt.date | None


class PersonOut(Schema):
    public_id: str
    name: str


class TaskOut(Schema):
    id: int
    bpmn_id: str
    name: str
    role: str
    department: str
    state: str
    claimed_by: PersonOut | None
    due_on: dt.date | None
    is_escalation: bool
    created_at: dt.datetime
    completed_at: dt.datetime | None


class CaseOut(CaseSummaryOut):
    view: Literal["applicant", "staff"] = Field(
        description="applicant 申请人一方视图；staff 工作人员视图（含环节与内部记录）"
    )
    holder_code: str
    item_code: str | None
    parent: str | None = Field(description="一件事主件的办件编号（子件时）")
    data: dict[str, Any] = Field(description="申请表内容")
    prefilled: dict[str, str] = Field(description="预填字段 → 来源说明（已在提交时由服务器核验）")
    decision: str
    decision_reason: str
    decision_basis: str
    result_license: str | None = Field(description="结果电子证照标识")
    flagged_reason: str
    clock: ClockOut
    timeline: list[EventOut]
    materials: list[MaterialOut]
    supplements: list[SupplementOut]
    parts: list[PartOut] = Field(description="一件事的各部门子件")
    tasks: list[TaskOut] = Field(description="流程环节（仅工作人员视图）")


class CaseStateOut(Schema):
    """A case after a staff action: where it stands and what is ready next."""

    number: str
    status: str
    status_label: str
    revision: int
    statutory_due: dt.date | None
    promised_due: dt.date | None
    ready_tasks: list[TaskOut]


class QueueTaskOut(Schema):
    id: int
    case_number: str
    case_name: str
    case_status: str
    bpmn_id: str
    name: str
    role: str
    department_id: int
    claimed_by: PersonOut | None
    due_on: dt.date | None
    is_escalation: bool
    created_at: dt.datetime


class OptionOut(Schema):
    value: str
    label: str


class PrefillOut(Schema):
    value: Any
    source: str = Field(description="来源：register:资源代码、license:证照标识、account")
    label: str = Field(description="来源说明，如“人口库（经数据共享交换）”")


class FormFieldOut(Schema):
    key: str
    section: str
    label: str
    type: str
    required: bool
    help: str
    placeholder: str
    options: list[OptionOut]
    validation: dict[str, Any]
    material: str | None = Field(description="type 为 file 时对应的材料编码")
    locked: bool = Field(description="已预填并锁定：提交时服务器重新核验，改动则拒绝（prefill_tampered）")
    prefill: PrefillOut | None


class PlannedMaterialOut(Schema):
    key: str = Field(description="材料编码：提交时 materials 的键")
    name: str
    requirement: str
    satisfied_by: str = Field(description="license、shared_data、vault、upload 或 exempt（情形免交）")
    needs_upload: bool
    why: str = Field(description="无需提交的原因（中文）")


class FormOut(Schema):
    kind: Literal["implementation", "bundle"]
    code: str
    name: str
    form_version: int | None = Field(description="表单版本（一件事为各部分表单的合并，无版本）")
    department: str
    holder_code: str
    applicant_kind: str
    fields: list[FormFieldOut] = Field(description="按情形回答显示的字段，含预填值与来源")
    materials: list[PlannedMaterialOut]


class PublicEventOut(Schema):
    at: dt.datetime
    text: str


class PublicPartOut(Schema):
    name: str
    department: str
    status: str
    status_label: str


class PublicStatusOut(Schema):
    number: str
    name: str
    department: str
    status: str
    status_label: str
    submitted_on: dt.date
    accepted_on: dt.date | None
    statutory_due: dt.date | None
    promised_due: dt.date | None
    closed_on: dt.date | None
    events: list[PublicEventOut]
    parts: list[PublicPartOut]
