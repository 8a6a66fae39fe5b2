"""factory_boy factories of accounts, staff roles, enterprises and mandates; traits give assurance levels."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.core.identifiers import credit_code_check_character, resident_id_check_digit
from yiwang.identity.constants import AssuranceLevel, PrincipalKind, StaffRole
from yiwang.identity.models import Enterprise, Mandate, StaffAssignment, User

PASSWORD = "Yiwang-test-2026"


def synthetic_id_number(
    n: int, *, county: str = "511602", birth: dt.date = dt.date(1985, 3, 1), male: bool = True
) -> str:
    sequence = (n % 499) * 2 + (1 if male else 2)
    body = f"{county}{(birth + dt.timedelta(days=n // 499)):%Y%m%d}{sequence:03d}"
    return body + resident_id_check_digit(body)


def synthetic_company_code(n: int, *, county: str = "511602") -> str:
    body = f"91{county}{n % 10**8:08d}0"
    return body + credit_code_check_character(body)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"citizen{n}")
    surname = "张"
    given_name = factory.Sequence(lambda n: "测" + "一二三四五六七八九十"[n % 10])
    id_number = factory.Sequence(lambda n: synthetic_id_number(n + 5000))
    phone = "13800000000"
    assurance_level = AssuranceLevel.FORMAT_CHECKED
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    class Params:
        level3 = factory.Trait(
            assurance_level=AssuranceLevel.REGISTER_VERIFIED,
            phone_verified_at=factory.LazyFunction(timezone.now),
        )
        level4 = factory.Trait(
            assurance_level=AssuranceLevel.FACE_VERIFIED, phone_verified_at=factory.LazyFunction(timezone.now)
        )
        staff = factory.Trait(is_staff_member=True, id_number=None, assurance_level=AssuranceLevel.REGISTERED)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = StaffAssignment

    user = factory.SubFactory(UserFactory, staff=True)
    department = factory.SubFactory(DepartmentFactory)
    region = factory.LazyAttribute(lambda o: o.department.region)
    role = StaffRole.WINDOW_CLERK


class EnterpriseFactory(DjangoModelFactory):
    class Meta:
        model = Enterprise

    credit_code = factory.Sequence(lambda n: synthetic_company_code(n + 7000))
    name = factory.Sequence(lambda n: f"广安区测试企业{n}有限公司")
    representative = factory.SubFactory(UserFactory, level3=True)


class MandateFactory(DjangoModelFactory):
    class Meta:
        model = Mandate
        skip_postgeneration_save = True

    principal_kind = PrincipalKind.ENTERPRISE
    enterprise = factory.SubFactory(EnterpriseFactory)
    granted_by = factory.LazyAttribute(lambda o: o.enterprise.representative)
    agent = factory.SubFactory(UserFactory, level3=True)
    covers_all_items = True
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=1))
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))

    class Params:
        expired = factory.Trait(
            valid_from=factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=60)),
            valid_until=factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=1)),
        )

    @factory.post_generation
    def items(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.covers_all_items = False
            obj.save(update_fields=["covers_all_items"])
            obj.items.set(extracted)
