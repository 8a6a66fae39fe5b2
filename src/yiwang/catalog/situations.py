"""The situation wizard (情形引导): which materials, fees and time limit apply to one applicant's answers.

Pure logic on an implementation whose questions, options, materials and fees are already prefetched
(``selectors.get_implementation_guide`` does that), so evaluating costs no query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.utils.translation import gettext as _

from yiwang.core.errors import InvalidInput
from yiwang.core.workdays import as_working_days

from .constants import DayUnit, MaterialRequirement
from .models import Fee, Implementation, Material, SituationOption, SituationQuestion

Answers = Mapping[str, str | list[str]]


@dataclass(frozen=True)
class MaterialNeed:
    """A material on the applicant's list and why it is there."""

    material: Material
    reasons: list[str] = field(default_factory=list)

    @property
    def is_optional(self) -> bool:
        return self.material.requirement == MaterialRequirement.OPTIONAL


class RemovedMaterial(NamedTuple):
    """A material the applicant's answers make unnecessary, with the reason."""

    material: Material
    reason: str


@dataclass(frozen=True)
class FeeNeed:
    fee: Fee
    reason: str


@dataclass(frozen=True)
class SituationResult:
    """What one applicant's situation needs: materials, fees and time limits."""

    implementation: Implementation
    materials: list[MaterialNeed]
    removed: list[RemovedMaterial]
    fees: list[FeeNeed]
    total_fee: Decimal
    is_free: bool
    fee_waiver_reason: str
    statutory_limit_days: int | None
    statutory_limit_unit: str
    promised_limit_days: int | None
    promised_limit_unit: str
    answered: list[SituationOption]
    unanswered: list[SituationQuestion]
    visible_questions: list[SituationQuestion]

    @property
    def statutory_limit_unit_label(self) -> str:
        return str(DayUnit(self.statutory_limit_unit).label)

    @property
    def promised_limit_unit_label(self) -> str:
        return str(DayUnit(self.promised_limit_unit).label)


def _chosen_codes(value: str | list[str] | tuple[str, ...]) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    return [code for code in value if code]


def resolve_answers(questions: list[SituationQuestion], answers: Answers) -> dict[int, list[SituationOption]]:
    """Map question id to the chosen options; unknown question or option codes are refused."""
    by_code = {question.code: question for question in questions}
    chosen: dict[int, list[SituationOption]] = {}
    for question_code, value in answers.items():
        question = by_code.get(question_code)
        if question is None:
            raise InvalidInput(
                _("没有编码为“%(code)s”的情形问题") % {"code": question_code},
                code="unknown_answer",
                question=question_code,
            )
        options = {option.code: option for option in question.options.all()}
        picked = []
        for option_code in _chosen_codes(value):
            if option_code not in options:
                raise InvalidInput(
                    _("问题“%(text)s”没有选项“%(code)s”") % {"text": question.text, "code": option_code},
                    code="unknown_answer",
                    question=question_code,
                    option=option_code,
                )
            picked.append(options[option_code])
        chosen[question.pk] = picked
    return chosen


def visible_questions(
    questions: list[SituationQuestion], chosen: dict[int, list[SituationOption]]
) -> list[SituationQuestion]:
    """Questions shown: unconditional ones, and follow-ups whose triggering option is chosen and shown."""
    visible_ids: set[int] = set()
    changed = True
    while changed:  # follow-ups may chain; each pass adds at least one question or stops
        changed = False
        selected = {opt.pk for qid in visible_ids for opt in chosen.get(qid, [])}
        for question in questions:
            if question.pk in visible_ids:
                continue
            if question.shown_when_id is None or question.shown_when_id in selected:
                visible_ids.add(question.pk)
                changed = True
    return [question for question in questions if question.pk in visible_ids]


def option_reason(option: SituationOption, question: SituationQuestion) -> str:
    return option.explanation or _("您选择了“%(question)s：%(option)s”") % {
        "question": question.text,
        "option": option.label,
    }


def _exemptions(
    questions: list[SituationQuestion], chosen: dict[int, list[SituationOption]]
) -> dict[int, list[str]]:
    """Material id to why it may still be exempt: options that remove it, of questions not yet answered
    (an answered question whose answer keeps the material says so through that answer instead)."""
    exempt: dict[int, list[str]] = {}
    for question in questions:
        if chosen.get(question.pk):
            continue
        for option in question.options.all():
            for material in option.removes_materials.all():
                exempt.setdefault(material.pk, []).append(option.label)
    return exempt


