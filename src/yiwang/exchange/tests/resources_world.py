"""The exchange world with every resource published: the six registers, each held by its department, and
the e-license library; one resident with a property, insurance, a housing fund account, a credit record
and an e-license; the civil affairs system granted a slice of each (the 低保 review's checks)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.exchange.constants import Mask
from yiwang.exchange.models import Grant, Resource, ShareRequest
from yiwang.exchange.services import (
    approve_sensitive_request,
    decide_request,
    publish_register_resources,
    request_resource,
)
from yiwang.exchange.services.library import publish_license_library
from yiwang.identity.constants import StaffRole
from yiwang.licenses.models import License
from yiwang.licenses.tests.factories import LicenseTypeFactory, make_license
from yiwang.regions.models import Department
from yiwang.registers.constants import (
    CreditRecordKind,
    EnrolmentStatus,
    InsuranceType,
    PropertyUse,
    RegisterCode,
)
from yiwang.registers.models import (
    CreditRecord,
    HousingFundAccount,
    InsuranceEnrolment,
    Person,
    RealEstate,
    RealEstateOwner,
)
from yiwang.registers.tests.factories import PersonFactory, RegisterFactory, town

from .factories import CONSUMER_ITEM, World, make_world, staff, system_token

CASE = "MZ-2026-000456"
CERTIFICATE = "川（2024）广安区不动产权第0012345号"
UNIT = "511602001001GB00012F00010001"
LICENSE_TYPE = "MIN_LIVING_TEST"

# resource -> (the items the civil affairs system is granted, those asked in full, the provider's masks)
CIVIL_GRANTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], dict[str, str]]] = {
    RegisterCode.REAL_ESTATE: (
        ("certificate_number", "owner_id_numbers", "owner_names", "use", "region_code", "mortgagee"),
        (),
        {"mortgagee": Mask.WITHHELD},
    ),
    RegisterCode.SOCIAL_INSURANCE: (
        ("name", "schemes", "contributing_schemes", "employer_name", "months_paid", "started_on"),
        ("months_paid",),
        {},
    ),
    RegisterCode.HOUSING_FUND: (("is_active", "monthly_deposit", "account_number", "opened_on"), (), {}),
    RegisterCode.CREDIT: (
        ("subject_name", "has_dishonest_record", "kinds", "authorities", "decided_on"),
        (),
        {},
    ),
    "licenses": (
        ("identifier", "license_type_code", "status", "holder_code", "holder_name", "valid_until"),
        ("holder_name",),
        {},
    ),
}


@dataclass
class AllResources:
    base: World
    resources: dict[str, Resource]  # by source
    providers: dict[str, Department]
    provider_admins: dict[str, Any]
    grants: dict[str, Grant]
    person: Person
    other: Person  # owns nothing, insured nowhere, clean record
    estate: RealEstate
    license: License
    civil_headers: dict[str, str]
    housing_headers: dict[str, str]
    core_request: ShareRequest = field(init=False)


def _registers_of(person: Person, holder_of_licenses: Department) -> tuple[RealEstate, License]:
    estate = RealEstate.objects.create(
        certificate_number=CERTIFICATE,
        unit_number=UNIT,
        address="四川省广安市广安区测试路8号1栋1单元101",
        region=town(),
        area=Decimal("98.60"),
        use=PropertyUse.RESIDENTIAL,
        is_mortgaged=True,
        mortgagee="中国测试银行广安分行",
        registered_on=dt.date(2024, 6, 3),
    )
    RealEstateOwner.objects.create(
        estate=estate, owner_name=person.name, owner_id_number=person.id_number, share="单独所有"
    )
    for scheme, status in (
        (InsuranceType.PENSION, EnrolmentStatus.CONTRIBUTING),
        (InsuranceType.MEDICAL, EnrolmentStatus.SUSPENDED),
    ):
        InsuranceEnrolment.objects.create(
            id_number=person.id_number,
            name=person.name,
            insurance_type=scheme,
            employer_credit_code="91511602MA6C5XY12K",
            employer_name="广安区测试物流有限公司",
            region=town(),
            status=status,
            started_on=dt.date(2012, 7, 1),
            months_paid=161 if scheme == InsuranceType.PENSION else 150,
        )
    HousingFundAccount.objects.create(
        account_number="511602000123",
        id_number=person.id_number,
        name=person.name,
        employer_credit_code="91511602MA6C5XY12K",
        employer_name="广安区测试物流有限公司",
        balance=Decimal("45678.90"),
        monthly_deposit=Decimal("1234.00"),
        is_active=True,
        opened_on=dt.date(2013, 2, 1),
    )
    CreditRecord.objects.create(
        subject_code=person.id_number,
        subject_name=person.name,
        kind=CreditRecordKind.DISHONEST_DEBTOR,
        authority="广安市广安区人民法院",
        document_number="（2025）川1602执00077号",
        reason="有履行能力而拒不履行生效法律文书确定义务",
        decided_on=dt.date(2025, 4, 1),
        expires_on=timezone.localdate() + dt.timedelta(days=400),
    )
    CreditRecord.objects.create(  # past its publicity period: no longer shared
        subject_code=person.id_number,
        subject_name=person.name,
        kind=CreditRecordKind.SERIOUS_DISHONESTY,
        authority="广安市广安区市场监督管理局",
        document_number="（2019）川1602罚00001号",
        reason="严重违法失信行为",
        decided_on=dt.date(2019, 1, 2),
        expires_on=dt.date(2022, 1, 2),
    )
    license = make_license(
        license_type=LicenseTypeFactory(code=LICENSE_TYPE, name="最低生活保障证（测试）"),
        issuer=holder_of_licenses,
        holder_code=person.id_number,
        holder_name=person.name,
        surface={"name": person.name, "grade": "一级"},
    )
    return estate, license


def _grant_civil(world: AllResources, source: str) -> Grant:
    items, full, masks = CIVIL_GRANTS[source]
    base = world.base
    share = request_resource(
        actor=base.civil_admin,
        resource=world.resources[source],
        consumer=base.civil,
        system=base.civil_system,
        purpose="最低生活保障审核",
        service_item_codes=[CONSUMER_ITEM],
        legal_basis="《社会救助暂行办法》第十一条",
        item_codes=list(items),
        full_items=list(full),
        ends_on=base.ends_on,
    )
    if share.status != "granted":
        decide_request(actor=world.provider_admins[source], request_id=share.pk, approve=True, masks=masks)
        share.refresh_from_db()
    if share.status != "granted":
        approve_sensitive_request(actor=base.platform_admin, request_id=share.pk, approve=True)
        share.refresh_from_db()
    return share.grant


def make_all_resources() -> AllResources:
    base = make_world()
    providers = {
        RegisterCode.REAL_ESTATE: DepartmentFactory(name="区自然资源和规划局"),
        RegisterCode.SOCIAL_INSURANCE: DepartmentFactory(name="区人社局"),
        RegisterCode.HOUSING_FUND: DepartmentFactory(name="市公积金中心"),
        RegisterCode.CREDIT: DepartmentFactory(name="区发改局"),
        "licenses": DepartmentFactory(name="区行政审批局"),
    }
    for code in (
        RegisterCode.REAL_ESTATE,
        RegisterCode.SOCIAL_INSURANCE,
        RegisterCode.HOUSING_FUND,
        RegisterCode.CREDIT,
    ):
        RegisterFactory(code=code, name=str(RegisterCode(code).label), department=providers[code])
    resources = {resource.source: resource for resource in publish_register_resources()}
    resources["licenses"] = publish_license_library(provider=providers["licenses"])
    person = PersonFactory(name="李小红", surname="李", given_name="小红", birth_date=dt.date(1979, 8, 15))
    estate, license = _registers_of(person, providers["licenses"])
    world = AllResources(
        base=base,
        resources=resources,
        providers=providers,
        provider_admins={
            source: staff(department, StaffRole.DATA_ADMIN) for source, department in providers.items()
        },
        grants={},
        person=person,
        other=PersonFactory(),
        estate=estate,
        license=license,
        civil_headers=system_token(base.civil_system, "civil-token"),
        housing_headers=system_token(base.housing_system, "housing-token"),
    )
    world.grants = {source: _grant_civil(world, source) for source in CIVIL_GRANTS}
    # and name and death from the population register, for the batch checks of a review
    population = request_resource(
        actor=base.civil_admin,
        resource=base.population,
        consumer=base.civil,
        system=base.civil_system,
        purpose="最低生活保障年度复核",
        service_item_codes=[CONSUMER_ITEM],
        legal_basis="《社会救助暂行办法》第十一条",
        item_codes=["name", "is_deceased"],
        ends_on=base.ends_on,
    )
    decide_request(actor=base.police_admin, request_id=population.pk, approve=True)
    # the balance (core) asked separately: approved by the provider, not yet by the platform
    world.core_request = request_resource(
        actor=base.civil_admin,
        resource=resources[RegisterCode.HOUSING_FUND],
        consumer=base.civil,
        system=base.civil_system,
        purpose="最低生活保障审核",
        service_item_codes=[CONSUMER_ITEM],
        legal_basis="《社会救助暂行办法》第十一条",
        item_codes=["balance"],
        ends_on=base.ends_on,
    )
    decide_request(
        actor=world.provider_admins[RegisterCode.HOUSING_FUND], request_id=world.core_request.pk, approve=True
    )
    world.core_request.refresh_from_db()
    return world
