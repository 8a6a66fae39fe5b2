"""Synthetic legal persons with valid credit codes, and the records other registers keep about people."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from yiwang.core.identifiers import credit_code_check_character

from ..constants import (
    CreditRecordKind,
    EnrolmentStatus,
    InsuranceType,
    LegalPersonStatus,
    LegalPersonType,
    PropertyUse,
)
from .names import BANKS, INDUSTRIES, PROVINCE_ABBREVIATIONS, NamePools
from .people import GeneratedPerson, Household

LEGAL_PERSON_COLUMNS = (
    "credit_code",
    "name",
    "entity_type",
    "legal_representative_name",
    "legal_representative_id_number",
    "registered_capital",
    "address",
    "region_id",
    "status",
    "established_on",
    "approved_on",
    "business_scope",
)
ESTATE_COLUMNS = (
    "id",
    "certificate_number",
    "unit_number",
    "address",
    "region_id",
    "area",
    "use",
    "is_mortgaged",
    "mortgagee",
    "registered_on",
)
OWNER_COLUMNS = ("estate_id", "owner_name", "owner_id_number", "share")
ENROLMENT_COLUMNS = (
    "id_number",
    "name",
    "insurance_type",
    "employer_credit_code",
    "employer_name",
    "region_id",
    "status",
    "started_on",
    "months_paid",
)
FUND_COLUMNS = (
    "account_number",
    "id_number",
    "name",
    "employer_credit_code",
    "employer_name",
    "balance",
    "monthly_deposit",
    "is_active",
    "opened_on",
)
CREDIT_COLUMNS = (
    "subject_code",
    "subject_name",
    "kind",
    "authority",
    "document_number",
    "reason",
    "decided_on",
    "expires_on",
)
_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# Characters added to a trade name (字号) already taken: an enterprise name is unique where it is
# registered, so a second "广安区超艺科技有限公司" becomes "广安区超艺兴科技有限公司".
_TRADE_NAME_CHARACTERS = "兴达盛源宏泰丰瑞隆祥福康昌顺安恒嘉诚信德利通和聚佳新宇辰豪锦"


def distinguishing_characters(serial: int) -> str:
    """The ``serial``-th (from 0) addition to a taken trade name: 兴, 达, …, 锦, 兴兴, 兴达, …"""
    characters = []
    serial += 1
    while serial:
        serial, digit = divmod(serial - 1, len(_TRADE_NAME_CHARACTERS))
        characters.append(_TRADE_NAME_CHARACTERS[digit])
    return "".join(reversed(characters))


@dataclass(frozen=True)
class Employer:
    credit_code: str
    name: str


def organization_code(rng: random.Random) -> str:
    """A GB 11714 organization code: eight characters and their check character."""
    body = "".join(rng.choice(_CODE_ALPHABET[:10] if i == 0 else _CODE_ALPHABET) for i in range(8))
    total = sum(_CODE_ALPHABET.index(char) * weight for char, weight in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(rng: random.Random, *, county: str, individual: bool) -> str:
    body = ("92" if individual else "91") + county + organization_code(rng)
    return body + credit_code_check_character(body)


def _random_date(rng: random.Random, *, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange(max(1, (end - start).days)))


class CompanyFactory:
    def __init__(self, *, rng: random.Random, pools: NamePools, today: dt.date) -> None:
        self.rng, self.pools, self.today = rng, pools, today
        self._codes: set[str] = set()
        self._names: set[str] = set()
        self._next_addition: dict[tuple[str, str, str], int] = {}

    def _unique_name(self, *, place: str, trade_name: str, tail: str) -> str:
        """``place + trade_name + tail``, the trade name lengthened deterministically if it is taken."""
        name = f"{place}{trade_name}{tail}"
        base = (place, trade_name, tail)
        while name in self._names:
            serial = self._next_addition.get(base, 0)
            self._next_addition[base] = serial + 1
            name = f"{place}{trade_name}{distinguishing_characters(serial)}{tail}"
        self._names.add(name)
        return name

    def _unique_code(self, *, county: str, individual: bool) -> str:
        while True:
            code = credit_code(self.rng, county=county, individual=individual)
            if code not in self._codes:
                self._codes.add(code)
                return code

    def row(
        self, *, county: str, town_code: str, place: str, representative: GeneratedPerson, address: str
    ) -> tuple:
        """A legal-person register row in LEGAL_PERSON_COLUMNS order."""
        rng = self.rng
        entity_type = rng.choices(list(LegalPersonType.values), weights=(60, 5, 5, 4, 22, 4))[0]
        industry, scope = rng.choice(INDUSTRIES)
        individual = entity_type == LegalPersonType.INDIVIDUAL_BUSINESS
        prefix = rng.choice(self.pools.company_prefixes)
        if individual:
            name = self._unique_name(
                place=place, trade_name=representative.surname, tail=f"记{industry}经营部"
            )
        else:
            suffix = {
                "jsc": "股份有限公司",
                "sole": "（个人独资）",
                "partnership": "（有限合伙）",
                "coop": "专业合作社",
            }.get(entity_type, "有限公司")
            name = self._unique_name(place=place, trade_name=prefix, tail=f"{industry}{suffix}")
        established = _random_date(rng, start=dt.date(1995, 1, 1), end=self.today - dt.timedelta(days=30))
        status = rng.choices(list(LegalPersonStatus.values), weights=(92, 3, 5))[0]
        capital = (
            Decimal(rng.choice((3, 5, 10, 50, 100, 200, 500, 1000, 5000))) if not individual else Decimal(1)
        )
        return (
            self._unique_code(county=county, individual=individual),
            name,
            entity_type,
            representative.name,
            representative.id_number,
            capital,
            address,
            town_code,
            status,
            established,
            _random_date(rng, start=established, end=self.today),
            scope,
        )


class RecordFactory:
    """Real estate, insurance, housing fund and credit records for one household."""

    def __init__(self, *, rng: random.Random, today: dt.date, first_estate_id: int) -> None:
        self.rng, self.today = rng, today
        self.next_estate_id = first_estate_id
        self.estate_serial = 0

    def estate(self, household: Household, *, county: str, place: str) -> tuple[tuple, list[tuple]]:
        rng, self.estate_serial = self.rng, self.estate_serial + 1
        estate_id, self.next_estate_id = self.next_estate_id, self.next_estate_id + 1
        registered = _random_date(rng, start=dt.date(2016, 1, 1), end=self.today)
        province = PROVINCE_ABBREVIATIONS.get(county[:2], "川")
        certificate = f"{province}({registered.year}){place}不动产权第{county}{self.estate_serial:07d}号"
        unit = (
            f"{household.town.code[:9]}{rng.randrange(1000):03d}GB{self.estate_serial % 100000:05d}F"
            f"{rng.randrange(1, 10000):04d}{rng.randrange(1, 10000):04d}"
        )
        mortgaged = rng.random() < 0.3
        row = (
            estate_id,
            certificate,
            unit,
            household.address,
            household.town.code,
            Decimal(rng.randrange(4000, 16000)) / 100,
            PropertyUse.RESIDENTIAL,
            mortgaged,
            rng.choice(BANKS) if mortgaged else "",
            registered,
        )
        adults = [p for p in household.members[:2] if p.age(self.today) >= 18]
        share = "共同共有" if len(adults) > 1 else "单独所有"
        return row, [(estate_id, p.name, p.id_number, share) for p in adults]

    def enrolments(
        self, person: GeneratedPerson, *, region_code: str, employer: Employer | None
    ) -> list[tuple]:
        rng, age = self.rng, person.age(self.today)
        started = _random_date(self.rng, start=max(person.birth_date, dt.date(2000, 1, 1)), end=self.today)
        months = max(0, (self.today.year - started.year) * 12 + self.today.month - started.month)
        status = EnrolmentStatus.CONTRIBUTING if rng.random() < 0.9 else EnrolmentStatus.SUSPENDED
        code, name = (employer.credit_code, employer.name) if employer else ("", "")
        rows = [
            (
                person.id_number,
                person.name,
                InsuranceType.MEDICAL,
                code,
                name,
                region_code,
                status,
                started,
                months,
            )
        ]
        if 18 <= age < 60:
            rows.append(
                (
                    person.id_number,
                    person.name,
                    InsuranceType.PENSION,
                    code,
                    name,
                    region_code,
                    status,
                    started,
                    months,
                )
            )
        return rows

    def fund_account(self, person: GeneratedPerson, *, serial: int, employer: Employer) -> tuple:
        deposit = Decimal(self.rng.randrange(200, 3000))
        opened = _random_date(self.rng, start=dt.date(2005, 1, 1), end=self.today)
        months = (self.today.year - opened.year) * 12
        return (
            f"{serial:012d}",
            person.id_number,
            person.name,
            employer.credit_code,
            employer.name,
            deposit * Decimal(max(1, months // 3)),
            deposit,
            True,
            opened,
        )

    def credit(self, *, subject_code: str, subject_name: str, serial: int) -> tuple:
        rng = self.rng
        kind = rng.choices(list(CreditRecordKind.values), weights=(50, 45, 5))[0]
        decided = _random_date(rng, start=dt.date(2018, 1, 1), end=self.today)
        authority = (
            "广安市广安区人民法院"
            if kind == CreditRecordKind.DISHONEST_DEBTOR
            else "广安市广安区市场监督管理局"
        )
        reason = {
            "dishonest": "有履行能力而拒不履行生效法律文书确定义务",
            "penalty": "未按规定公示年度报告",
            "serious": "严重违法失信行为",
        }[kind]
        return (
            subject_code,
            subject_name,
            kind,
            authority,
            f"（{decided.year}）川1602执{serial:05d}号",
            reason,
            decided,
            decided + dt.timedelta(days=3 * 365),
        )
