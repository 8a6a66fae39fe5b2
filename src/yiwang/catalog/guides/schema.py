"""Pydantic schema of the guide data files (data/guides/*.json); README.md there describes it in prose."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from yiwang.core.identifiers import InvalidIdentifier, normalize_credit_code

from ..consistency import (
    FaqFacts,
    GuideFacts,
    Limit,
    MaterialFacts,
    OptionFacts,
    SpecialStepFacts,
    StepFacts,
    check_guide,
)
from ..constants import (
    Audience,
    DayUnit,
    ExerciseLevel,
    HandlingType,
    ItemKind,
    ItemType,
    MaterialForm,
    MaterialMedium,
    MaterialRequirement,
    MaterialSource,
    TopicKind,
)

COUNTY_REGION = "511602000000"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
RegionCode = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
LicenseCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9_]{0,32}$")]
Days = Annotated[int, Field(ge=0, le=365)]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LicenseTypeSpec(Spec):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9_]{1,32}$")]
    name: Text


class DepartmentSpec(Spec):
    """A body the guides name by short name, with what is needed to create it on an empty database."""

    short_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    credit_code: str
    region_code: RegionCode = COUNTY_REGION
    place: str = ""
    phone: str = ""
    address: str = ""

    @field_validator("credit_code")
    @classmethod
    def _valid_credit_code(cls, value: str) -> str:
        try:
            return normalize_credit_code(value)
        except InvalidIdentifier as error:
            raise ValueError(error.message) from None


class TopicSpec(Spec):
    code: Slug
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
    audience: Audience
    kind: TopicKind = TopicKind.THEME
    description: Annotated[str, StringConstraints(max_length=200)] = ""
    order: Annotated[int, Field(ge=0, le=999)] = 0


class DefaultsSpec(Spec):
    """Values every implementation gets unless it or its department says otherwise."""

    hours: Text
    complaint_channel: Text


class MaterialSpec(Spec):
    key: Slug
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    form: MaterialForm
    copies: Annotated[int, Field(ge=1, le=10)]
    medium: MaterialMedium
    requirement: MaterialRequirement
    source: MaterialSource
    source_detail: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    blank_form: Annotated[str, StringConstraints(max_length=300)] = ""
    sample: Annotated[str, StringConstraints(max_length=300)] = ""
    license_type_code: LicenseCode = ""
    notes: str = ""


class FeeSpec(Spec):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    amount: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)] | None
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    basis: Text
    by_situation: bool = False


class StepSpec(Spec):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    description: Text
    limit_days: Days | None = None
    limit_unit: DayUnit = DayUnit.WORKING


class SpecialStepSpec(Spec):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    description: Text
    limit_days: Annotated[int, Field(ge=1, le=365)]
    limit_unit: DayUnit = DayUnit.WORKING
    counts_toward_limit: bool


class InstrumentSpec(Spec):
    """A law, regulation or document the guides cite, with where its authoritative text is."""

    code: Slug
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
    document_number: Annotated[str, StringConstraints(max_length=100)] = ""
    revised_on: dt.date | None = None
    url: Annotated[str, StringConstraints(pattern=r"^https://\S+$", max_length=300)]
    in_force: bool = True
    replaced_by: Slug | None = None


class CitationSpec(Spec):
    """A statement of the guide and the article it rests on; ``checked_on`` when it was verified."""

    instrument: Slug
    article: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    statement: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    checked_on: dt.date | None = None
    url: Annotated[str, StringConstraints(pattern=r"^https://\S+$", max_length=300)] = ""


class FaqSpec(Spec):
    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    answer: Text


class OptionSpec(Spec):
    code: Slug
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    explanation: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    adds_materials: list[Slug] = []
    removes_materials: list[Slug] = []
    adds_fees: list[Text] = []
    skips_implementations: list[Text] = []  # a bundle's question only: member implementation codes
    waives_fees: bool = False
    promised_limit_days: Days | None = None
    promised_limit_unit: DayUnit = DayUnit.WORKING


class QuestionSpec(Spec):
    code: Slug
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    help_text: Annotated[str, StringConstraints(max_length=300)] = ""
    shown_when: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]+\.[a-z0-9_-]+$")] | None = None
    options: Annotated[list[OptionSpec], Field(min_length=2)]


class ParentSpec(Spec):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    kind: ItemKind = ItemKind.BASIC


class ItemSpec(Spec):
    code: Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{6,30}$")]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    kind: ItemKind
    handling_type: HandlingType = HandlingType.NONE
    parent: ParentSpec | None = None
    item_type: ItemType
    exercise_level: ExerciseLevel
    competent_department: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]
    audiences: Annotated[list[Audience], Field(min_length=1)]
    topics: Annotated[list[Slug], Field(min_length=1)]
    legal_basis: Text
    implementation_basis: Text
    required_assurance_level: Annotated[int, Field(ge=2, le=4)]
    keywords: Annotated[list[Text], Field(min_length=1)]

    @field_validator("keywords")
    @classmethod
    def _keywords_fit(cls, value: list[str]) -> list[str]:
        if len(" ".join(value)) > 300:
            raise ValueError("检索关键词合计不能超过300个字符")
        return value


class ImplementationSpec(Spec):
    code: Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]+-\d{12}-\d{3}-[0-9A-Za-z]{8,20}-\d-\d{2}$")]
    published: bool = False
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    region_code: RegionCode = COUNTY_REGION
    department: Text
    conditions: Text
    process_description: Text
    statutory_limit_days: Days
    statutory_limit_unit: DayUnit  # as the law states it: 日 → calendar, 工作日 → working (ADR 0008)
    promised_limit_days: Days
    promised_limit_unit: DayUnit = DayUnit.WORKING
    supplement_notice_days: Days | None = None  # 补正告知时限 (行政许可法第三十二条: 五日, working days)
    supplement_notice_unit: DayUnit = DayUnit.WORKING
    fee_basis: Text
    place: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    hours: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    phone: Annotated[str, StringConstraints(pattern=r"^0826-\d{7}(、0826-\d{7})*$")]
    complaint_channel: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    online_depth: Annotated[int, Field(ge=1, le=4)]
    visits: Annotated[int, Field(ge=0, le=2)]
    result_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    result_license_type: LicenseCode = ""


class GuideSpec(Spec):
    item: ItemSpec
    implementation: ImplementationSpec
    materials: Annotated[list[MaterialSpec], Field(min_length=3, max_length=10)]
    fees: list[FeeSpec] = []
    steps: Annotated[list[StepSpec], Field(min_length=2)]
    special_steps: list[SpecialStepSpec] = []
    faqs: Annotated[list[FaqSpec], Field(min_length=3)]
    questions: list[QuestionSpec] = []
    citations: list[CitationSpec] = []


class BundleSpec(Spec):
    code: Slug
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    description: Text
    audience: Audience
    region_code: RegionCode = COUNTY_REGION
    lead_department: Text
    implementations: Annotated[list[Text], Field(min_length=2)]
    topics: Annotated[list[Slug], Field(min_length=1)]
    keywords: Annotated[list[Text], Field(min_length=1)]
    promised_limit_days: Days
    promised_limit_unit: DayUnit = DayUnit.WORKING
    visits: Annotated[int, Field(ge=0, le=2)]
    place: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    questions: list[QuestionSpec] = []


class GuideFileSpec(Spec):
    """One data file; every section is optional so content can be split by area."""

    description: str = ""
    license_types: list[LicenseTypeSpec] = []
    instruments: list[InstrumentSpec] = []
    defaults: DefaultsSpec | None = None
    departments: list[DepartmentSpec] = []
    topics: list[TopicSpec] = []
    material_templates: list[MaterialSpec] = []
    question_templates: list[QuestionSpec] = []
    guides: list[dict] = []
    bundles: list[BundleSpec] = []


def guide_problems(guide: GuideSpec) -> Iterator[tuple[str, str]]:
    """Inconsistencies within one guide, as (field, message): duplicates, dangling references, time limits."""
    for section, values in (
        ("materials", [material.key for material in guide.materials]),
        ("fees", [fee.name for fee in guide.fees]),
        ("special_steps", [step.name for step in guide.special_steps]),
        ("questions", [question.code for question in guide.questions]),
    ):
        yield from _duplicates(section, values)
    for problem in check_guide(guide_facts(guide)):
        yield problem.field, problem.message
    yield from _question_problems(guide)


def _walk_questions(
    questions: Any,
    material_keys: set[str],
    *,
    materials_of: str,
    option_problems: Callable[[str, Any], Iterator[tuple[str, str]]],
) -> Iterator[tuple[str, str]]:
    """What a guide's and a bundle's questions share: a question shown only after an earlier option, no
    duplicate option codes, options naming only known material keys; ``option_problems`` adds the rest."""
    earlier: set[str] = set()
    for index, question in enumerate(questions):
        where = f"questions[{index}]"
        if question.shown_when and question.shown_when not in earlier:
            yield f"{where}.shown_when", f"{question.shown_when} 不是此前某个问题的选项"
        yield from _duplicates(f"{where}.options", [option.code for option in question.options])
        for position, option in enumerate(question.options):
            place = f"{where}.options[{position}]"
            for section in ("adds_materials", "removes_materials"):
                for key in getattr(option, section):
                    if key not in material_keys:
                        yield f"{place}.{section}", f"材料标识 {key} 不在{materials_of}的申请材料中"
            yield from option_problems(place, option)
            earlier.add(f"{question.code}.{option.code}")


def _question_problems(guide: GuideSpec) -> Iterator[tuple[str, str]]:
    fee_names = {fee.name for fee in guide.fees}

    def option_problems(place: str, option: Any) -> Iterator[tuple[str, str]]:
        for name in option.adds_fees:
            if name not in fee_names:
                yield f"{place}.adds_fees", f"收费项目“{name}”不在本指南的收费中"
        if option.skips_implementations:
            yield f"{place}.skips_implementations", "只有一件事的情形问题可以免办包含事项"

    material_keys = {material.key for material in guide.materials}
    yield from _walk_questions(
        guide.questions, material_keys, materials_of="本指南", option_problems=option_problems
    )


def _duplicates(section: str, values: list[str]) -> Iterator[tuple[str, str]]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            yield section, f"编码“{value}”重复"
        seen.add(value)


def guide_facts(guide: GuideSpec) -> GuideFacts:
    """The guide as the consistency checks see it."""
    implementation = guide.implementation

    def limit(days: int | None, unit: DayUnit) -> Limit | None:
        return None if days is None else Limit(days, unit)

    return GuideFacts(
        statutory=Limit(implementation.statutory_limit_days, implementation.statutory_limit_unit),
        promised=Limit(implementation.promised_limit_days, implementation.promised_limit_unit),
        process_description=implementation.process_description,
        steps=[StepFacts(s.name, s.description, limit(s.limit_days, s.limit_unit)) for s in guide.steps],
        special_steps=[
            SpecialStepFacts(s.name, Limit(s.limit_days, s.limit_unit), s.counts_toward_limit)
            for s in guide.special_steps
        ],
        options=[
            OptionFacts(
                option.label,
                option.explanation,
                limit(option.promised_limit_days, option.promised_limit_unit),
                frozenset(option.removes_materials),
            )
            for question in guide.questions
            for option in question.options
        ],
        materials=[MaterialFacts(m.key, m.name, m.requirement, m.notes) for m in guide.materials],
        faqs=[FaqFacts(faq.question, faq.answer) for faq in guide.faqs],
    )


def bundle_question_problems(
    bundle: BundleSpec, material_keys: set[str], implementations: set[str]
) -> Iterator[tuple[str, str]]:
    """A bundle's questions name only its members' material keys and member implementations."""
    yield from _duplicates("questions", [question.code for question in bundle.questions])

    def option_problems(place: str, option: Any) -> Iterator[tuple[str, str]]:
        for code in option.skips_implementations:
            if code not in implementations:
                yield f"{place}.skips_implementations", f"实施编码 {code} 不是本一件事的包含事项"
        if option.adds_fees or option.waives_fees or option.promised_limit_days is not None:
            yield place, "一件事的情形选项只能免办事项、增减材料（收费和时限按包含事项的指南）"

    yield from _walk_questions(
        bundle.questions, material_keys, materials_of="本一件事包含事项", option_problems=option_problems
    )
