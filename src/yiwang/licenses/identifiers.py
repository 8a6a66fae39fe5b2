"""License identifiers: ``TYPE-ISSUERCREDITCODE-YEAR-SERIAL-C`` with an ISO 7064 MOD 37,36 check character.

See docs/license-identifier.md. The check character is computed over the identifier's letters and digits
(hyphens and the underscores of type codes left out), so any single wrong character or swap of two
neighbours is caught.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.iso7064 import mod_37_36

from yiwang.core.errors import InvalidInput
from yiwang.core.identifiers import is_valid_credit_code

TYPE_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")
_IDENTIFIER = re.compile(
    r"^(?P<type>[A-Z][A-Z0-9_]{0,31})-(?P<issuer>[0-9A-Z]{18})-(?P<year>\d{4})-(?P<serial>\d{8})-(?P<check>[0-9A-Z])$"
)
SERIAL_DIGITS = 8
MAX_SERIAL = 10**SERIAL_DIGITS - 1


class InvalidLicenseIdentifier(InvalidInput):
    code = "invalid_license_identifier"
    default_message = "电子证照标识格式不正确"


@dataclass(frozen=True)
class LicenseIdentifier:
    type_code: str
    issuer_credit_code: str
    year: int
    serial: int

    def __str__(self) -> str:
        body = f"{self.type_code}-{self.issuer_credit_code}-{self.year:04d}-{self.serial:0{SERIAL_DIGITS}d}"
        return f"{body}-{check_character(body)}"


def check_character(body: str) -> str:
    """The ISO 7064 MOD 37,36 check character of an identifier body (letters and digits only count)."""
    return mod_37_36.calc_check_digit(re.sub(r"[^0-9A-Z]", "", body))


def format_identifier(*, type_code: str, issuer_credit_code: str, year: int, serial: int) -> str:
    """The identifier with its check character; raises InvalidLicenseIdentifier on bad parts."""
    if not TYPE_CODE.match(type_code):
        raise InvalidLicenseIdentifier("证照类型代码应为大写字母开头的字母、数字或下划线，最多32位")
    if not 1 <= serial <= MAX_SERIAL or not 1900 <= year <= 9999:
        raise InvalidLicenseIdentifier("证照流水号或年份超出范围")
    return str(LicenseIdentifier(type_code, issuer_credit_code, year, serial))


def parse_identifier(value: str) -> LicenseIdentifier:
    """Validate format, issuer credit code and check character; return the parts."""
    match = _IDENTIFIER.match((value or "").strip().upper())
    if not match:
        raise InvalidLicenseIdentifier()
    if not is_valid_credit_code(match["issuer"]):
        raise InvalidLicenseIdentifier("电子证照标识中的签发机构统一社会信用代码无效")
    body = value.strip().upper()[:-2]
    if check_character(body) != match["check"]:
        raise InvalidLicenseIdentifier("电子证照标识校验位不正确", code="invalid_license_identifier_checksum")
    serial = int(match["serial"])
    if serial < 1:
        raise InvalidLicenseIdentifier("电子证照流水号从1开始")
    return LicenseIdentifier(match["type"], match["issuer"], int(match["year"]), serial)


def is_valid_identifier(value: str) -> bool:
    try:
        parse_identifier(value)
    except InvalidLicenseIdentifier:
        return False
    return True
