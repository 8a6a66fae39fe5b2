"""Check digits: resident ID numbers (GB 11643-1999) and unified social credit codes (GB 32100-2015)."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from yiwang.core.identifiers import InvalidIdentifier, normalize_credit_code, parse_resident_id
from yiwang.registers.constants import RegisterCode
from yiwang.registers.models import CreditRecord, HousingFundAccount, InsuranceEnrolment, LegalPerson, Person

from ..constants import RuleKind
from .base import CHUNK, QualityRule, Violation, only, quality_rules


def id_number_problem(value: str) -> str:
    """Why an ID number is invalid (check digit, format, date), or "" when it is valid."""
    try:
        parse_resident_id(value)
    except InvalidIdentifier as error:
        return error.message
    return ""


def credit_code_problem(value: str) -> str:
    try:
        normalize_credit_code(value)
    except InvalidIdentifier as error:
        return error.message
    return ""


@quality_rules.register("population.id_number_check_digit")
class PersonIdNumber(QualityRule):
    label = "公民身份号码符合 GB 11643（格式、出生日期、校验位）"
    kind = RuleKind.CHECK_DIGIT
    source = RegisterCode.POPULATION

    def check(
        self, *, parameters: Mapping[str, Any], record_ids: Collection[int] | None = None
    ) -> Iterator[Violation]:
        rows = only(Person.objects.order_by(), record_ids).values_list("pk", "id_number")
        for pk, id_number in rows.iterator(chunk_size=CHUNK):
            if problem := id_number_problem(id_number):
                yield Violation(pk, id_number, "id_number", problem)


@quality_rules.register("legal_person.identifier_check_digits")
class LegalPersonIdentifiers(QualityRule):
    label = "统一社会信用代码符合 GB 32100，法定代表人身份号码符合 GB 11643"
    kind = RuleKind.CHECK_DIGIT
    source = RegisterCode.LEGAL_PERSON

    def check(
        self, *, parameters: Mapping[str, Any], record_ids: Collection[int] | None = None
    ) -> Iterator[Violation]:
        rows = only(LegalPerson.objects.order_by(), record_ids).values_list(
            "pk", "credit_code", "legal_representative_id_number"
        )
        for pk, credit_code, representative_id in rows.iterator(chunk_size=CHUNK):
            if problem := credit_code_problem(credit_code):
                yield Violation(pk, credit_code, "credit_code", problem)
            if problem := id_number_problem(representative_id):
                yield Violation(pk, credit_code, "legal_representative_id_number", f"法定代表人{problem}")


@quality_rules.register("social_insurance.id_number_check_digit")
class InsuredIdNumber(QualityRule):
    label = "参保人员公民身份号码符合 GB 11643"
    kind = RuleKind.CHECK_DIGIT
    source = RegisterCode.SOCIAL_INSURANCE

    def check(
        self, *, parameters: Mapping[str, Any], record_ids: Collection[int] | None = None
    ) -> Iterator[Violation]:
        rows = only(InsuranceEnrolment.objects.order_by(), record_ids).values_list("pk", "id_number")
        for pk, id_number in rows.iterator(chunk_size=CHUNK):
            if problem := id_number_problem(id_number):
                yield Violation(pk, id_number, "id_number", problem)


@quality_rules.register("housing_fund.id_number_check_digit")
class FundHolderIdNumber(QualityRule):
    label = "缴存人公民身份号码符合 GB 11643"
    kind = RuleKind.CHECK_DIGIT
    source = RegisterCode.HOUSING_FUND

    def check(
        self, *, parameters: Mapping[str, Any], record_ids: Collection[int] | None = None
    ) -> Iterator[Violation]:
        rows = only(HousingFundAccount.objects.order_by(), record_ids).values_list(
            "pk", "account_number", "id_number"
        )
        for pk, account_number, id_number in rows.iterator(chunk_size=CHUNK):
            if problem := id_number_problem(id_number):
                yield Violation(pk, account_number, "id_number", problem)


@quality_rules.register("credit.subject_code_check_digit")
class CreditSubjectCode(QualityRule):
    label = "信用主体的证件号码（GB 11643）或统一社会信用代码（GB 32100）有效"
    kind = RuleKind.CHECK_DIGIT
    source = RegisterCode.CREDIT

    def check(
        self, *, parameters: Mapping[str, Any], record_ids: Collection[int] | None = None
    ) -> Iterator[Violation]:
        rows = only(CreditRecord.objects.order_by(), record_ids).values_list("pk", "subject_code")
        for pk, code in rows.iterator(chunk_size=CHUNK):
            if id_number_problem(code) and credit_code_problem(code):
                yield Violation(
                    pk, code, "subject_code", "主体证件号码或统一社会信用代码无效（格式或校验位）"
                )
