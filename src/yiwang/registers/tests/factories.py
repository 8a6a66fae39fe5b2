"""factory_boy factories of register records, with valid synthetic identifiers (never real ones)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from yiwang.identity.tests.factories import synthetic_company_code, synthetic_id_number
from yiwang.regions.models import Region
from yiwang.registers.constants import (
    Gender,
    HouseholdRelation,
    LegalPersonStatus,
    LegalPersonType,
    MaritalStatus,
    RegisterCode,
)
from yiwang.registers.models import LegalPerson, Person, Register

TOWN_CODE = "511602001000"  # a street of 广安区


def town() -> Region:
    return Region.objects.filter(code__startswith="511602", level=4).order_by("code").first()


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    id_number = factory.Sequence(lambda n: synthetic_id_number(n))
    surname = "张"
    given_name = factory.Sequence(lambda n: "测" + "一二三四五六七八九十"[n % 10])
    name = factory.LazyAttribute(lambda o: o.surname + o.given_name)
    gender = Gender.MALE
    birth_date = factory.LazyAttribute(
        lambda o: dt.date(int(o.id_number[6:10]), int(o.id_number[10:12]), int(o.id_number[12:14]))
    )
    ethnicity = "汉族"
    household_address = "四川省广安市广安区测试路1号"
    region = factory.LazyFunction(town)
    phone = "13800000000"
    marital_status = MaritalStatus.MARRIED
    household_number = factory.Sequence(lambda n: f"511602{n:09d}")
    household_relation = HouseholdRelation.HEAD


class LegalPersonFactory(DjangoModelFactory):
    class Meta:
        model = LegalPerson

    credit_code = factory.Sequence(lambda n: synthetic_company_code(n))
    name = factory.Sequence(lambda n: f"广安区测试科技有限公司{n}")
    entity_type = LegalPersonType.LIMITED_COMPANY
    legal_representative_name = "张测一"
    legal_representative_id_number = factory.Sequence(lambda n: synthetic_id_number(n))
    registered_capital = Decimal("100")
    address = "四川省广安市广安区测试路2号"
    region = factory.LazyFunction(town)
    status = LegalPersonStatus.ACTIVE
    established_on = dt.date(2015, 5, 1)
    approved_on = dt.date(2020, 5, 1)
    business_scope = "软件开发"


class RegisterFactory(DjangoModelFactory):
    class Meta:
        model = Register
        django_get_or_create = ("code",)

    code = RegisterCode.POPULATION
    name = "人口库"
