"""Date consistency: a birth date agrees with the ID number; a company is established before approval."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from yiwang.core.identifiers import InvalidIdentifier, parse_resident_id
from yiwang.registers.constants import RegisterCode
from yiwang.registers.models import LegalPerson, Person

from ..constants import RuleKind
from .base import CHUNK, QualityRule, Violation, only, quality_rules


@quality_rules.register("population.birth_date_matches_id")
class PersonBirthDate(QualityRule):
    label = "出生日期与公民身份号码中的出生日期一致"
    kind = RuleKind.DATE_CONSISTENCY
    source = RegisterCode.POPULATION

    def check(
        self, *, parameters: Mapping[str, Any], record_ids: Collection[int] | None = None
    ) -> Iterator[Violation]:
        rows = only(Person.objects.order_by(), record_ids).values_list("pk", "id_number", "birth_date")
        for pk, id_number, birth_date in rows.iterator(chunk_size=CHUNK):
            try:
                encoded = parse_resident_id(id_number).birth_date
            except InvalidIdentifier:
                continue  # an invalid number is the check-digit rule's finding, not this one's
            if birth_date != encoded:
                yield Violation(pk, id_number, "birth_date", "出生日期与公民身份号码中的出生日期不一致")


@quality_rules.register("legal_person.registration_dates")
class LegalPersonDates(QualityRule):
    label = "成立日期不晚于核准日期，且均不晚于今天"
    kind = RuleKind.DATE_CONSISTENCY
    source = RegisterCode.LEGAL_PERSON

    def check(
        self, *, parameters: Mapping[str, Any], record_ids: Collection[int] | None = None
    ) -> Iterator[Violation]:
        today = timezone.localdate()
        wrong = (
            Q(established_on__gt=F("approved_on")) | Q(established_on__gt=today) | Q(approved_on__gt=today)
        )
        rows = only(LegalPerson.objects.order_by().filter(wrong), record_ids)
        for pk, code, established, approved in rows.values_list(
            "pk", "credit_code", "established_on", "approved_on"
        ).iterator(chunk_size=CHUNK):
            if established > approved:
                yield Violation(pk, code, "established_on", "成立日期晚于核准日期")
            if established > today:
                yield Violation(pk, code, "established_on", "成立日期晚于今天")
            if approved > today:
                yield Violation(pk, code, "approved_on", "核准日期晚于今天")
