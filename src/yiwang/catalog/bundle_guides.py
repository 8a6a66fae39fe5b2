"""The guide of a life-event bundle (一件事): one set of materials for several implementations.

A bundle may ask its own situation questions (a cash buyer or a mortgage): an option may skip member
implementations (no mortgage registration for a cash buyer) and add or remove materials, through the
same questions, options and answer resolution as a single guide's wizard (``situations``). Without an
answer, what depends on it is shown as 视情形需要.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from yiwang.core.workdays import as_working_days

from .constants import DayUnit, MaterialRequirement
from .models import Bundle, Fee, Implementation, Material, SituationOption, SituationQuestion
from .situations import Answers, RemovedMaterial, option_reason, resolve_answers, visible_questions

# Strongest first: a material required by any implementation of the bundle is required for the bundle.
_REQUIREMENT_STRENGTH = [
    MaterialRequirement.REQUIRED,
    MaterialRequirement.BY_SITUATION,
    MaterialRequirement.OPTIONAL,
]
_NAME_NOISE = re.compile(r"[\s\u3000·•、，,。.（）()【】\[\]《》<>“”\"']")


@dataclass(frozen=True)
class BundleMaterial:
    """One material of the bundle's single set, with every implementation that needs it."""

    material: Material
    requirement: str
    implementations: list[Implementation]
    reasons: list[str] = field(default_factory=list)  # why the bundle's answers (or open questions) matter

    @property
    def is_shared(self) -> bool:
        return len(self.implementations) > 1

    @property
    def is_by_situation(self) -> bool:
        return self.requirement == MaterialRequirement.BY_SITUATION


@dataclass(frozen=True)
class SkippedImplementation:
    """A member implementation the applicant's answers make unnecessary."""

    implementation: Implementation
    reason: str


@dataclass(frozen=True)
class BundleSituation:
    """The bundle's questions and what the answers decide (empty when the bundle asks nothing)."""

    questions: list[SituationQuestion] = field(default_factory=list)  # visible ones, in order
    answered: list[SituationOption] = field(default_factory=list)
    unanswered: list[SituationQuestion] = field(default_factory=list)
    skipped: list[SkippedImplementation] = field(default_factory=list)
    conditional: list[Implementation] = field(default_factory=list)  # needed or not, as yet unanswered
    removed: list[RemovedMaterial] = field(default_factory=list)


@dataclass(frozen=True)
class BundleFee:
    fee: Fee
    implementation: Implementation


@dataclass(frozen=True)
class BundleGuide:
    bundle: Bundle
    implementations: list[Implementation]
    materials: list[BundleMaterial]
    fees: list[BundleFee]  # charged whatever the situation; their priced amounts make total_fee
    situational_fees: list[BundleFee]  # charged only in some situations (mortgage, second home, ...)
    unpublished_fee_implementations: list[Implementation]  # charge a fee but publish no fee item
    total_fee: Decimal
    is_free: bool
    promised_limit_days: int | None
    promised_limit_unit: str
    separate_limit_days: int | None  # in working days (calendar-day parts converted, ADR 0008)
    materials_before_merge: int
    situation: BundleSituation = field(default_factory=BundleSituation)

    @property
    def has_unpriced_fees(self) -> bool:
        """Whether a fee charged in every situation has no amount, so the total is not the whole cost."""
        return any(item.fee.amount is None for item in self.fees)

    @property
    def promised_limit_unit_label(self) -> str:
        return str(DayUnit(self.promised_limit_unit).label)

    @property
    def materials_saved(self) -> int:
        """How many material submissions the bundle spares compared with applying item by item."""
        return self.materials_before_merge - len(self.materials)


def material_identity(material: Material) -> str:
    """Materials are the same when they share a key, or (without key) a normalized name."""
    if material.key:
        return f"key:{material.key}"
    return "name:" + _NAME_NOISE.sub("", unicodedata.normalize("NFKC", material.name)).lower()


@dataclass
class _Answers:
    """The answered options' effects on materials, and the options still open (unanswered questions)."""

    adds: dict[int, list[str]] = field(default_factory=dict)
    removes: dict[int, str] = field(default_factory=dict)
    open_changes: set[int] = field(default_factory=set)  # materials an unanswered option adds or removes
    conditional_ids: set[int] = field(default_factory=set)  # implementations an unanswered option skips


def _merge_materials(
    implementations: list[Implementation], answers: _Answers
) -> tuple[list[BundleMaterial], list[RemovedMaterial], int]:
    groups: dict[str, tuple[list[Material], list[str], list[Implementation]]] = {}
    before = 0
    for implementation in implementations:
        for material in implementation.materials.all():
            before += 1
            same, requirements, users = groups.setdefault(material_identity(material), ([], [], []))
            same.append(material)
            if implementation.pk not in answers.conditional_ids:
                requirements.append(material.requirement)
            if implementation not in users:
                users.append(implementation)
    merged: list[BundleMaterial] = []
    removed: list[RemovedMaterial] = []
    for same, requirements, users in groups.values():
        ids = {material.pk for material in same}
        removal = next((answers.removes[pk] for pk in ids if pk in answers.removes), None)
        if removal is not None:
            removed.append(RemovedMaterial(same[0], removal))
            continue
        merged.append(_bundle_material(same[0], ids, requirements, users, answers))
    return merged, removed, before


