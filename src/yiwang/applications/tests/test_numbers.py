"""Case numbers: format, check character, gap-free daily serials per region; query codes kept as hashes."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.applications.models import CaseSerial
from yiwang.applications.services import numbers
from yiwang.core.errors import InvalidInput

DAY = dt.date(2026, 10, 8)
REGION = "511602000000"


def test_the_documented_example_is_valid():
    # docs/applications.md and the module docstring show this number
    assert numbers.is_valid_case_number("511602000000202610080000123")
    assert numbers.format_case_number(region_code=REGION, day=DAY, serial=12) == "511602000000202610080000123"


@pytest.mark.django_db
def test_serials_count_per_region_and_day():
    # given two numbers for 广安区 on one day, one for another region, one the next day
    first = numbers.new_case_number(region_code=REGION, day=DAY)
    second = numbers.new_case_number(region_code=REGION, day=DAY)
    other_region = numbers.new_case_number(region_code="511621000000", day=DAY)
    next_day = numbers.new_case_number(region_code=REGION, day=DAY + dt.timedelta(days=1))
    # then each has the region, the day and its serial, and a valid check character
    assert first[:26] == f"{REGION}20261008000001"
    assert second[:26] == f"{REGION}20261008000002"
    assert other_region[:26] == "51162100000020261008000001"
    assert next_day[:26] == f"{REGION}20261009000001"
    assert all(numbers.is_valid_case_number(n) for n in (first, second, other_region, next_day))
    assert len(first) == numbers.NUMBER_LENGTH == 27


@pytest.mark.django_db
def test_a_rolled_back_number_is_given_again():
    from django.db import transaction

    numbers.new_case_number(region_code=REGION, day=DAY)
    with pytest.raises(RuntimeError), transaction.atomic():
        numbers.new_case_number(region_code=REGION, day=DAY)
        raise RuntimeError("the submission failed")
    # then the serial was returned: numbers stay gap-free
    assert numbers.new_case_number(region_code=REGION, day=DAY)[20:26] == "000002"


@pytest.mark.django_db
def test_exhausted_serials_are_refused():
    CaseSerial.objects.create(region_code=REGION, day=DAY, last=numbers.MAX_SERIAL)
    with pytest.raises(InvalidInput) as caught:
        numbers.new_case_number(region_code=REGION, day=DAY)
    assert caught.value.code == "case_serials_exhausted"


def test_a_region_code_must_have_twelve_digits():
    with pytest.raises(InvalidInput):
        numbers.format_case_number(region_code="5116", day=DAY, serial=1)


@given(serial=st.integers(min_value=1, max_value=numbers.MAX_SERIAL), position=st.integers(0, 25))
def test_the_check_character_catches_every_single_wrong_digit(serial, position):
    number = numbers.format_case_number(region_code=REGION, day=DAY, serial=serial)
    digit = number[position]
    for replacement in "0123456789":
        if replacement != digit:
            wrong = number[:position] + replacement + number[position + 1 :]
            assert not numbers.is_valid_case_number(wrong)


@given(serial=st.integers(min_value=1, max_value=numbers.MAX_SERIAL), position=st.integers(0, 24))
def test_the_check_character_catches_swapped_neighbours(serial, position):
    number = numbers.format_case_number(region_code=REGION, day=DAY, serial=serial)
    if number[position] != number[position + 1]:
        swapped = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
        assert not numbers.is_valid_case_number(swapped)


def test_typed_numbers_are_normalized():
    assert numbers.is_valid_case_number(" 511602000000-20261008-000012-3 ")
    assert not numbers.is_valid_case_number("")
    assert not numbers.is_valid_case_number("51160200000020261008000012")  # one short


def test_query_codes_are_random_unambiguous_and_kept_as_keyed_hashes():
    codes = {numbers.new_query_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) == numbers.QUERY_CODE_LENGTH for code in codes)
    assert not set("".join(codes)) & set("01OIL")
    code = codes.pop()
    digest = numbers.hash_query_code(code)
    assert len(digest) == 64 and code not in digest
    assert numbers.query_code_matches(code=code.lower(), code_hash=digest)
    assert not numbers.query_code_matches(code="ABCDEFGH", code_hash=digest)
    assert not numbers.query_code_matches(code=code, code_hash="")
