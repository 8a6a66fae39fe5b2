"""Each rule finds what it should and nothing else (each runs alone over a small register)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.quality.rules.base import quality_rules, rules_for
from yiwang.registers.constants import CreditRecordKind, EnrolmentStatus, LegalPersonStatus, RegisterCode
from yiwang.registers.generation import generate
from yiwang.registers.models import CreditRecord, LegalPerson
from yiwang.registers.tests.factories import LegalPersonFactory, PersonFactory

from .factories import broken_id_number, enrolment, fund_account

pytestmark = pytest.mark.django_db


def found(rule_id: str, **parameters) -> set[tuple[int, str]]:
    rule = quality_rules.get(rule_id)
    return {(v.record_id, v.item) for v in rule.check(parameters={**rule.default_parameters, **parameters})}


@pytest.fixture
def people():
    return PersonFactory.create_batch(3)


@pytest.fixture
def companies():
    return LegalPersonFactory.create_batch(3)


def test_every_rule_is_registered_under_its_resource():
    population = {rule.id for rule in rules_for(RegisterCode.POPULATION)}
    legal = {rule.id for rule in rules_for(RegisterCode.LEGAL_PERSON)}
    insurance = {rule.id for rule in rules_for(RegisterCode.SOCIAL_INSURANCE)}
    assert "population.birth_date_matches_id" in population
    assert "legal_person.registration_dates" in legal
    assert "social_insurance.deceased_still_contributing" in insurance
    assert not population & legal and not population & insurance


def test_id_number_check_digit(people):
    wrong = PersonFactory()
    wrong.id_number = broken_id_number(wrong.id_number)
    wrong.save()
    assert found("population.id_number_check_digit") == {(wrong.pk, "id_number")}


def test_required_items(people):
    missing = PersonFactory(ethnicity="")
    assert found("population.required_items") == {(missing.pk, "ethnicity")}
    # a resource may ask for other items: phone is not required by default
    no_phone = PersonFactory(phone="")
    assert found("population.required_items", items=["phone"]) == {(no_phone.pk, "phone")}


def test_birth_date_matches_the_id_number(people):
    wrong = PersonFactory()
    wrong.birth_date = wrong.birth_date - dt.timedelta(days=1)
    wrong.save()
    invalid = PersonFactory()
    invalid.id_number = broken_id_number(invalid.id_number)
    invalid.save()
    # the invalid number is the check-digit rule's business, not this rule's
    assert found("population.birth_date_matches_id") == {(wrong.pk, "birth_date")}


def test_deceased_person_with_active_insurance(people):
    dead, alive = PersonFactory(is_deceased=True), people[0]
    active = enrolment(dead.id_number)
    enrolment(dead.id_number, status=EnrolmentStatus.ENDED, kind="medical")
    enrolment(alive.id_number)
    assert found("social_insurance.deceased_still_contributing") == {(active.pk, "status")}


def test_deceased_person_with_active_housing_fund(people):
    dead, alive = PersonFactory(is_deceased=True), people[0]
    active = fund_account(dead.id_number, "GJJ0001")
    fund_account(dead.id_number, "GJJ0002", active=False)
    fund_account(alive.id_number, "GJJ0003")
    assert found("housing_fund.deceased_still_active") == {(active.pk, "is_active")}


def test_duplicate_people():
    first = PersonFactory(name="王重复", household_address="广安区重复路1号")
    second = PersonFactory(name="王重复", household_address="广安区重复路1号", birth_date=first.birth_date)
    PersonFactory(name="王重复", household_address="广安区别处路2号", birth_date=first.birth_date)
    PersonFactory(name="李不重", household_address="广安区重复路1号", birth_date=first.birth_date)
    assert found("population.duplicate_people") == {(first.pk, "name"), (second.pk, "name")}


def test_duplicate_people_recheck_only_looks_at_the_given_record():
    first = PersonFactory(name="王重复", household_address="广安区重复路1号")
    second = PersonFactory(name="王重复", household_address="广安区重复路1号", birth_date=first.birth_date)
    rule = quality_rules.get("population.duplicate_people")
    assert {v.record_id for v in rule.check(parameters={}, record_ids=[second.pk])} == {second.pk}


def test_credit_code_and_representative_id_check_digits(companies):
    bad_code = LegalPersonFactory()
    bad_code.credit_code = bad_code.credit_code[:17] + ("0" if bad_code.credit_code[-1] != "0" else "1")
    bad_code.save()
    bad_id = LegalPersonFactory()
    bad_id.legal_representative_id_number = broken_id_number(bad_id.legal_representative_id_number)
    bad_id.save()
    assert found("legal_person.identifier_check_digits") == {
        (bad_code.pk, "credit_code"),
        (bad_id.pk, "legal_representative_id_number"),
    }


def test_legal_person_required_items(companies):
    missing = LegalPersonFactory(business_scope="")
    assert found("legal_person.required_items") == {(missing.pk, "business_scope")}


def test_established_after_approved_or_in_the_future(companies):
    reversed_dates = LegalPersonFactory(established_on=dt.date(2021, 1, 1), approved_on=dt.date(2020, 1, 1))
    future = LegalPersonFactory(approved_on=timezone.localdate() + dt.timedelta(days=3))
    assert found("legal_person.registration_dates") == {
        (reversed_dates.pk, "established_on"),
        (future.pk, "approved_on"),
    }


def test_duplicate_names_among_active_companies(companies):
    one = LegalPersonFactory(name="广安区同名有限公司")
    two = LegalPersonFactory(name="广安区同名有限公司")
    LegalPersonFactory(name="广安区同名有限公司", status=LegalPersonStatus.DEREGISTERED)
    assert found("legal_person.duplicate_names") == {(one.pk, "name"), (two.pk, "name")}


def test_generated_companies_have_no_duplicate_names():
    # given a synthetic legal-person register of a few thousand companies, most in one county
    generate(people=8000, companies=2500, seed=20261121)
    companies = LegalPerson.objects.count()
    assert companies > 2000
    # then the duplicate-name rule finds nothing: an enterprise name is unique where it is registered
    assert found("legal_person.duplicate_names") == set()
    assert LegalPerson.objects.values("name").distinct().count() == companies


def test_insured_and_fund_holders_id_numbers(people):
    good = enrolment(people[0].id_number)
    bad = enrolment(broken_id_number(people[1].id_number))
    assert found("social_insurance.id_number_check_digit") == {(bad.pk, "id_number")}
    assert good.pk != bad.pk
    fund_account(people[0].id_number, "GJJ0100")
    wrong = fund_account(broken_id_number(people[2].id_number), "GJJ0101")
    assert found("housing_fund.id_number_check_digit") == {(wrong.pk, "id_number")}


def test_credit_subject_is_a_valid_id_number_or_credit_code(people, companies):
    def record(code):
        return CreditRecord.objects.create(
            subject_code=code,
            subject_name="测试",
            kind=CreditRecordKind.ADMINISTRATIVE_PENALTY,
            authority="区市监局",
            document_number="广区市监罚〔2026〕1号",
            reason="测试",
            decided_on=dt.date(2026, 1, 5),
        )

    record(people[0].id_number)
    record(companies[0].credit_code)
    wrong = record(broken_id_number(people[1].id_number))
    assert found("credit.subject_code_check_digit") == {(wrong.pk, "subject_code")}
