"""The synthetic registers: valid identifiers, consistent families, reproducible from the seed."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest

from yiwang.core.identifiers import normalize_credit_code, parse_resident_id
from yiwang.registers.constants import HouseholdRelation
from yiwang.registers.generation.companies import CompanyFactory, distinguishing_characters
from yiwang.registers.generation.names import build_pools
from yiwang.registers.generation.people import GeneratedPerson
from yiwang.registers.models import (
    CreditRecord,
    HousingFundAccount,
    InsuranceEnrolment,
    LegalPerson,
    Person,
    RealEstate,
    RealEstateOwner,
    Register,
)
from yiwang.registers.services import generate_registers

pytestmark = pytest.mark.django_db


def test_generated_identifiers_are_valid_and_unique():
    # when
    summary = generate_registers(size="test", seed=7)
    # then
    assert summary.counts["people"] >= 300 and summary.counts["legal_persons"] == 40
    for person in Person.objects.all():
        parsed = parse_resident_id(person.id_number)
        assert parsed.birth_date == person.birth_date
        assert parsed.is_male == (person.gender == "1")
        assert person.region_id.startswith(person.id_number[:6])
    for company in LegalPerson.objects.all():
        assert normalize_credit_code(company.credit_code) == company.credit_code
    assert Register.objects.count() == 6


def test_families_are_consistent():
    generate_registers(size="test", seed=7)
    for number, relations in _households().items():
        assert relations.count(HouseholdRelation.HEAD) == 1, number
    people = {p.id_number: p for p in Person.objects.all()}
    for company in LegalPerson.objects.all():
        representative = people[company.legal_representative_id_number]
        assert representative.name == company.legal_representative_name
    for owner in RealEstateOwner.objects.all():
        assert people[owner.owner_id_number].name == owner.owner_name


def _households() -> dict[str, list[str]]:
    households: dict[str, list[str]] = {}
    for number, relation in Person.objects.values_list("household_number", "household_relation"):
        households.setdefault(number, []).append(relation)
    return households


def test_same_seed_same_data_and_second_run_is_a_no_op():
    generate_registers(size="test", seed=11)
    first = list(Person.objects.order_by("id").values_list("id_number", "name")[:50])
    again = generate_registers(size="test", seed=11)
    assert not again.created
    for model in (Person, LegalPerson, RealEstate, InsuranceEnrolment, HousingFundAccount, CreditRecord):
        model.objects.all().delete()
    generate_registers(size="test", seed=11)
    assert list(Person.objects.order_by("id").values_list("id_number", "name")[:50]) == first
    assert Counter(Person.objects.values_list("gender", flat=True)).keys() == {"1", "2"}


def test_company_names_are_unique_even_when_every_company_is_in_one_county():
    # given one county and two representatives (the same surname for every individual business)
    factory = CompanyFactory(rng=random.Random(3), pools=build_pools(seed=3), today=dt.date(2026, 11, 1))
    representatives = [
        GeneratedPerson("511602199001011234", "王建国", "王", "建国", True, dt.date(1990, 1, 1), "head"),
        GeneratedPerson("511602198502023456", "王丽", "王", "丽", False, dt.date(1985, 2, 2), "head"),
    ]
    # when it names 5,000 companies
    names = [
        factory.row(
            county="511602",
            town_code="511602001000",
            place="广安区",
            representative=representatives[n % 2],
            address="广安区测试路1号",
        )[1]
        for n in range(5000)
    ]
    # then no two share a name, and each still reads place + trade name + industry + organisation form
    assert len(set(names)) == len(names)
    assert all(name.startswith("广安区") for name in names)
    assert any(name.endswith("经营部") for name in names) and any(name.endswith("有限公司") for name in names)


def test_the_additions_to_a_taken_trade_name_never_repeat_and_are_never_empty():
    additions = [distinguishing_characters(serial) for serial in range(2000)]
    assert len(set(additions)) == 2000 and all(additions)
    assert [len(addition) for addition in additions[:31]] == [1] * 30 + [2]