def _bundle_material(
    first: Material, ids: set[int], requirements: list[str], users: list[Implementation], answers: _Answers
) -> BundleMaterial:
    reasons = [reason for pk in ids for reason in answers.adds.get(pk, [])]
    requirement: str
    if not requirements:  # only implementations that an open question may skip need it
        requirement = MaterialRequirement.BY_SITUATION
        names = "、".join(f"“{user.name}”" for user in users)
        reasons.append(str(_("需要办理%(items)s时提供")) % {"items": names})
    else:
        requirement = min(
            requirements, key=lambda value: _REQUIREMENT_STRENGTH.index(MaterialRequirement(value))
        )
        if reasons and requirement == MaterialRequirement.BY_SITUATION:
            requirement = MaterialRequirement.REQUIRED  # an answer asks for it
        elif ids & answers.open_changes and not reasons:
            requirement = MaterialRequirement.BY_SITUATION
    return BundleMaterial(first, requirement, users, reasons)


def _read_answers(
    questions: list[SituationQuestion], answers: Answers
) -> tuple[
    list[SituationQuestion], list[tuple[SituationQuestion, SituationOption]], _Answers, dict[int, str]
]:
    """Resolve the answers as the single-guide wizard does; return visible, answered, effects, skipped."""
    chosen = resolve_answers(questions, answers)
    visible = visible_questions(questions, chosen)
    answered = [(question, option) for question in visible for option in chosen.get(question.pk, [])]
    effects = _Answers()
    skipped: dict[int, str] = {}
    for question, option in answered:
        reason = option_reason(option, question)
        for implementation in option.skips_implementations.all():
            skipped.setdefault(implementation.pk, reason)
        for material in option.adds_materials.all():
            effects.adds.setdefault(material.pk, []).append(reason)
        for material in option.removes_materials.all():
            effects.removes.setdefault(material.pk, reason)
    for question in questions:
        if chosen.get(question.pk) and question in visible:
            continue
        for option in question.options.all():
            effects.conditional_ids |= {impl.pk for impl in option.skips_implementations.all()}
            effects.open_changes |= {m.pk for m in option.adds_materials.all()}
            effects.open_changes |= {m.pk for m in option.removes_materials.all()}
    effects.conditional_ids -= set(skipped)
    return visible, answered, effects, skipped


def _limits(bundle: Bundle, implementations: list[Implementation]) -> tuple[int | None, str, int | None]:
    """The bundle's promise (days, unit) and the working days of applying item by item."""
    parts = [impl for impl in implementations if impl.promised_limit_days is not None]
    working = {
        impl.pk: as_working_days(impl.promised_limit_days or 0, impl.promised_limit_unit) for impl in parts
    }
    separate = sum(working.values()) if parts else None
    # Departments approve a bundle in parallel: without a promise of its own it takes the longest part.
    if bundle.promised_limit_days is not None:
        return bundle.promised_limit_days, bundle.promised_limit_unit, separate
    if not parts:
        return None, DayUnit.WORKING, separate
    longest = max(parts, key=lambda impl: working[impl.pk])
    return longest.promised_limit_days, longest.promised_limit_unit, separate


def _fee_lists(
    implementations: list[Implementation], conditional_ids: set[int]
) -> tuple[list[BundleFee], list[BundleFee], list[BundleFee]]:
    """Every fee, those charged whatever the situation, and those charged only in some situations."""
    every_fee = [
        BundleFee(fee=fee, implementation=implementation)
        for implementation in implementations
        for fee in implementation.fees.all()
    ]
    # An item the applicant may not need charges only in that situation, whatever its own fee says.
    fees = [
        item
        for item in every_fee
        if not item.fee.is_by_situation and item.implementation.pk not in conditional_ids
    ]
    situational = [item for item in every_fee if item not in fees]
    return every_fee, fees, situational


def build_bundle_guide(*, bundle: Bundle, answers: Answers | None = None) -> BundleGuide:
    """Assemble the guide from a bundle whose items, implementations, materials, fees and questions are
    prefetched; ``answers`` (question code → option code) apply the bundle's situation questions."""
    members = [bundle_item.implementation for bundle_item in bundle.bundle_items.all()]
    questions = list(bundle.questions.all())
    visible, answered, effects, skipped = _read_answers(questions, answers or {})
    implementations = [impl for impl in members if impl.pk not in skipped]
    materials, removed, before = _merge_materials(implementations, effects)
    needed = {material_identity(entry.material) for entry in materials}
    needed |= {material_identity(entry.material) for entry in removed}
    for impl in members:  # a skipped item's own materials are listed as not needed, with the reason
        for material in impl.materials.all() if impl.pk in skipped else []:
            if material_identity(material) not in needed:
                needed.add(material_identity(material))
                removed.append(RemovedMaterial(material, skipped[impl.pk]))
    every_fee, fees, situational = _fee_lists(implementations, effects.conditional_ids)
    charged = {item.implementation.pk for item in every_fee}
    # An implementation marked as charging but listing no fee must not make the bundle look free.
    unpublished = [impl for impl in implementations if not impl.is_free and impl.pk not in charged]
    total = sum((item.fee.amount or Decimal("0") for item in fees), Decimal("0"))
    promised, unit, separate = _limits(bundle, implementations)
    chosen_ids = {question.pk for question, _option in answered}
    return BundleGuide(
        bundle=bundle,
        implementations=implementations,
        materials=materials,
        fees=fees,
        situational_fees=situational,
        unpublished_fee_implementations=unpublished,
        total_fee=total,
        is_free=not every_fee and not unpublished,
        promised_limit_days=promised,
        promised_limit_unit=unit,
        separate_limit_days=separate,
        materials_before_merge=before,
        situation=BundleSituation(
            questions=visible,
            answered=[option for _question, option in answered],
            unanswered=[question for question in visible if question.pk not in chosen_ids],
            skipped=[SkippedImplementation(impl, skipped[impl.pk]) for impl in members if impl.pk in skipped],
            conditional=[impl for impl in implementations if impl.pk in effects.conditional_ids],
            removed=removed,
        ),
    )
