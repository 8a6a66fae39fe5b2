"""The demo's subscription: the benefits system is told of deaths, at the documented local receiver."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.demo.accounts import create_demo_accounts
from yiwang.exchange.demo import DEMO_RECEIVER_URL, load_demo_exchange
from yiwang.exchange.models import Subscription
from yiwang.exchange.selectors import query_resource
from yiwang.exchange.services.subscriptions import CHANGE_TOPIC
from yiwang.identity.models import User
from yiwang.notifications.models import OutboxEvent
from yiwang.registers.models import Person
from yiwang.registers.services import generate_registers, register_death

pytestmark = pytest.mark.django_db


def test_the_demo_subscribes_the_benefits_system_to_deaths_once(client):
    generate_registers(size="test")
    create_demo_accounts()
    load_demo_exchange()
    load_demo_exchange()
    subscription = Subscription.objects.select_related("grant__system", "grant__resource", "endpoint").get()
    assert subscription.grant.system.client_id == "demo-rsj-benefits"
    assert subscription.grant.resource.code == "RK-511602-0001"
    assert subscription.kinds == "death_registered" and subscription.endpoint.url == DEMO_RECEIVER_URL
    # when the police branch's data administrator registers a death, the benefits system is to be told
    person = Person.objects.filter(
        is_deceased=False, region__code__startswith="511602"
    ).first()  # gaj_data's county
    # the benefits system has a case about them (only then do their changes concern it)
    query_resource(
        system=subscription.grant.system,
        resource_code=subscription.grant.resource.code,
        key=person.id_number,
        items=["is_deceased"],
        purpose=subscription.grant.service_item_codes[0],
        case_number="DB-DEMO-1",
    )
    register_death(
        actor=User.objects.get(username="gaj_data"),
        id_number=person.id_number,
        date_of_death=timezone.localdate() - dt.timedelta(days=1),
        reason="医学死亡证明",
        ground_ref="SW-DEMO-1",
    )
    event = OutboxEvent.objects.get(topic=CHANGE_TOPIC)
    assert list(event.deliveries.values_list("endpoint__url", flat=True)) == [DEMO_RECEIVER_URL]
    assert event.payload["items"] == {"is_deceased": True} and event.payload["key"] != person.id_number
