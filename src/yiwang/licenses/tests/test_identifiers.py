"""License identifiers: format, check character, round trip (hypothesis for the parser)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.catalog.tests.factories import synthetic_credit_code
from yiwang.licenses.identifiers import (
    InvalidLicenseIdentifier,
    check_character,
    format_identifier,
    is_valid_identifier,
    parse_identifier,
)

ISSUER = synthetic_credit_code(123)


def test_identifier_has_documented_shape():
    identifier = format_identifier(
        type_code="BUSINESS_LICENSE", issuer_credit_code=ISSUER, year=2026, serial=42
    )
    assert identifier.startswith(f"BUSINESS_LICENSE-{ISSUER}-2026-00000042-")
    assert len(identifier.rsplit("-", 1)[1]) == 1
    parsed = parse_identifier(identifier)
    assert (parsed.type_code, parsed.issuer_credit_code, parsed.year, parsed.serial) == (
        "BUSINESS_LICENSE",
        ISSUER,
        2026,
        42,
    )


def test_documented_example_is_valid():
    # the example in docs/license-identifier.md
    body = f"ID_CARD-{ISSUER}-2026-00000001"
    assert is_valid_identifier(f"{body}-{check_character(body)}")


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "ID_CARD",
        "id_card-x",
        f"ID_CARD-{ISSUER}-2026-0000001-0",
        f"ID_CARD-{ISSUER[:-1]}0-2026-00000001-0",
        f"ID_CARD-{ISSUER}-2026-00000000-0",
    ],
)
def test_malformed_identifiers_are_rejected(bad):
    with pytest.raises(InvalidLicenseIdentifier):
        parse_identifier(bad)


@given(
    serial=st.integers(min_value=1, max_value=99_999_999),
    year=st.integers(min_value=1990, max_value=2100),
    position=st.integers(min_value=0, max_value=60),
    replacement=st.sampled_from("0123456789ABCDEFGHJKLMNPQRTUWXY"),
)
def test_any_single_substitution_is_caught(serial, year, position, replacement):
    identifier = format_identifier(
        type_code="FOOD_BUSINESS", issuer_credit_code=ISSUER, year=year, serial=serial
    )
    assert is_valid_identifier(identifier)
    position %= len(identifier)
    if identifier[position] in "-_" or identifier[position] == replacement:
        return
    altered = identifier[:position] + replacement + identifier[position + 1 :]
    assert not is_valid_identifier(altered)


@given(text=st.text(max_size=80))
def test_parser_never_crashes(text):
    assert is_valid_identifier(text) in {True, False}
