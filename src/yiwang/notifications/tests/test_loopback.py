"""A real HTTP receiver on loopback: down for a while, then back and flaky; and one that never returns.

Every event arrives, none twice once the receiver deduplicates by event id (it answers 500 to some first
copies after keeping them, as a receiver whose answer was lost would: those arrive again); the receiver
that never comes back gets its deliveries dead-lettered, with the alert.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from yiwang.notifications import constants
from yiwang.notifications.constants import DeliveryStatus
from yiwang.notifications.models import Delivery, Notice
from yiwang.notifications.services import deliver_due, enqueue_event
from yiwang.notifications.signing import verify_body
from yiwang.notifications.tasks import deliver_until_idle

from .factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db


class Receiver(ThreadingHTTPServer):
    """Keeps every body it gets; answers 500 to the first copy of every third event (a lost answer)."""

    daemon_threads = True

    def __init__(self, port: int):
        self.received: list[tuple[bytes, dict[str, str]]] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", port), ReceiverHandler)


class ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.server.lock:
            seen_before = any(earlier == body for earlier, _headers in self.server.received)
            self.server.received.append((body, dict(self.headers)))
        number = json.loads(body)["payload"]["n"]
        self.send_response(500 if number % 3 == 0 and not seen_before else 204)
        self.end_headers()

    def log_message(self, *args):
        pass


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def fast_retries(settings):
    settings.NOTIFICATIONS_WEBHOOK_TRANSPORT = "http"
    settings.NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK = True
    settings.NOTIFICATIONS_WEBHOOK_BACKOFF_BASE = 0.02
    settings.NOTIFICATIONS_WEBHOOK_BACKOFF_CAP = 0.2
    return settings


def _deliver_until(condition, *, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "deliveries did not settle in time"
        deliver_until_idle(batch=50)
        time.sleep(0.02)


def test_a_receiver_down_for_a_while_then_back_gets_every_event_once_after_deduplication(fast_retries):
    fast_retries.NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS = 100
    port = _free_port()
    endpoint = WebhookEndpointFactory(url=f"http://127.0.0.1:{port}/hooks")
    events = [
        enqueue_event(topic="registers.person_died", payload={"n": n}, endpoints=[endpoint])
        for n in range(30)
    ]
    # while the receiver is down, every attempt fails and is retried
    for _round in range(3):
        deliver_due()
        time.sleep(0.05)
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.FAILED}
    assert "ConnectError" in Delivery.objects.first().last_error
    # when it comes back
    receiver = Receiver(port)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        _deliver_until(lambda: not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists())
    finally:
        receiver.shutdown()
        receiver.server_close()
    # then every event arrived, some more than once (at least once), exactly once after deduplication
    copies = Counter(json.loads(body)["event_id"] for body, _headers in receiver.received)
    assert set(copies) == {str(event.event_id) for event in events}
    assert max(copies.values()) >= 2
    deduplicated = {headers[constants.HEADER_EVENT_ID]: body for body, headers in receiver.received}
    assert len(deduplicated) == len(events)
    # and each copy carries a signature that verifies against the platform's key
    public_key_hex = _public_key_hex()
    assert all(
        verify_body(body, signature=headers[constants.HEADER_SIGNATURE], public_key_hex=public_key_hex)
        for body, headers in receiver.received
    )


def _public_key_hex() -> str:
    from yiwang.notifications.models import WebhookKey

    return WebhookKey.objects.get(is_active=True).public_key


def test_a_receiver_that_never_returns_gets_dead_letters_and_its_administrators_an_alert(fast_retries):
    fast_retries.NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS = 3
    endpoint = WebhookEndpointFactory(url=f"http://127.0.0.1:{_free_port()}/hooks")
    enqueue_event(topic="registers.person_died", payload={"n": 1}, endpoints=[endpoint])
    _deliver_until(lambda: Delivery.objects.filter(status=DeliveryStatus.DEAD).exists(), seconds=10)
    delivery = Delivery.objects.get()
    assert delivery.attempts == 3
    notice = Notice.objects.get(delivery=delivery)
    assert notice.department == endpoint.department
