"""Case numbers (办件编号) and query codes (查询码).

A case number is 27 characters: the 12-digit code of the case's region, the day it was submitted
(``YYYYMMDD``, Asia/Shanghai), a six-digit serial of that region and day (gap-free: reserved under a row
lock in the submitting transaction, so a rolled-back submission gives its serial back) and an ISO 7064
MOD 11-2 check character (``0``–``9`` or ``X``, the algorithm of the resident ID number), which catches
every single wrong digit and every swap of two neighbouring digits. Example: the 12th case of 广安区 on
8 October 2026 is ``511602000000202610080000123``.

A query code is eight characters from an alphabet without look-alikes (no 0/O, 1/I/L); with the number it
opens the public status page without login. Only its keyed hash is stored.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

from django.db import connection, transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from stdnum.iso7064 import mod_11_2

from yiwang.core.errors import InvalidInput

from ..models import CaseSerial

REGION_DIGITS = 12
SERIAL_DIGITS = 6
MAX_SERIAL = 10**SERIAL_DIGITS - 1
NUMBER_LENGTH = REGION_DIGITS + 8 + SERIAL_DIGITS + 1
_NUMBER = re.compile(rf"[0-9]{{{NUMBER_LENGTH - 1}}}[0-9X]")

QUERY_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
QUERY_CODE_LENGTH = 8
_QUERY_CODE_SALT = "yiwang.applications.query_code"


def check_character(body: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the digits ``body``."""
    return mod_11_2.calc_check_digit(body)


def normalize_case_number(number: str) -> str:
    """The number as stored (spaces and dashes people type are dropped, ``x`` read as ``X``)."""
    return re.sub(r"[\s-]", "", number or "").upper()


def is_valid_case_number(number: str) -> bool:
    """Whether ``number`` has the format and a correct check character (no query)."""
    value = normalize_case_number(number)
    return bool(_NUMBER.fullmatch(value)) and check_character(value[:-1]) == value[-1]


def format_case_number(*, region_code: str, day: dt.date, serial: int) -> str:
    if not (len(region_code) == REGION_DIGITS and region_code.isdigit()):
        raise InvalidInput(_("办件编号的区划代码须为12位数字"), code="invalid_region_code")
    if not 1 <= serial <= MAX_SERIAL:
        raise InvalidInput(_("当日办件流水号已用尽"), code="case_serials_exhausted")
    body = f"{region_code}{day:%Y%m%d}{serial:0{SERIAL_DIGITS}d}"
    return body + check_character(body)


def new_case_number(*, region_code: str, day: dt.date) -> str:
    """Reserve the next serial of the region and day and return the case number built from it.

    The counter row stays locked until the caller's transaction ends: numbers are handed out in commit
    order and a rolled-back submission returns its serial. One statement when the day's counter exists
    (``UPDATE … RETURNING`` takes the lock and the serial at once)."""
    with transaction.atomic(savepoint=False):  # the caller's transaction: a failure here fails it
        serial = _next_serial(region_code, day)
        if serial is None:
            CaseSerial.objects.get_or_create(region_code=region_code, day=day)
            serial = _next_serial(region_code, day)
        assert serial is not None
        return format_case_number(region_code=region_code, day=day, serial=serial)


def _next_serial(region_code: str, day: dt.date) -> int | None:
    table = connection.ops.quote_name(CaseSerial._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last = last + 1 WHERE region_code = %s AND day = %s RETURNING last",  # noqa: S608
            [region_code, connection.ops.adapt_datefield_value(day)],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def new_query_code() -> str:
    """A fresh random query code (shown to the applicant once; store only ``hash_query_code`` of it)."""
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _position in range(QUERY_CODE_LENGTH))


def normalize_query_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").upper()


def hash_query_code(code: str) -> str:
    """The keyed hash kept in ``Case.query_code_hash`` (a leaked table does not reveal the codes)."""
    return salted_hmac(_QUERY_CODE_SALT, normalize_query_code(code), algorithm="sha256").hexdigest()


def query_code_matches(*, code: str, code_hash: str) -> bool:
    return bool(code_hash) and constant_time_compare(hash_query_code(code), code_hash)
