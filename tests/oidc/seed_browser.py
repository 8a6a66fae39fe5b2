"""Seed the live server for the identity browser tests; prints JSON the tests read.

Regions (without villages), synthetic registers, the demo client pointed at the test's relying party,
two service items and a company whose legal representative authorized an agent for one of them.
"""

from __future__ import annotations

import datetime as dt
import json
import os

import django

django.setup()

from django.utils import timezone  # noqa: E402

from yiwang.catalog.tests.factories import ServiceItemFactory  # noqa: E402
from yiwang.demo.accounts import DEMO_PASSWORD, ensure_demo_client  # noqa: E402
from yiwang.identity.constants import PrincipalKind  # noqa: E402
from yiwang.identity.models import ClientProfile, Enterprise, Mandate, User  # noqa: E402
from yiwang.regions.services import load_regions  # noqa: E402
from yiwang.registers.models import LegalPerson, Person  # noqa: E402
from yiwang.registers.services import generate_registers  # noqa: E402

load_regions(with_villages=False)
generate_registers(size="test")
client = ensure_demo_client()
client.redirect_uris = os.environ["RP_REDIRECT_URI"]
client.post_logout_redirect_uris = os.environ["RP_BASE"] + "/"
client.save()
ClientProfile.objects.filter(application=client).update(
    backchannel_logout_uri=os.environ["RP_BASE"] + "/backchannel"
)

company = LegalPerson.objects.filter(status="active").order_by("id").first()
rep_person = Person.objects.get(id_number=company.legal_representative_id_number)
taken = {rep_person.id_number}
adults = [
    p
    for p in Person.objects.filter(birth_date__lt=dt.date(2000, 1, 1)).exclude(phone="").order_by("id")[:20]
    if p.id_number not in taken
]
newcomer, agent_person = adults[0], adults[1]


def account(username: str, person: Person) -> User:
    user = User(
        username=username,
        surname=person.surname,
        given_name=person.given_name,
        id_number=person.id_number,
        phone=person.phone,
        phone_verified_at=timezone.now(),
        assurance_level=3,
    )
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


representative, agent = account("rep", rep_person), account("agent", agent_person)
enterprise = Enterprise.objects.create(
    credit_code=company.credit_code, name=company.name, representative=representative
)
inside = ServiceItemFactory(
    code="511E2E0000001", name="食品经营许可（新办）", required_assurance_level=3, enterprise=True
)
outside = ServiceItemFactory(
    code="511E2E0000002", name="建筑工程施工许可", required_assurance_level=3, enterprise=True
)
mandate = Mandate.objects.create(
    principal_kind=PrincipalKind.ENTERPRISE,
    enterprise=enterprise,
    granted_by=representative,
    agent=agent,
    valid_from=timezone.localdate(),
    valid_until=timezone.localdate() + dt.timedelta(days=30),
)
mandate.items.set([inside])
print(
    json.dumps(
        {
            "newcomer": {
                "surname": newcomer.surname,
                "given_name": newcomer.given_name,
                "id_number": newcomer.id_number,
            },
            "agent": "agent",
            "password": DEMO_PASSWORD,
            "company": company.name,
            "inside": inside.code,
            "outside": outside.code,
            "client_id": client.client_id,
        },
        ensure_ascii=False,
    )
)
