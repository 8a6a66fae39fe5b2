"""Consistency checks of one guide (指南自洽检查): do its time limits and materials contradict each other?

The same checks run on a guide data file before it is loaded (``guides.schema.guide_problems``), on the
Excel import, and on the stored guide for its completeness score and the review list. They work on
``GuideFacts``, a plain picture of a guide built from either source.

Limits of different units are compared in working days with ``core.workdays.as_working_days`` (a
calendar-day limit holds five working days in each full seven days; ADR 0008).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from yiwang.core.workdays import DayUnit, as_working_days

from .constants import MaterialRequirement
from .models import Implementation

ERROR = "error"  # the guide contradicts itself: refused on import, lowers the completeness score
FLAG = "flag"  # probably wrong: the data administrator decides (shown on the review list)

SAME_DAY = re.compile(r"当[日天](?:即可|可|内)?办结")
# "Not needed" said of a material: 无需自带照片, 已实名采集的无需提交, 人社系统已有合格照片的免交, 部门共享的
# 免交, 无需上传. Not a claim: an e-license standing for the physical document (免交实体证件, 纸质) and
# "not again" (无需另行提交: it was already given within the same procedure).
NOT_NEEDED = re.compile(r"(?:无需|无须|不需要|不用|不必|免)(?:自带|携带|提交|提供|上传|交)(?!实体|纸质)")
# A question of the FAQ asking whether to bring or submit the material, answered "no".
BRING_QUESTION = re.compile(r"带|交|提供|准备|上传")
NOT_NEEDED_ANSWER = re.compile(r"^\s*(?:不需要|不用|无需|无须|不必)")


@dataclass(frozen=True)
class Limit:
    days: int
    unit: str = DayUnit.WORKING

    @property
    def working_days(self) -> int:
        return as_working_days(self.days, self.unit)

    def __str__(self) -> str:
        return f"{self.days} 个{DayUnit(self.unit).label}"


@dataclass(frozen=True)
class StepFacts:
    name: str
    description: str
    limit: Limit | None


@dataclass(frozen=True)
class SpecialStepFacts:
    name: str
    limit: Limit | None
    counts_toward_limit: bool


@dataclass(frozen=True)
class OptionFacts:
    label: str
    explanation: str
    promised: Limit | None
    removes_materials: frozenset[str] = frozenset()


@dataclass(frozen=True)
class MaterialFacts:
    key: str
    name: str
    requirement: str
    notes: str


@dataclass(frozen=True)
class FaqFacts:
    question: str
    answer: str


@dataclass(frozen=True)
class GuideFacts:
    statutory: Limit | None
    promised: Limit | None
    process_description: str = ""
    steps: list[StepFacts] = field(default_factory=list)
    special_steps: list[SpecialStepFacts] = field(default_factory=list)
    options: list[OptionFacts] = field(default_factory=list)
    materials: list[MaterialFacts] = field(default_factory=list)
    faqs: list[FaqFacts] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    check: str
    severity: str
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"check": self.check, "severity": self.severity, "field": self.field, "message": self.message}


# The checks, by code, with the title shown to administrators.
CHECKS: dict[str, str] = {
    "steps_exceed_promised": "承诺时限短于各环节时限之和",
    "steps_exceed_statutory": "各环节时限之和超过法定时限",
    "promised_exceeds_statutory": "承诺时限长于法定时限",
    "same_day_with_one_day_limit": "写明“当日办结”但时限为1日",
    "material_said_not_needed": "必要材料在说明或常见问题中又称无需提交",
}


def check_guide(facts: GuideFacts) -> list[Problem]:
    """Every problem of one guide, errors first."""
    problems = [
        *_step_sum(facts),
        *_promised_within_statutory(facts),
        *_same_day(facts),
        *_materials_said_not_needed(facts),
    ]
    return sorted(problems, key=lambda problem: problem.severity != ERROR)


def _step_sum(facts: GuideFacts) -> Iterator[Problem]:
    counted = [step.limit for step in facts.steps if step.limit is not None] + [
        step.limit for step in facts.special_steps if step.counts_toward_limit and step.limit is not None
    ]
    total = sum(limit.working_days for limit in counted)
    mixed = any(limit.unit != DayUnit.WORKING for limit in counted)
    shown = f"{total} 个工作日" + ("（自然日按每7日5个工作日折算）" if mixed else "")
    if facts.promised is not None and total > facts.promised.working_days:
        yield Problem(
            "steps_exceed_promised",
            ERROR,
            "implementation.promised_limit_days",
            f"承诺办结时限 {facts.promised} 短于各环节及计入时限的特别程序之和 {shown}",
        )
    if facts.statutory is not None and total > facts.statutory.working_days:
        yield Problem(
            "steps_exceed_statutory",
            ERROR,
            "steps",
            f"各环节及计入时限的特别程序之和 {shown} 超过法定办结时限 {facts.statutory}",
        )


def _promised_within_statutory(facts: GuideFacts) -> Iterator[Problem]:
    if facts.statutory is None:
        return
    ceiling = facts.statutory.working_days
    candidates = [("implementation.promised_limit_days", "承诺办结时限", facts.promised)] + [
        (
            f"questions.options[{option.label}].promised_limit_days",
            f"情形“{option.label}”的承诺时限",
            option.promised,
        )
        for option in facts.options
    ]
    for where, what, limit in candidates:
        if limit is not None and limit.working_days > ceiling:
            yield Problem(
                "promised_exceeds_statutory",
                ERROR,
                where,
                f"{what} {limit} 长于法定办结时限 {facts.statutory}",
            )


def _same_day(facts: GuideFacts) -> Iterator[Problem]:
    texts = [facts.process_description, *(step.description for step in facts.steps)]
    texts += [faq.answer for faq in facts.faqs]
    if facts.promised is not None and facts.promised.days == 1 and any(SAME_DAY.search(t) for t in texts):
        yield Problem(
            "same_day_with_one_day_limit",
            FLAG,
            "implementation.promised_limit_days",
            "指南写明“当日办结”，承诺时限却是 1 日：当日办结的时限为 0（即办）",
        )
    for option in facts.options:
        limit = option.promised or facts.promised
        if limit is not None and limit.days == 1 and SAME_DAY.search(option.explanation):
            yield Problem(
                "same_day_with_one_day_limit",
                FLAG,
                f"questions.options[{option.label}].promised_limit_days",
                f"情形“{option.label}”写明“当日办结”，承诺时限却是 1 日",
            )


def _material_word(name: str) -> str:
    """The word a note or question uses for a material: the last two characters of its name, without
    the parenthesis (近期免冠彩色证件照片 → 照片)."""
    return re.sub(r"[（(].*?[)）]", "", name).strip()[-2:]


def _materials_said_not_needed(facts: GuideFacts) -> Iterator[Problem]:
    removable = {key for option in facts.options for key in option.removes_materials}
    for material in facts.materials:
        if material.requirement != MaterialRequirement.REQUIRED or material.key in removable:
            continue
        word = _material_word(material.name) or material.name
        said = [material.notes] if NOT_NEEDED.search(material.notes) else []
        said += [
            faq.question
            for faq in facts.faqs
            if word in faq.question
            and BRING_QUESTION.search(faq.question)
            and NOT_NEEDED_ANSWER.search(faq.answer)
        ]
        if said:
            yield Problem(
                "material_said_not_needed",
                FLAG,
                f"materials[{material.key}]",
                f"“{material.name}”标为人人必交，但“{said[0]}”说无需提交：请用情形区分需要和不需要的申请人，"
                "或改为非必要材料",
            )


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [problem for problem in problems if problem.severity == ERROR]


def implementation_facts(implementation: Implementation) -> GuideFacts:
    """A stored guide as the checks see it; prefetch ``FACTS_PREFETCH`` when checking many."""

    def limit(days: int | None, unit: str) -> Limit | None:
        return None if days is None else Limit(days, unit)

    return GuideFacts(
        statutory=limit(implementation.statutory_limit_days, implementation.statutory_limit_unit),
        promised=limit(implementation.promised_limit_days, implementation.promised_limit_unit),
        process_description=implementation.process_description,
        steps=[
            StepFacts(step.name, step.description, limit(step.limit_days, step.limit_unit))
            for step in implementation.steps.all()
        ],
        special_steps=[
            SpecialStepFacts(step.name, limit(step.limit_days, step.limit_unit), step.counts_toward_limit)
            for step in implementation.special_steps.all()
        ],
        options=[
            OptionFacts(
                option.label,
                option.explanation,
                limit(option.promised_limit_days, option.promised_limit_unit),
                frozenset(material.key or str(material.pk) for material in option.removes_materials.all()),
            )
            for question in implementation.questions.all()
            for option in question.options.all()
        ],
        materials=[
            MaterialFacts(
                material.key or str(material.pk), material.name, material.requirement, material.notes
            )
            for material in implementation.materials.all()
        ],
        faqs=[FaqFacts(faq.question, faq.answer) for faq in implementation.faqs.all()],
    )


FACTS_PREFETCH = (
    "steps",
    "special_steps",
    "materials",
    "faqs",
    "questions__options__removes_materials",
)


def implementation_problems(implementation: Implementation) -> list[dict[str, str]]:
    """The stored form of a guide's problems (``Implementation.consistency_problems``)."""
    return [problem.as_dict() for problem in check_guide(implementation_facts(implementation))]
