"""Change notices over real HTTP to the documented receiver (tools/webhook_receiver.py) on loopback.

The consuming system is down (connection refused), then answers 503 for a while, then is back: every
death registered meanwhile arrives, signed, masked by the grant, and after deduplication by event id
exactly once (replays and lost answers bring copies). A receiver that never comes back gets its
deliveries dead-lettered, and the consuming department's data administrators get the alert.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from yiwang.exchange.selectors import managed_department_ids
from yiwang.exchange.services.subscriptions import CHANGE_TOPIC, subscribe_grant
from yiwang.notifications.constants import DeliveryStatus, NoticeKind
from yiwang.notifications.models import Delivery, OutboxEvent
from yiwang.notifications.selectors import get_webhook_public_key, list_notices
from yiwang.notifications.services import deliver_due, replay_deliveries
from yiwang.notifications.tasks import deliver_until_idle
from yiwang.registers.services import register_death
from yiwang.registers.tests.factories import PersonFactory

from .factories import make_world
from .test_subscriptions import grant_of, on_file

pytestmark = pytest.mark.django_db
RECEIVER_PATH = Path(django_settings.BASE_DIR) / "tools" / "webhook_receiver.py"


def _receiver_module():
    spec = importlib.util.spec_from_file_location("webhook_receiver", RECEIVER_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def fast_retries(settings):
    settings.NOTIFICATIONS_WEBHOOK_TRANSPORT = "http"
    settings.NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK = True
    settings.NOTIFICATIONS_WEBHOOK_BACKOFF_BASE = 0.02
    settings.NOTIFICATIONS_WEBHOOK_BACKOFF_CAP = 0.1
    return settings


@pytest.fixture
def world(fast_retries):
    world = make_world()
    world.grant = grant_of(
        world,
        admin=world.civil_admin,
        consumer=world.civil,
        system=world.civil_system,
        resource=world.population,
        items=("id_number", "is_deceased"),
        provider_admin=world.police_admin,
    )
    world.port = _free_port()
    world.subscription = subscribe_grant(
        actor=world.civil_admin, grant_id=world.grant.pk, url=f"http://127.0.0.1:{world.port}/hooks"
    )
    return world


def _register_deaths(world, count: int) -> list[str]:
    people = [PersonFactory() for _ in range(count)]
    on_file(world.civil_system, *people, resource_code=world.population.code)
    for person in people:
        register_death(
            actor=world.police_admin,
            id_number=person.id_number,
            date_of_death=timezone.localdate() - dt.timedelta(days=1),
            reason="医学死亡证明",
            ground_ref=f"SW-{person.pk}",
        )
    return [person.id_number for person in people]


def _deliver_until(condition: Callable[[], bool], *, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "deliveries did not settle in time"
        deliver_until_idle(batch=50)
        time.sleep(0.02)


def test_a_system_down_for_a_while_then_back_gets_every_change_once_after_deduplication(world, tmp_path):
    numbers = _register_deaths(world, 12)
    assert OutboxEvent.objects.filter(topic=CHANGE_TOPIC).count() == 12
    # while the system is down, every attempt is refused and retried
    for _round in range(3):
        deliver_due()
        time.sleep(0.05)
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.FAILED}
    assert "ConnectError" in Delivery.objects.first().last_error
    # then it comes up, answering 503 for its first requests, and more deaths are registered meanwhile
    key_file = tmp_path / "webhook-key.pem"
    key_file.write_text(get_webhook_public_key()["public_key_pem"])
    output = io.StringIO()
    receiver = _receiver_module().WebhookReceiver(
        ("127.0.0.1", world.port), key_pem_path=str(key_file), down_for=5, out=output
    )
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        numbers += _register_deaths(world, 3)
        _deliver_until(lambda: not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists())
        # and a replay of what was delivered (a receiver that lost its data asks again) brings copies
        replayed = replay_deliveries(endpoint=world.subscription.endpoint, include_delivered=True)
        assert replayed == 15
        _deliver_until(lambda: not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists())
    finally:
        receiver.shutdown()
        receiver.server_close()
    # every event arrived, each signed (the receiver verified it with openssl), none twice once deduplicated
    events = {str(event_id) for event_id in OutboxEvent.objects.values_list("event_id", flat=True)}
    assert set(receiver.events) == events and len(receiver.events) == 15
    assert max(receiver.copies.values()) >= 2 and receiver.rejected == 0
    assert receiver.requests >= 5 + 15 * 2  # the 503s, then every event at least twice
    assert "duplicate" in output.getvalue() and "503" in output.getvalue()
    # each carries the masked key and nothing beyond the grant
    masked = {event["payload"]["key"] for event in receiver.events.values()}
    assert masked == {number[:3] + "*" * 11 + number[-4:] for number in numbers}
    assert all(event["payload"]["items"] == {"is_deceased": True} for event in receiver.events.values())


def test_a_system_that_never_comes_back_is_dead_lettered_and_its_administrators_alerted(world, settings):
    settings.NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS = 3
    _register_deaths(world, 1)
    _deliver_until(lambda: Delivery.objects.filter(status=DeliveryStatus.DEAD).exists(), seconds=10)
    delivery = Delivery.objects.get()
    assert delivery.attempts == 3
    # the alert goes to the consuming department's data administrators (and the system's owner, if any)
    alerts = list_notices(department_ids=managed_department_ids(world.civil_admin))
    assert [(notice.kind, notice.delivery_id) for notice in alerts] == [
        (NoticeKind.DELIVERY_DEAD, delivery.pk)
    ]
    assert world.civil_system.name in alerts[0].title or str(delivery.event.event_id) in alerts[0].body
    # not to the provider's, nor another consumer's
    assert not list_notices(department_ids=managed_department_ids(world.police_admin)).exists()
    assert not list_notices(department_ids=managed_department_ids(world.housing_admin)).exists()
    # and once the system is back, a replay delivers the same event
    receiver = _receiver_module().WebhookReceiver(("127.0.0.1", world.port), out=io.StringIO())
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        assert replay_deliveries(actor=world.civil_admin, event_id=delivery.event.event_id) == 1
        _deliver_until(lambda: Delivery.objects.filter(status=DeliveryStatus.DELIVERED).exists())
    finally:
        receiver.shutdown()
        receiver.server_close()
    assert list(receiver.events) == [str(delivery.event.event_id)]


def test_the_receiver_accepts_the_platforms_signature_and_rejects_a_tampered_body(world, tmp_path):
    from yiwang.notifications.signing import body_of, platform_key, sign_body

    _register_deaths(world, 1)
    body = body_of(OutboxEvent.objects.get())
    signature = sign_body(body, key=platform_key())
    key_file = tmp_path / "webhook-key.pem"
    key_file.write_text(get_webhook_public_key()["public_key_pem"])
    receiver = _receiver_module().WebhookReceiver(
        ("127.0.0.1", _free_port()), key_pem_path=str(key_file), out=io.StringIO()
    )
    try:
        assert receiver.take(body.replace(b'"is_deceased":true', b'"is_deceased":false'), signature) == 400
        assert receiver.take(body, "bm90IGEgc2lnbmF0dXJl") == 400
        assert receiver.take(body, signature) == 204
        assert receiver.take(body, signature) == 204  # a copy: acknowledged, not processed again
    finally:
        receiver.server_close()
    assert receiver.rejected == 2 and len(receiver.events) == 1
    assert receiver.copies[str(OutboxEvent.objects.get().event_id)] == 2