def _required_reason(material: Material, exempt: dict[int, list[str]], kept_by: dict[int, str]) -> str:
    # "所有申请人均需提供" only when no answer can exempt anyone: a photo taken free at the counter is not
    # needed, so the list must not say everyone brings one (issue 12).
    if material.pk in kept_by:
        return kept_by[material.pk]
    if material.pk in exempt:
        labels = "、".join(f"“{label}”" for label in exempt[material.pk])
        return str(_("一般需要提供；选择%(options)s的无需提供")) % {"options": labels}
    return str(_("所有申请人均需提供"))


def _material_lists(
    materials: Iterable[Material],
    answered: list[tuple[SituationQuestion, SituationOption]],
    exempt: dict[int, list[str]],
) -> tuple[list[MaterialNeed], list[RemovedMaterial]]:
    adders: dict[int, list[str]] = {}
    removers: dict[int, str] = {}
    kept_by: dict[int, str] = {}  # a required material some other answer of the same question would remove
    for question, option in answered:
        for material in option.adds_materials.all():
            adders.setdefault(material.pk, []).append(option_reason(option, question))
        for material in option.removes_materials.all():
            removers.setdefault(material.pk, option_reason(option, question))
        for other in question.options.all():
            if other.pk != option.pk:
                for material in other.removes_materials.all():
                    kept_by.setdefault(material.pk, option_reason(option, question))
    needed: list[MaterialNeed] = []
    removed: list[RemovedMaterial] = []
    for material in materials:
        added = adders.get(material.pk, [])
        if material.pk in removers:
            # A removal is an explicit exemption for this applicant: it wins over a generic requirement.
            removed.append(RemovedMaterial(material, removers[material.pk]))
        elif material.requirement == MaterialRequirement.REQUIRED:
            reason = _required_reason(material, exempt, kept_by)
            needed.append(MaterialNeed(material, [reason, *[a for a in added if a != reason]]))
        elif material.requirement == MaterialRequirement.OPTIONAL:
            needed.append(MaterialNeed(material, [str(_("非必要，可容缺后补")), *added]))
        elif added:
            needed.append(MaterialNeed(material, added))
    return needed, removed


def _fee_lists(
    implementation: Implementation, answered: list[tuple[SituationQuestion, SituationOption]]
) -> tuple[list[FeeNeed], str]:
    # A waiver (小微企业免收登记费) covers the standard fees; a fee another answer adds (每增加一本证书
    # 加收10元) is still charged.
    waiver = next(
        (option_reason(option, question) for question, option in answered if option.waives_fees), ""
    )
    added: dict[int, str] = {}
    for question, option in answered:
        for fee in option.adds_fees.all():
            added.setdefault(fee.pk, option_reason(option, question))
    fees = []
    for fee in implementation.fees.all():
        if not fee.is_by_situation and not waiver:
            fees.append(FeeNeed(fee, fee.description or str(_("按规定收取"))))
        elif fee.is_by_situation and fee.pk in added:
            fees.append(FeeNeed(fee, added[fee.pk]))
    return fees, waiver


def evaluate_situation(*, implementation: Implementation, answers: Answers) -> SituationResult:
    """Apply the applicant's answers to the guide: materials with reasons, fees, total and limits."""
    questions = list(implementation.questions.all())
    chosen = resolve_answers(questions, answers)
    visible = visible_questions(questions, chosen)
    answered = [(question, option) for question in visible for option in chosen.get(question.pk, [])]
    exempt = _exemptions(visible, chosen)
    materials, removed = _material_lists(implementation.materials.all(), answered, exempt)
    fees, waiver_reason = _fee_lists(implementation, answered)
    total = sum((need.fee.amount or Decimal("0") for need in fees), Decimal("0"))
    overrides = [
        (as_working_days(option.promised_limit_days, option.promised_limit_unit), option)
        for _q, option in answered
        if option.promised_limit_days is not None
    ]
    # With several overriding answers the longest promise holds: each one applies to this applicant.
    longest = max(overrides, key=lambda pair: pair[0])[1] if overrides else None
    return SituationResult(
        implementation=implementation,
        materials=materials,
        removed=removed,
        fees=fees,
        total_fee=total,
        # No fee rows and not marked free means the fees are unknown, not that the service is free.
        is_free=not fees
        and (implementation.is_free or bool(waiver_reason) or bool(implementation.fees.all())),
        fee_waiver_reason=waiver_reason,
        statutory_limit_days=implementation.statutory_limit_days,
        statutory_limit_unit=implementation.statutory_limit_unit,
        promised_limit_days=longest.promised_limit_days if longest else implementation.promised_limit_days,
        promised_limit_unit=longest.promised_limit_unit if longest else implementation.promised_limit_unit,
        answered=[option for _q, option in answered],
        unanswered=[question for question in visible if not chosen.get(question.pk)],
        visible_questions=visible,
    )
