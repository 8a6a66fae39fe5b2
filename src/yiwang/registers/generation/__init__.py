"""Generate the synthetic base registers, reproducibly from a seed, streaming rows to the database."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from tqdm import tqdm

from yiwang.core.errors import InvalidInput
from yiwang.regions.models import Region

from ..models import (
    CreditRecord,
    HousingFundAccount,
    InsuranceEnrolment,
    LegalPerson,
    Person,
    RealEstate,
    RealEstateOwner,
)
from .bulk import insert_rows, next_id, reset_id_sequence
from .companies import (
    CREDIT_COLUMNS,
    ENROLMENT_COLUMNS,
    ESTATE_COLUMNS,
    FUND_COLUMNS,
    LEGAL_PERSON_COLUMNS,
    OWNER_COLUMNS,
    CompanyFactory,
    Employer,
    RecordFactory,
)
from .names import build_pools
from .people import PERSON_COLUMNS, HouseholdFactory, IdNumberMint, Town

_FLUSH_EVERY = 20_000
_TABLES = {
    "people": (Person, PERSON_COLUMNS),
    "legal_persons": (LegalPerson, LEGAL_PERSON_COLUMNS),
    "real_estates": (RealEstate, ESTATE_COLUMNS),
    "estate_owners": (RealEstateOwner, OWNER_COLUMNS),
    "insurance_enrolments": (InsuranceEnrolment, ENROLMENT_COLUMNS),
    "housing_fund_accounts": (HousingFundAccount, FUND_COLUMNS),
    "credit_records": (CreditRecord, CREDIT_COLUMNS),
}


@dataclass
class GenerationSummary:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_TABLES, 0))
    households: int = 0
    created: bool = True

    def __str__(self) -> str:
        parts = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in self.counts.items())
        return parts if self.created else f"already present: {parts}"


@dataclass
class _County:
    code: str
    name: str
    towns: list[Town]


def _load_counties(*, province: str, home_county: str) -> tuple[_County, list[_County]]:
    counties = {
        r.code[:6]: _County(r.code[:6], r.name, [])
        for r in Region.objects.filter(level=3, code__startswith=province).only("code", "name")
    }
    for code, full_name in Region.objects.filter(level=4, code__startswith=province).values_list(
        "code", "full_name"
    ):
        if code[:6] in counties:
            counties[code[:6]].towns.append(Town(code, full_name))
    usable = [county for county in counties.values() if county.towns]
    home = next((county for county in usable if county.code == home_county), None)
    if home is None:
        raise InvalidInput("生成基础库需要先加载行政区划（含乡镇）", code="regions_missing")
    return home, usable


class _Buffers:
    def __init__(self, summary: GenerationSummary) -> None:
        self.rows: dict[str, list[tuple]] = defaultdict(list)
        self.summary = summary

    def add(self, table: str, rows: list[tuple]) -> None:
        self.rows[table].extend(rows)

    def size(self) -> int:
        return len(self.rows["people"])

    def flush(self) -> None:
        for table, rows in self.rows.items():
            model, columns = _TABLES[table]
            self.summary.counts[table] += insert_rows(model=model, columns=columns, rows=rows)
        self.rows.clear()


@transaction.atomic
def generate(
    *,
    people: int,
    companies: int,
    seed: int,
    home_county: str = "511602",
    home_share: float = 0.85,
    progress: bool = False,
) -> GenerationSummary:
    """Write about ``people`` residents in families and ``companies`` legal persons, with related records."""
    rng = random.Random(seed)
    today = dt.date(2026, 11, 1)  # fixed so the same seed gives the same ages on any day
    home, counties = _load_counties(province=home_county[:2], home_county=home_county)
    pools = build_pools(seed=seed)
    households = HouseholdFactory(rng=rng, pools=pools, mint=IdNumberMint(), today=today)
    company_factory = CompanyFactory(rng=rng, pools=pools, today=today)
    records = RecordFactory(rng=rng, today=today, first_estate_id=next_id(model=RealEstate))
    summary = GenerationSummary()
    buffers = _Buffers(summary)
    employers: list[Employer] = []
    company_rate = min(1.0, companies / max(1, people) * 3.4)
    serials = {"fund": 0, "credit": 0}
    reservoir: list[tuple] = []  # eligible representatives already written, for companies still missing
    bar = tqdm(total=people, disable=not progress, unit="人", desc="人口库")
    while summary.counts["people"] + buffers.size() < people:
        county = home if rng.random() < home_share else rng.choice(counties)
        summary.households += 1
        household = households.make(
            number=f"{county.code}{summary.households:09d}", county=county.code, town=rng.choice(county.towns)
        )
        buffers.add("people", households.rows(household))
        bar.update(len(household.members))
        if 25 <= household.members[0].age(today) <= 70:
            if len(employers) < companies and rng.random() < company_rate:
                _add_company(
                    household,
                    county=county,
                    buffers=buffers,
                    factory=company_factory,
                    records=records,
                    employers=employers,
                    serials=serials,
                    rng=rng,
                )
            elif len(reservoir) < 50_000:
                reservoir.append((household, county))
        _add_person_records(
            household,
            county=county,
            buffers=buffers,
            records=records,
            employers=employers,
            serials=serials,
            rng=rng,
            today=today,
        )
        if buffers.size() >= _FLUSH_EVERY:
            buffers.flush()
    while reservoir and len(employers) < companies:
        household, county = rng.choice(reservoir)
        _add_company(
            household,
            county=county,
            buffers=buffers,
            factory=company_factory,
            records=records,
            employers=employers,
            serials=serials,
            rng=rng,
        )
    buffers.flush()
    bar.close()
    reset_id_sequence(model=RealEstate)
    return summary


def _add_company(household, *, county, buffers, factory, records, employers, serials, rng) -> None:
    row = factory.row(
        county=county.code,
        town_code=household.town.code,
        place=county.name,
        representative=household.members[0],
        address=household.address,
    )
    buffers.add("legal_persons", [row])
    employers.append(Employer(row[0], row[1]))
    if rng.random() < 0.03:
        serials["credit"] += 1
        buffers.add(
            "credit_records",
            [records.credit(subject_code=row[0], subject_name=row[1], serial=serials["credit"])],
        )


def _add_person_records(household, *, county, buffers, records, employers, serials, rng, today) -> None:
    head = household.members[0]
    if head.age(today) >= 22 and rng.random() < 0.4:
        estate, owners = records.estate(household, county=county.code, place=county.name)
        buffers.add("real_estates", [estate])
        buffers.add("estate_owners", owners)
    for person in household.members:
        age = person.age(today)
        employer = rng.choice(employers) if employers and 18 <= age < 60 and rng.random() < 0.6 else None
        if rng.random() < 0.7:
            buffers.add(
                "insurance_enrolments",
                records.enrolments(person, region_code=household.town.code, employer=employer),
            )
        if employer is not None and rng.random() < 0.4:
            serials["fund"] += 1
            buffers.add(
                "housing_fund_accounts",
                [records.fund_account(person, serial=serials["fund"], employer=employer)],
            )
        if age >= 18 and rng.random() < 0.003:
            serials["credit"] += 1
            buffers.add(
                "credit_records",
                [
                    records.credit(
                        subject_code=person.id_number, subject_name=person.name, serial=serials["credit"]
                    )
                ],
            )
