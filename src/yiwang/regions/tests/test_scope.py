"""Region-scope arithmetic: a region's code is the prefix of every code inside it."""

from __future__ import annotations

import pytest

from yiwang.regions.scope import ancestor_codes, pad_region_code, region_contains, region_prefix

GUANG_AN_DISTRICT = "511602000000"  # 广安区, a county (level 3)
A_STREET = "511602001000"  # a street of 广安区 (level 4)
OTHER_COUNTY = "511603000000"


@pytest.mark.parametrize(
    ("level", "prefix"), [(1, "51"), (2, "5116"), (3, "511602"), (4, "511602001"), (5, "511602001000")]
)
def test_each_level_owns_its_digits(level, prefix):
    assert region_prefix(code=A_STREET, level=level) == prefix


def test_a_county_contains_its_streets_and_itself_but_not_its_neighbour():
    assert region_contains(outer_code=GUANG_AN_DISTRICT, outer_level=3, inner_code=A_STREET)
    assert region_contains(outer_code=GUANG_AN_DISTRICT, outer_level=3, inner_code=GUANG_AN_DISTRICT)
    assert not region_contains(outer_code=GUANG_AN_DISTRICT, outer_level=3, inner_code=OTHER_COUNTY)


def test_a_street_does_not_contain_its_county():
    assert not region_contains(outer_code=A_STREET, outer_level=4, inner_code=GUANG_AN_DISTRICT)


def test_the_province_contains_every_code_of_the_province():
    assert region_contains(outer_code="510000000000", outer_level=1, inner_code=OTHER_COUNTY)
    assert not region_contains(outer_code="510000000000", outer_level=1, inner_code="500101000000")


def test_ancestor_codes_run_from_the_region_up_to_the_province():
    assert ancestor_codes(A_STREET) == [
        A_STREET,
        GUANG_AN_DISTRICT,
        "511600000000",
        "510000000000",
    ]
    assert ancestor_codes("510000000000") == ["510000000000"]


def test_short_codes_are_padded_to_twelve_digits():
    assert pad_region_code("5116") == "511600000000"
