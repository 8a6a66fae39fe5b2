"""factory_boy factories of the licenses domain and of the actors its tests need (synthetic data only)."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from yiwang.catalog.tests.factories import DepartmentFactory, region_by_code, synthetic_credit_code
from yiwang.core.identifiers import resident_id_check_digit
from yiwang.identity.constants import AssuranceLevel, PrincipalKind, StaffRole
from yiwang.identity.models import Enterprise, Mandate, StaffAssignment, User
from yiwang.licenses.constants import HolderKind, ValidityKind
from yiwang.licenses.models import LicenseType
from yiwang.licenses.services import issue_license


def synthetic_id_number(number: int, *, birth: str = "19900307") -> str:
    """A resident ID number with a valid check digit (address 330102, a synthetic sequence)."""
    body = f"330102{birth}{number % 1000:03d}"
    return body + resident_id_check_digit(body)


def synthetic_enterprise_code(number: int) -> str:
    body = f"91330102{number % 10**9:09d}"
    from yiwang.core.identifiers import credit_code_check_character

    return body + credit_code_check_character(body)


PERSON_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "grade": {"type": "string", "enum": ["一级", "二级"]},
    },
    "required": ["name"],
    "additionalProperties": False,
}


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    surname = "张"
    given_name = factory.Sequence(lambda n: f"测{n}")
    id_number = factory.Sequence(lambda n: synthetic_id_number(n))
    assurance_level = AssuranceLevel.REGISTER_VERIFIED
    password = factory.django.Password("correct-horse-battery")

    class Params:
        unverified = factory.Trait(assurance_level=AssuranceLevel.FORMAT_CHECKED)
        staff = factory.Trait(id_number=None, is_staff_member=True)


class StaffAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = StaffAssignment

    user = factory.SubFactory(UserFactory, staff=True)
    department = factory.SubFactory(DepartmentFactory)
    region = factory.LazyAttribute(lambda obj: obj.department.region)
    role = StaffRole.LICENSE_ADMIN


class EnterpriseFactory(DjangoModelFactory):
    class Meta:
        model = Enterprise

    credit_code = factory.Sequence(lambda n: synthetic_enterprise_code(n))
    name = factory.Sequence(lambda n: f"广安测试有限公司{n}")
    representative = factory.SubFactory(UserFactory)


class MandateFactory(DjangoModelFactory):
    class Meta:
        model = Mandate

    principal_kind = PrincipalKind.PERSON
    granted_by = factory.SubFactory(UserFactory)
    agent = factory.SubFactory(UserFactory)
    covers_all_items = True
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=1))
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))

    class Params:
        expired = factory.Trait(
            valid_from=factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30)),
            valid_until=factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=1)),
        )


class LicenseTypeFactory(DjangoModelFactory):
    class Meta:
        model = LicenseType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"TEST_TYPE_{n}")
    name = factory.Sequence(lambda n: f"测试证照{n}")
    holder_kind = HolderKind.PERSON
    issuer_description = "测试部门"
    field_schema = PERSON_SCHEMA
    validity_kind = ValidityKind.YEARS
    validity_years = 5
    display_layout = [{"field": "name", "label": "姓名"}, {"field": "grade", "label": "等级"}]


def make_license(*, holder: User | None = None, issuer=None, license_type=None, **overrides):
    """Issue a real, signed license through the service (the only way licenses come to exist)."""
    holder = holder or UserFactory()
    license_type = license_type or LicenseTypeFactory()
    arguments = {
        "license_type": license_type,
        "issuer": issuer or DepartmentFactory(),
        "holder_code": holder.id_number,
        "holder_name": holder.full_name,
        "surface": {"name": holder.full_name, "grade": "一级"},
    }
    arguments.update(overrides)
    return issue_license(**arguments)


__all__ = [
    "DepartmentFactory",
    "EnterpriseFactory",
    "LicenseTypeFactory",
    "MandateFactory",
    "StaffAssignmentFactory",
    "UserFactory",
    "make_license",
    "region_by_code",
    "synthetic_credit_code",
    "synthetic_enterprise_code",
    "synthetic_id_number",
]
