"""The guide of a life-event bundle (一件事): one set of materials for several implementations."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from yiwang.core.workdays import as_working_days

from .constants import DayUnit, MaterialRequirement
from .models import Bundle, Fee, Implementation, Material

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

    @property
    def is_shared(self) -> bool:
        return len(self.implementations) > 1


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


def _merge_materials(implementations: list[Implementation]) -> tuple[list[BundleMaterial], int]:
    groups: dict[str, tuple[Material, list[str], list[Implementation]]] = {}
    before = 0
    for implementation in implementations:
        for material in implementation.materials.all():
            before += 1
            identity = material_identity(material)
            _first, requirements, users = groups.setdefault(identity, (material, [], []))
            requirements.append(material.requirement)
            if implementation not in users:
                users.append(implementation)
    merged = [
        BundleMaterial(
            material=first,
            requirement=min(requirements, key=lambda value: _REQUIREMENT_STRENGTH.index(value)),
            implementations=users,
        )
        for first, requirements, users in groups.values()
    ]
    return merged, before


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


def build_bundle_guide(*, bundle: Bundle) -> BundleGuide:
    """Assemble the guide from a bundle whose items, implementations, materials and fees are prefetched."""
    implementations = [bundle_item.implementation for bundle_item in bundle.bundle_items.all()]
    materials, before = _merge_materials(implementations)
    every_fee = [
        BundleFee(fee=fee, implementation=implementation)
        for implementation in implementations
        for fee in implementation.fees.all()
    ]
    fees = [item for item in every_fee if not item.fee.is_by_situation]
    situational = [item for item in every_fee if item.fee.is_by_situation]
    charged = {item.implementation.pk for item in every_fee}
    # An implementation marked as charging but listing no fee must not make the bundle look free.
    unpublished = [impl for impl in implementations if not impl.is_free and impl.pk not in charged]
    total = sum((item.fee.amount or Decimal("0") for item in fees), Decimal("0"))
    promised, unit, separate = _limits(bundle, implementations)
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
    )
