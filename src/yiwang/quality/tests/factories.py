"""A small quality world: the exchange world (population and legal-person resources with their holders)
plus the social-insurance and housing-fund registers held by their own departments, and record makers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.exchange.models import Resource
from yiwang.exchange.services import publish_register_resources
from yiwang.exchange.tests.factories import World, make_world, staff
from yiwang.identity.constants import StaffRole
from yiwang.identity.models import User
from yiwang.regions.models import Department
from yiwang.registers.constants import EnrolmentStatus, InsuranceType, RegisterCode
from yiwang.registers.models import HousingFundAccount, InsuranceEnrolment
from yiwang.registers.tests.factories import RegisterFactory, town


@dataclass
class QualityWorld:
    exchange: World
    insurance: Department  # holds the social-insurance register
    insurance_admin: User
    social_insurance: Resource
    housing_fund: Resource

    def __getattr__(self, name):
        return getattr(self.exchange, name)


def make_quality_world() -> QualityWorld:
    world = make_world()
    insurance = DepartmentFactory(name="区人社局")
    RegisterFactory(code=RegisterCode.SOCIAL_INSURANCE, name="社会保险", department=insurance)
    RegisterFactory(code=RegisterCode.HOUSING_FUND, name="住房公积金", department=world.housing)
    published = {resource.source: resource for resource in publish_register_resources()}
    return QualityWorld(
        exchange=world,
        insurance=insurance,
        insurance_admin=staff(insurance, StaffRole.DATA_ADMIN),
        social_insurance=published[RegisterCode.SOCIAL_INSURANCE],
        housing_fund=published[RegisterCode.HOUSING_FUND],
    )


def enrolment(
    id_number: str, *, status: str = EnrolmentStatus.CONTRIBUTING, kind: str = InsuranceType.PENSION
):
    return InsuranceEnrolment.objects.create(
        id_number=id_number,
        name="张测",
        insurance_type=kind,
        region=town(),
        status=status,
        started_on=dt.date(2010, 1, 1),
        months_paid=120,
    )


def fund_account(id_number: str, number: str, *, active: bool = True) -> HousingFundAccount:
    return HousingFundAccount.objects.create(
        account_number=number,
        id_number=id_number,
        name="张测",
        balance=Decimal("1000"),
        monthly_deposit=Decimal("500"),
        is_active=active,
        opened_on=dt.date(2012, 1, 1),
    )


def broken_id_number(valid: str) -> str:
    """The same number with a wrong check character."""
    wrong = "0" if valid[-1] != "0" else "1"
    return valid[:17] + wrong
