import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.core.identifiers import (
    InvalidIdentifier,
    credit_code_check_character,
    is_valid_credit_code,
    is_valid_resident_id,
    normalize_credit_code,
    parse_resident_id,
    resident_id_check_digit,
)

DATA = Path(__file__).parent / "data"
RESIDENT_CASES = [
    case for case in json.loads((DATA / "resident_id_vectors.json").read_text())["cases"] if "number" in case
]
# Sources that reject these only by the (separate) address-code history rule, which is not validity here.
ADDRESS_RULE_ONLY = {"500154199301135886", "990426199112010074", "110111198012010078", "110201199312010077"}


@pytest.mark.parametrize("case", RESIDENT_CASES, ids=lambda case: case["number"])
def test_resident_id_vectors(case):
    expected = case["expected_valid_by_source"] or case["number"] in ADDRESS_RULE_ONLY
    assert is_valid_resident_id(case["number"]) is expected


def test_resident_id_parse_gives_birth_date_and_sex():
    parsed = parse_resident_id("11010519491231002X")
    assert str(parsed.birth_date) == "1949-12-31"
    assert parsed.is_male is False
    assert parsed.address_code == "110105"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("110105194912310021", "invalid_id_checksum"),
        ("11010519491331" + "002" + resident_id_check_digit("11010519491331002"), "invalid_id_date"),
        ("11010519491231002", "invalid_id_format"),
        ("", "invalid_id_format"),
        ("21010520990101" + "001" + resident_id_check_digit("21010520990101001"), "invalid_id_date"),
        ("１１０１０５１９４９１２３１００２X", "invalid_id_format"),
    ],
)
def test_resident_id_errors_have_stable_codes(number, code):
    with pytest.raises(InvalidIdentifier) as error:
        parse_resident_id(number)
    assert error.value.code == code
    assert error.value.message  # a Chinese sentence for people


def test_lower_case_x_is_accepted_and_normalized():
    assert parse_resident_id("33010219200403064x").number == "33010219200403064X"


@given(st.text(max_size=30))
def test_resident_id_parser_never_crashes(text):
    with contextlib.suppress(InvalidIdentifier):
        parse_resident_id(text)


@given(st.from_regex(r"\A[0-9]{6}(19[5-9][0-9]|20[01][0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}\Z"))
def test_any_body_with_its_check_digit_is_valid(body):
    assert is_valid_resident_id(body + resident_id_check_digit(body))


@pytest.mark.parametrize(
    "code",
    [line.strip() for line in (DATA / "uscc_valid_python-stdnum.txt").read_text().split() if line.strip()],
)
def test_valid_credit_codes_from_python_stdnum(code):
    assert normalize_credit_code(code) == code


def test_known_entities_and_lookalikes():
    entities = json.loads((DATA / "uscc_known_entities.json").read_text())
    assert all(is_valid_credit_code(entry["code"]) for entry in entities["valid"])
    lookalikes = entities["realistic_but_invalid_found_in_public_mock_data"]
    codes = [entry["code"] if isinstance(entry, dict) else entry for entry in lookalikes]
    assert codes and not any(is_valid_credit_code(code) for code in codes)


@pytest.mark.parametrize(
    ("code", "error_code"),
    [
        ("91330100716105852E", "invalid_uscc_checksum"),
        ("91330100716105852", "invalid_uscc_format"),
        ("9133010071610585IF", "invalid_uscc_format"),
        ("Z1330100716105852F", "invalid_uscc_format"),
    ],
)
def test_credit_code_errors(code, error_code):
    with pytest.raises(InvalidIdentifier) as error:
        normalize_credit_code(code)
    assert error.value.code == error_code


@given(st.from_regex(r"\A(11|12|13|19|51|52|91|92|93)[0-9]{6}[0-9A-HJ-NPQRTUWXY]{9}\Z"))
def test_generated_body_with_check_character_is_valid(body):
    assert is_valid_credit_code(body + credit_code_check_character(body))
