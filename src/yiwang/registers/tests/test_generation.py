"""The synthetic registers: valid identifiers, consistent families, reproducible from the seed."""

from __future__ import annotations

from collections import Counter

import pytest

from yiwang.core.identifiers import normalize_credit_code, parse_resident_id
from yiwang.registers.constants import HouseholdRelation
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
