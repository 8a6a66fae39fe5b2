"""Cross-register conflicts: a person the population register records as deceased is still insured or
paying into a housing fund account. The rule belongs to the resource holding the conflicting record (the
social-insurance or housing-fund resource), whose department fixes it or explains it."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from yiwang.registers.constants import EnrolmentStatus, RegisterCode
from yiwang.registers.models import HousingFundAccount, InsuranceEnrolment, Person

from ..constants import RuleKind
from .base import CHUNK, QualityRule, Violation, only, quality_rules


def _deceased_numbers():
    return Person.objects.filter(is_deceased=True).values("id_number")


@quality_rules.register("social_insurance.deceased_still_contributing")
class DeceasedInsured(QualityRule):
    label = "户籍登记已死亡的人员不应仍在正常参保"
    kind = RuleKind.CROSS_REGISTER
    source = RegisterCode.SOCIAL_INSURANCE

    def check(
        self, *, parameters: Mapping[str, Any], record_ids: Collection[int] | None = None
    ) -> Iterator[Violation]:
        rows = only(
            InsuranceEnrolment.objects.order_by().filter(
                status=EnrolmentStatus.CONTRIBUTING, id_number__in=_deceased_numbers()
            ),
            record_ids,
        )
        for pk, id_number, insurance_type in rows.values_list("pk", "id_number", "insurance_type").iterator(
            chunk_size=CHUNK
        ):
            label = dict(InsuranceEnrolment._meta.get_field("insurance_type").flatchoices)[insurance_type]
            yield Violation(pk, id_number, "status", f"人口库登记已死亡，{label}仍为正常参保")


@quality_rules.register("housing_fund.deceased_still_active")
class DeceasedHousingFund(QualityRule):
    label = "户籍登记已死亡的人员不应仍有正常缴存的住房公积金账户"
    kind = RuleKind.CROSS_REGISTER
    source = RegisterCode.HOUSING_FUND

    def check(
        self, *, parameters: Mapping[str, Any], record_ids: Collection[int] | None = None
    ) -> Iterator[Violation]:
        rows = only(
            HousingFundAccount.objects.order_by().filter(is_active=True, id_number__in=_deceased_numbers()),
            record_ids,
        )
        for pk, account_number in rows.values_list("pk", "account_number").iterator(chunk_size=CHUNK):
            yield Violation(pk, account_number, "is_active", "人口库登记已死亡，住房公积金账户仍为正常缴存")
