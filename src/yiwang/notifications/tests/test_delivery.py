"""Delivery: headers, retries with backoff, dead letters with their alert, replays, the audit trail."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from yiwang.audit.models import AuditEntry
from yiwang.identity.tests.factories import UserFactory
from yiwang.notifications import constants
from yiwang.notifications.constants import AuditAction, DeliveryStatus, NoticeKind
from yiwang.notifications.models import Delivery, Notice
from yiwang.notifications.services import deliver_due, enqueue_event, replay_deliveries
from yiwang.notifications.tasks import deliver_webhooks

from .factories import WebhookEndpointFactory, recording_transport

pytestmark = pytest.mark.django_db


def _application(*, user):
    from oauth2_provider.models import Application

    return Application.objects.create(
        name="民政业务系统",
        user=user,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://mz.example.gov.cn/callback",
    )


def _due_now(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_a_delivery_posts_the_signed_body_with_the_event_headers(settings):
    transport = recording_transport(settings)
    endpoint = WebhookEndpointFactory()
    event = enqueue_event(topic="licenses.revoked", payload={"license": "L-1"}, endpoints=[endpoint])
    run = deliver_due()
    assert (run.claimed, run.delivered) == (1, 1)
    [request] = transport.requests
    assert request["url"] == endpoint.url
    body = json.loads(request["body"])
    assert body["event_id"] == str(event.event_id) == request["headers"][constants.HEADER_EVENT_ID]
    assert body["topic"] == "licenses.revoked" == request["headers"][constants.HEADER_TOPIC]
    assert body["payload"] == {"license": "L-1"}
    assert request["headers"][constants.HEADER_ATTEMPT] == "1"
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.delivered_at is not None
    # a delivered event is not sent again
    assert deliver_due().claimed == 0


def test_a_failed_attempt_is_retried_after_the_backoff_delay(settings):
    transport = recording_transport(settings)
    transport.answers[:] = [503]
    enqueue_event(topic="t.changed", payload={}, endpoints=[WebhookEndpointFactory()])
    before = timezone.now()
    assert deliver_due().retrying == 1
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_error == "HTTP 503"
    base = settings.NOTIFICATIONS_WEBHOOK_BACKOFF_BASE
    assert before + dt.timedelta(seconds=base / 2) <= delivery.next_attempt_at
    assert delivery.next_attempt_at <= timezone.now() + dt.timedelta(seconds=base)
    # not due yet: nothing is sent; once due, the second attempt delivers it
    assert deliver_due().claimed == 0
    _due_now(delivery)
    assert deliver_due().delivered == 1
    assert [request["headers"][constants.HEADER_ATTEMPT] for request in transport.requests] == ["1", "2"]


def test_a_claimed_delivery_is_not_claimed_again_while_its_lease_runs():
    enqueue_event(topic="t.changed", payload={}, endpoints=[WebhookEndpointFactory()])
    from yiwang.notifications.services.delivery import _claim

    assert len(_claim(limit=10, now=timezone.now())) == 1
    assert _claim(limit=10, now=timezone.now()) == []
    assert Delivery.objects.get().attempts == 1


def test_after_the_last_try_the_delivery_is_dead_and_the_administrators_are_alerted(settings):
    settings.NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS = 3
    transport = recording_transport(settings)
    transport.answers[:] = [None, 500, 500]
    owner = UserFactory(staff=True)
    endpoint = WebhookEndpointFactory(application=_application(user=owner))
    event = enqueue_event(topic="t.changed", payload={}, endpoints=[endpoint])
    for _attempt in range(3):
        _due_now(Delivery.objects.get())
        deliver_due()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.DEAD, 3, None)
    assert deliver_due().claimed == 0  # a dead letter waits for a replay
    notice = Notice.objects.get()
    assert (notice.kind, notice.department, notice.delivery) == (
        NoticeKind.DELIVERY_DEAD,
        endpoint.department,
        delivery,
    )
    assert notice.recipient == owner  # the owning system's account is told too
    assert str(event.event_id) in notice.body
    entry = AuditEntry.objects.get(action=AuditAction.DELIVERY_DEAD)
    assert entry.department == endpoint.department
    assert entry.details["event_id"] == str(event.event_id)


def test_a_replayed_dead_letter_is_sent_again_and_the_replay_is_audited(settings):
    settings.NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS = 1
    transport = recording_transport(settings)
    transport.answers[:] = [500]
    endpoint = WebhookEndpointFactory()
    event = enqueue_event(topic="t.changed", payload={}, endpoints=[endpoint])
    deliver_due()
    assert Delivery.objects.get().status == DeliveryStatus.DEAD
    # when the operator replays the event from the command line
    call_command("replay_deliveries", "--event", str(event.event_id))
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
    assert deliver_due().delivered == 1
    entry = AuditEntry.objects.get(action=AuditAction.DELIVERIES_REPLAYED)
    assert entry.department == endpoint.department and entry.details["count"] == 1
    # a delivered one is replayed only when asked
    assert replay_deliveries(endpoint=endpoint) == 0
    assert replay_deliveries(endpoint=endpoint, include_delivered=True) == 1


def test_the_task_and_the_command_deliver_what_is_due(settings):
    transport = recording_transport(settings)
    endpoint = WebhookEndpointFactory()
    enqueue_event(topic="t.changed", payload={}, endpoints=[endpoint])
    result = deliver_webhooks.enqueue()
    assert result.return_value["delivered"] == 1
    assert result.return_value["scheduled"] is False  # the immediate backend cannot defer: the loop runs
    enqueue_event(topic="t.changed", payload={}, endpoints=[endpoint])
    call_command("deliver_webhooks")
    assert len(transport.requests) == 2


def test_deliveries_not_started_before_the_lease_would_end_are_handed_back_untried(settings):
    transport = recording_transport(settings)
    enqueue_event(
        topic="t.changed", payload={}, endpoints=[WebhookEndpointFactory(), WebhookEndpointFactory()]
    )
    # when a POST could outlive the lease (timeout as long as the lease), none is started
    settings.NOTIFICATIONS_WEBHOOK_LEASE = settings.NOTIFICATIONS_WEBHOOK_TIMEOUT = 10
    run = deliver_due()
    assert (run.claimed, transport.requests) == (0, [])
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {0}
    # and they are due again at once, for the next pass
    settings.NOTIFICATIONS_WEBHOOK_TIMEOUT = 1
    assert deliver_due().delivered == 2


def test_a_transport_that_raises_fails_the_delivery_instead_of_wedging_the_batch(settings, monkeypatch):
    transport = recording_transport(settings)

    def broken(**kwargs):
        raise UnicodeError("label too long")

    monkeypatch.setattr(transport, "send", broken)
    enqueue_event(topic="t.changed", payload={}, endpoints=[WebhookEndpointFactory()])
    assert deliver_due().retrying == 1
    assert Delivery.objects.get().last_error == "UnicodeError: label too long"
