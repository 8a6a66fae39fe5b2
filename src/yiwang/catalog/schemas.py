"""Response and request schemas of the catalog API: every guide element, with codes and Chinese labels."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from .constants import GUIDE_ELEMENTS

DayUnitCode = Literal["working", "calendar"]  # DayUnit: 工作日 / 自然日 (ADR 0008)


class CodeLabel(Schema):
    """A coded value with its Chinese label, e.g. item type 1 行政许可."""

    code: int | str
    label: str


def choice(value, choices) -> dict | None:
    """A value and its label from a choices list, or None when unset."""
    if value is None or value == "":
        return None
    return {"code": value, "label": str(dict(choices).get(value, value))}


class ItemBrief(Schema):
    code: str
    name: str
    kind: str


class RegionBrief(Schema):
    code: str
    name: str
    full_name: str
    level: int


class DepartmentBrief(Schema):
    credit_code: str
    name: str
    short_name: str
    phone: str
    address: str


class MaterialOut(Schema):
    id: int
    key: str
    name: str
    form: CodeLabel
    copies: int
    medium: CodeLabel
    requirement: CodeLabel
    source: CodeLabel
    source_detail: str
    blank_form_url: str
    sample_url: str
    license_type_code: str = Field(description="可替代该材料的电子证照类型代码（免证办）")
    license_type_name: str
    notes: str

    @staticmethod
    def resolve_form(obj):
        return {"code": obj.form, "label": str(obj.get_form_display())}

    @staticmethod
    def resolve_medium(obj):
        return {"code": obj.medium, "label": str(obj.get_medium_display())}

    @staticmethod
    def resolve_requirement(obj):
        return {"code": obj.requirement, "label": str(obj.get_requirement_display())}

    @staticmethod
    def resolve_source(obj):
        return {"code": obj.source, "label": str(obj.get_source_display())}


class FeeOut(Schema):
    id: int
    name: str
    amount: Decimal | None = Field(description="金额（元）；按标准计算时为空")
    description: str
    basis: str
    is_by_situation: bool


class StepOut(Schema):
    order: int
    name: str
    description: str
    limit_days: int | None
    limit_unit: DayUnitCode = Field(description="时限单位：working 工作日，calendar 自然日")


class SpecialStepOut(Schema):
    name: str
    description: str
    limit_days: int | None
    limit_unit: DayUnitCode = Field(description="时限单位：working 工作日，calendar 自然日")
    counts_toward_limit: bool


class FAQOut(Schema):
    question: str
    answer: str


class OptionOut(Schema):
    code: str
    label: str
    explanation: str
    adds_material_ids: list[int]
    removes_material_ids: list[int]
    adds_fee_ids: list[int]
    waives_fees: bool
    promised_limit_days: int | None
    promised_limit_unit: DayUnitCode = Field(description="时限单位：working 工作日，calendar 自然日")

    @staticmethod
    def resolve_adds_material_ids(obj):
        return [material.pk for material in obj.adds_materials.all()]

    @staticmethod
    def resolve_removes_material_ids(obj):
        return [material.pk for material in obj.removes_materials.all()]

    @staticmethod
    def resolve_adds_fee_ids(obj):
        return [fee.pk for fee in obj.adds_fees.all()]


class QuestionOut(Schema):
    code: str
    text: str
    help_text: str
    shown_when_option: str | None = Field(description="仅在选择该选项（问题编码:选项编码）时显示")
    options: list[OptionOut]


class BundleBrief(Schema):
    code: str
    name: str


class TimeLimits(Schema):
    statutory_limit_days: int | None = Field(description="法定办结时限（单位见 statutory_limit_unit）")
    statutory_limit_unit: DayUnitCode = Field(description="法定办结时限单位：working 工作日，calendar 自然日")
    promised_limit_days: int | None = Field(description="承诺办结时限（单位见 promised_limit_unit）")
    promised_limit_unit: DayUnitCode = Field(description="承诺办结时限单位：working 工作日，calendar 自然日")
    supplement_notice_days: int | None = Field(
        default=None, description="补正告知时限：材料不齐全时一次性告知补正内容的期限（行政许可）"
    )
    supplement_notice_unit: DayUnitCode = Field(
        default="working", description="补正告知时限单位：working 工作日，calendar 自然日"
    )


class MissingElement(Schema):
    key: str
    label: str


class ItemOut(Schema):
    code: str
    name: str
    kind: CodeLabel
    handling_type: CodeLabel | None
    parent: ItemBrief | None
    item_type: CodeLabel
    exercise_level: CodeLabel
    audiences: list[str]
    legal_basis: str
    implementation_basis: str
    required_assurance_level: int


class GuideOut(Schema):
    """The whole guide (办事指南) of one implementation."""

    code: str = Field(description="实施编码")
    name: str
    item: ItemOut
    competent_department: str
    department: DepartmentBrief = Field(description="实施主体")
    region: RegionBrief
    conditions: str
    process_description: str
    materials: list[MaterialOut]
    steps: list[StepOut]
    special_steps: list[SpecialStepOut]
    time_limits: TimeLimits
    is_free: bool
    fee_basis: str
    fees: list[FeeOut]
    place: str
    hours: str
    phone: str
    complaint_channel: str
    online_depth: CodeLabel | None
    visits: int | None = Field(description="到现场次数")
    result_name: str
    result_license_type: str
    faqs: list[FAQOut]
    questions: list[QuestionOut]
    bundles: list[BundleBrief]
    completeness: int = Field(description="要素完整度（%）")
    missing_elements: list[MissingElement]


class SituationIn(Schema):
    answers: dict[str, str | list[str]] = Field(
        default_factory=dict, description="问题编码 → 选项编码（多选时为列表）"
    )


class MaterialNeedOut(Schema):
    material: MaterialOut
    reasons: list[str]


class RemovedMaterialOut(Schema):
    material: MaterialOut
    reason: str


class FeeNeedOut(Schema):
    fee: FeeOut
    reason: str


class AnsweredOut(Schema):
    question: str
    option: str
    label: str


class QuestionBrief(Schema):
    code: str
    text: str


class SituationOut(Schema):
    implementation_code: str
    materials: list[MaterialNeedOut]
    removed: list[RemovedMaterialOut]
    fees: list[FeeNeedOut]
    total_fee: Decimal
    is_free: bool
    fee_waiver_reason: str
    time_limits: TimeLimits
    answered: list[AnsweredOut]
    unanswered: list[QuestionBrief]


class BundleImplementationOut(Schema):
    code: str
    name: str
    department: str
    promised_limit_days: int | None
    promised_limit_unit: DayUnitCode = Field(description="时限单位：working 工作日，calendar 自然日")


class BundleMaterialOut(Schema):
    material: MaterialOut
    requirement: CodeLabel
    needed_by: list[str] = Field(description="需要该材料的实施清单编码")


class BundleFeeOut(Schema):
    fee: FeeOut
    implementation_code: str


class BundleGuideOut(Schema):
    code: str
    name: str
    description: str
    audience: CodeLabel
    region: RegionBrief
    lead_department: DepartmentBrief
    visits: int | None
    place: str
    time_limits: TimeLimits
    separate_limit_days: int | None = Field(
        description="逐项办理时承诺时限之和（工作日；自然日按每7日5个工作日折算）"
    )
    implementations: list[BundleImplementationOut]
    materials: list[BundleMaterialOut] = Field(description="一套材料：相同材料只交一次")
    materials_before_merge: int
    materials_saved: int
    fees: list[BundleFeeOut] = Field(description="各种情形下都收取的费用")
    situational_fees: list[BundleFeeOut] = Field(description="仅特定情形收取的费用（不计入合计）")
    total_fee: Decimal = Field(description="各种情形下都收取且已标价的费用合计")
    is_free: bool


def missing_elements(keys: list[str]) -> list[dict[str, str]]:
    return [{"key": key, "label": GUIDE_ELEMENTS.get(key, key)} for key in keys]
