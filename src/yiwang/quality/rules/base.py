"""The contract of a quality rule and the registry every rule registers in.

A rule belongs to the resource published from its ``source`` register and flags records of its
``target`` register (the same one, except for cross-register conflicts). ``check`` streams the records
(``.iterator()``: registers hold a million rows) and yields a ``Violation`` per wrong item; given
``record_ids`` it checks only those (the re-check of a finding marked fixed).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from yiwang.core.registry import Registry
from yiwang.registers.constants import RegisterCode
from yiwang.registers.models import (
    CreditRecord,
    HousingFundAccount,
    InsuranceEnrolment,
    LegalPerson,
    Person,
    RealEstate,
)

CHUNK = 2000


@dataclass(frozen=True)
class Violation:
    """One wrong item of one record; ``message`` says what is wrong without repeating personal data."""

    record_id: int
    record_key: str
    item: str
    message: str


class QualityRule(ABC):
    id: ClassVar[str]  # set by the registry
    label: ClassVar[str]  # Chinese, shown to data administrators
    kind: ClassVar[str]  # constants.RuleKind
    source: ClassVar[str]  # registers.constants.RegisterCode of the resource the rule runs under
    target: ClassVar[str] = ""  # the register whose records it flags; "" means the source
    default_parameters: ClassVar[Mapping[str, Any]] = {}

    @property
    def flagged_register(self) -> str:
        return self.target or self.source

    @abstractmethod
    def check(
        self, *, parameters: Mapping[str, Any], record_ids: Collection[int] | None = None
    ) -> Iterator[Violation]:
        """Yield the violations among the target register's records (or only ``record_ids``)."""


quality_rules: Registry[QualityRule] = Registry(
    "quality rules",
    modules=(
        "yiwang.quality.rules.identifiers",
        "yiwang.quality.rules.completeness",
        "yiwang.quality.rules.dates",
        "yiwang.quality.rules.conflicts",
        "yiwang.quality.rules.duplicates",
    ),
)


def rules_for(source: str) -> list[QualityRule]:
    """The registered rules of the resource published from ``source``, in id order."""
    rules = (quality_rules.get(rule_id) for rule_id in quality_rules.ids())
    return [rule for rule in rules if rule.source == source]


def only(queryset, record_ids: Collection[int] | None):
    return queryset if record_ids is None else queryset.filter(pk__in=list(record_ids))


def register_models() -> dict[str, Any]:
    """The model of each register's records (for counting what a run checked)."""
    return {
        RegisterCode.POPULATION: Person,
        RegisterCode.LEGAL_PERSON: LegalPerson,
        RegisterCode.REAL_ESTATE: RealEstate,
        RegisterCode.SOCIAL_INSURANCE: InsuranceEnrolment,
        RegisterCode.HOUSING_FUND: HousingFundAccount,
        RegisterCode.CREDIT: CreditRecord,
    }
