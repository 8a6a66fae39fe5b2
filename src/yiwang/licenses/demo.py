"""Demo e-licenses, consistent with the synthetic registers: no person in the register, no license.

Reads the registers' own tables (seeding, not a personal-data read by a user) and issues through the
same bulk path as the import. Idempotent: a holder who already has a license of a type gets no second.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from yiwang.regions.models import Department
from yiwang.registers.models import (
    HousingFundAccount,
    InsuranceEnrolment,
    LegalPerson,
    Person,
    RealEstateOwner,
)

from .models import License, LicenseType
from .services import LicenseDraft, issue_in_bulk, load_license_type_catalog

# The demo department (regions.Department.short_name, see catalog/data/service_items) that issues each type.
DEMO_ISSUERS = {
    "ID_CARD": "区公安分局",
    "HOUSEHOLD_REG": "区公安分局",
    "RESIDENCE_PERMIT": "区公安分局",
    "MARRIAGE_CERT": "区民政局",
    "DIVORCE_CERT": "区民政局",
    "MIN_LIVING_CERT": "区民政局",
    "BIRTH_MEDICAL": "区卫健局",
    "PHYSICIAN_CERT": "区卫健局",
    "MEDICAL_INSTITUTION": "区卫健局",
    "SOCIAL_SECURITY_CARD": "区人社局",
    "RETIREMENT_CERT": "区人社局",
    "PRO_QUALIFICATION": "区人社局",
    "MEDICAL_INSURANCE": "区医疗保障局",
    "DRIVING_LICENCE": "市交警支队",
    "VEHICLE_LICENCE": "市交警支队",
    "DEGREE_CERT": "区教科体局",
    "GRADUATION_CERT": "区教科体局",
    "DISABILITY_CERT": "区残联",
    "HOUSING_FUND_PROOF": "市公积金中心",
    "TAX_PAYMENT_PROOF": "广安区税务局",
    "REAL_ESTATE_CERT": "区自然资源和规划局",
    "REAL_ESTATE_PROOF": "区自然资源和规划局",
    "LAND_PLANNING_PERMIT": "区自然资源和规划局",
    "PROJECT_PLANNING_PERMIT": "区自然资源和规划局",
    "BUSINESS_LICENSE": "区市监局",
    "FOOD_BUSINESS": "区市监局",
    "DRUG_BUSINESS": "市市场监管局",
    "ROAD_TRANSPORT": "区交通运输局",
    "CONSTRUCTION_PERMIT": "区住建局",
    "PRESALE_PERMIT": "区住建局",
    "FIRE_SAFETY_CHECK": "区消防大队",
}


def _issuer(code: str) -> Department | None:
    short_name = DEMO_ISSUERS.get(code)
    return (
        Department.objects.filter(short_name=short_name).order_by("-region_id").first()
        if short_name
        else None
    )


def _person_base(person: Person) -> dict:
    return {"name": person.name, "id_number": person.id_number}


def _id_cards(people: Iterable[Person]) -> Iterable[LicenseDraft]:
    for person in people:
        issued = max(person.birth_date.replace(year=person.birth_date.year + 16), dt.date(2016, 1, 4))
        issued = min(issued, timezone.localdate())
        surface = {
            **_person_base(person),
            "gender": person.get_gender_display(),
            "ethnicity": person.ethnicity,
            "birth_date": person.birth_date.isoformat(),
            "address": person.household_address,
        }
        yield LicenseDraft(person.id_number, person.name, surface, issued)


def _household(people: Iterable[Person]) -> Iterable[LicenseDraft]:
    for person in people:
        surface = {
            **_person_base(person),
            "household_number": person.household_number,
            "relation": person.get_household_relation_display(),
            "address": person.household_address,
        }
        yield LicenseDraft(person.id_number, person.name, surface, dt.date(2020, 6, 1))


def _social_security(people: dict[str, Person]) -> Iterable[LicenseDraft]:
    codes = set(InsuranceEnrolment.objects.values_list("id_number", flat=True))
    for code in sorted(codes & set(people)):
        person = people[code]
        surface = {**_person_base(person), "card_number": f"S{code[-9:]}", "issuing_region": "四川省广安市"}
        yield LicenseDraft(code, person.name, surface, dt.date(2022, 3, 1))


def _housing_fund(people: dict[str, Person]) -> Iterable[LicenseDraft]:
    today = timezone.localdate()
    for account in HousingFundAccount.objects.filter(id_number__in=list(people)).order_by("account_number"):
        person = people[account.id_number]
        surface = {
            **_person_base(person),
            "account_number": account.account_number,
            "employer": account.employer_name or "灵活就业",
            "monthly_deposit": float(account.monthly_deposit),
            "balance": float(account.balance),
            "status": "正常缴存" if account.is_active else "封存",
        }
        yield LicenseDraft(account.id_number, person.name, surface, today, today + dt.timedelta(days=90))


def _real_estate(people: dict[str, Person]) -> Iterable[LicenseDraft]:
    owners = RealEstateOwner.objects.filter(owner_id_number__in=list(people)).select_related("estate")
    for owner in owners.order_by("estate__certificate_number"):
        estate, person = owner.estate, people[owner.owner_id_number]
        surface = {
            **_person_base(person),
            "certificate_number": estate.certificate_number,
            "unit_number": estate.unit_number,
            "location": estate.address,
            "area": float(estate.area),
            "use": estate.get_use_display(),
            "co_ownership": owner.share,
        }
        yield LicenseDraft(person.id_number, person.name, surface, estate.registered_on)


def _business_licenses(companies: Iterable[LegalPerson]) -> Iterable[LicenseDraft]:
    for company in companies:
        surface = {
            "name": company.name,
            "credit_code": company.credit_code,
            "legal_representative": company.legal_representative_name,
            "entity_type": company.get_entity_type_display(),
            "registered_capital": float(company.registered_capital),
            "established_on": company.established_on.isoformat(),
            "address": company.address,
            "business_scope": company.business_scope[:2000],
        }
        yield LicenseDraft(company.credit_code, company.name, surface, company.approved_on)


def _new_only(license_type: LicenseType, drafts: Iterable[LicenseDraft]) -> list[LicenseDraft]:
    held = set(License.objects.filter(license_type=license_type).values_list("holder_code", flat=True))
    return [draft for draft in drafts if draft.holder_code not in held]


@transaction.atomic
def load_demo_licenses() -> dict[str, int]:
    """Load the type catalog and issue licenses to the registers' people and companies; returns counts."""
    load_license_type_catalog()
    people = {person.id_number: person for person in Person.objects.filter(is_deceased=False)}
    companies = LegalPerson.objects.filter(status="active").order_by("credit_code")
    sources = {
        "ID_CARD": lambda: _id_cards(people.values()),
        "HOUSEHOLD_REG": lambda: _household(people.values()),
        "SOCIAL_SECURITY_CARD": lambda: _social_security(people),
        "HOUSING_FUND_PROOF": lambda: _housing_fund(people),
        "REAL_ESTATE_CERT": lambda: _real_estate(people),
        "BUSINESS_LICENSE": lambda: _business_licenses(companies),
    }
    counts: dict[str, int] = {}
    for code, source in sources.items():
        license_type, issuer = LicenseType.objects.get(code=code), _issuer(code)
        if issuer is None:
            continue  # the demo departments are not loaded: nobody can issue this type
        license_type.issuing_departments.add(issuer)
        drafts = _new_only(license_type, source())
        counts[code] = issue_in_bulk(
            license_type=license_type, issuer=issuer, drafts=drafts, reason="演示数据"
        )
    for code in set(DEMO_ISSUERS) - set(sources):
        issuer = _issuer(code)
        if issuer is not None:
            LicenseType.objects.get(code=code).issuing_departments.add(issuer)
    return counts


__all__ = ["DEMO_ISSUERS", "load_demo_licenses"]
