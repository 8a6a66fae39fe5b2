"""Validators for resident ID numbers (GB 11643-1999) and unified social credit codes (GB 32100-2015).

Check digit, format and date are strict. Whether an address code still exists is a separate question
(libraries disagree on abolished codes), so it is not part of validity here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError as StdnumError

from .errors import InvalidInput

_RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RIC_CHECK = "10X98765432"
_RIC18 = re.compile(r"[0-9]{17}[0-9X]")
_RIC15 = re.compile(r"[0-9]{15}")
_USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")
# GB 32100-2015 table 1: registering authority code and, per authority, the entity kinds.
_USCC_AUTHORITY_KINDS = {
    "1": "1239",
    "2": "19",
    "3": "12345",
    "4": "19",
    "5": "1239",
    "6": "129",
    "7": "129",
    "8": "19",
    "9": "123",
    "A": "19",
    "N": "1239",
    "Y": "1",
}


class InvalidIdentifier(InvalidInput):
    code = "invalid_identifier"


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: dt.date
    is_male: bool
    address_code: str


def resident_id_check_digit(body17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(body17, _RIC_WEIGHTS, strict=True))
    return _RIC_CHECK[total % 11]


def _parse_birth_date(text: str, *, today: dt.date) -> dt.date:
    try:
        birth = dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise InvalidIdentifier("身份证号码中的出生日期不是有效日期", code="invalid_id_date") from None
    if birth > today or birth.year < 1800:
        raise InvalidIdentifier("身份证号码中的出生日期超出合理范围", code="invalid_id_date")
    return birth


def parse_resident_id(number: str, *, today: dt.date | None = None) -> ResidentId:
    """Validate a resident ID number (18 digits, or the legacy 15) and return what it encodes."""
    today = today or dt.date.today()
    value = (number or "").strip().upper()
    if _RIC18.fullmatch(value):
        if resident_id_check_digit(value[:17]) != value[17]:
            raise InvalidIdentifier("身份证号码校验位不正确", code="invalid_id_checksum")
        birth = _parse_birth_date(value[6:14], today=today)
        return ResidentId(value, birth, int(value[16]) % 2 == 1, value[:6])
    if _RIC15.fullmatch(value):
        birth = _parse_birth_date("19" + value[6:12], today=today)
        return ResidentId(value, birth, int(value[14]) % 2 == 1, value[:6])
    raise InvalidIdentifier("身份证号码应为18位（最后一位可为X）或15位数字", code="invalid_id_format")


def is_valid_resident_id(number: str) -> bool:
    try:
        parse_resident_id(number)
    except InvalidIdentifier:
        return False
    return True


def normalize_credit_code(code: str) -> str:
    """Validate a unified social credit code and return it in upper case."""
    value = (code or "").strip().upper()
    if not _USCC.fullmatch(value):
        raise InvalidIdentifier(
            "统一社会信用代码应为18位，由数字和大写字母组成（不含I、O、S、V、Z）", code="invalid_uscc_format"
        )
    kinds = _USCC_AUTHORITY_KINDS.get(value[0])
    if kinds is None or value[1] not in kinds:
        raise InvalidIdentifier(
            "统一社会信用代码的登记管理部门或机构类别代码无效", code="invalid_uscc_format"
        )
    try:
        stdnum_uscc.validate(value)
    except StdnumError:
        raise InvalidIdentifier("统一社会信用代码校验位不正确", code="invalid_uscc_checksum") from None
    return value


def is_valid_credit_code(code: str) -> bool:
    try:
        normalize_credit_code(code)
    except InvalidIdentifier:
        return False
    return True


def credit_code_check_character(body17: str) -> str:
    """The GB 32100 check character for the first 17 characters (used to build synthetic codes)."""
    return stdnum_uscc.calc_check_digit(body17)
