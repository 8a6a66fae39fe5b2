"""A small exchange world: two registers with their holders, two consuming departments with a data
administrator and a system each, the platform administrator, and the published register resources."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.exchange.models import Resource
from yiwang.exchange.services import publish_register_resources
from yiwang.identity.constants import StaffRole
from yiwang.identity.models import ClientProfile, User
from yiwang.identity.tests.factories import StaffAssignmentFactory
from yiwang.regions.models import Department
from yiwang.registers.constants import RegisterCode
from yiwang.registers.tests.factories import RegisterFactory

CONSUMER_ITEM = "511602-000-00-001"  # the service item code a consumer's grant serves


def make_system(department: Department, client_id: str, *, grant_type: str | None = None) -> Application:
    application = Application.objects.create(
        name=f"{department.name}业务系统",
        client_id=client_id,
        client_secret=f"{client_id}-secret",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=grant_type or Application.GRANT_CLIENT_CREDENTIALS,
        algorithm=Application.RS256_ALGORITHM,
    )
    ClientProfile.objects.create(application=application, department=department, allowed_scopes="exchange")
    return application


def system_token(system: Application, value: str, *, scope: str = "exchange") -> dict:
    """Headers with a client-credentials token (no user) of ``system``."""
    AccessToken.objects.create(
        user=None, application=system, token=value, scope=scope, expires=timezone.now() + timedelta(hours=1)
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {value}"}


def staff(department: Department, role: str) -> User:
    return StaffAssignmentFactory(department=department, role=role).user


@dataclass
class World:
    police: Department  # holds the population register
    market: Department  # holds the legal-person register
    civil: Department  # consumer A (民政)
    housing: Department  # consumer B (住建)
    police_admin: User
    market_admin: User
    civil_admin: User
    housing_admin: User
    platform_admin: User
    civil_system: Application
    housing_system: Application
    population: Resource
    legal_person: Resource

    @property
    def ends_on(self) -> dt.date:
        return timezone.localdate() + timedelta(days=365)


def make_world() -> World:
    police, market = DepartmentFactory(name="区公安分局"), DepartmentFactory(name="区市监局")
    civil, housing = DepartmentFactory(name="区民政局"), DepartmentFactory(name="区住建局")
    platform = DepartmentFactory(name="区大数据局")
    RegisterFactory(code=RegisterCode.POPULATION, name="人口库", department=police)
    RegisterFactory(code=RegisterCode.LEGAL_PERSON, name="法人库", department=market)
    population, legal_person = publish_register_resources()
    return World(
        police=police,
        market=market,
        civil=civil,
        housing=housing,
        police_admin=staff(police, StaffRole.DATA_ADMIN),
        market_admin=staff(market, StaffRole.DATA_ADMIN),
        civil_admin=staff(civil, StaffRole.DATA_ADMIN),
        housing_admin=staff(housing, StaffRole.DATA_ADMIN),
        platform_admin=staff(platform, StaffRole.PLATFORM_ADMIN),
        civil_system=make_system(civil, "civil-system"),
        housing_system=make_system(housing, "housing-system"),
        population=population,
        legal_person=legal_person,
    )
