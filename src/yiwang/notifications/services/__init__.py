"""Writes of notifications: the outbox, webhook endpoints, delivery attempts, replays, messages to people."""

from ..channels import send_sms_now
from .delivery import DeliveryRun, deliver_due
from .dispatching import (
    DispatchRun,
    collect_digests,
    deliver_digests,
    deliver_dispatches,
    digest_text,
    rendered,
)
from .endpoints import create_endpoint, update_endpoint
from .messages import DEFAULT_LANGUAGE, notify, preference_for, render
from .notices import mark_notices_read, raise_notice
from .outbox import enqueue_event
from .preferences import set_preferences
from .pruning import prune_outbox
from .replay import replay_deliveries

__all__ = [
    "DEFAULT_LANGUAGE",
    "DeliveryRun",
    "DispatchRun",
    "collect_digests",
    "create_endpoint",
    "deliver_digests",
    "deliver_dispatches",
    "deliver_due",
    "digest_text",
    "enqueue_event",
    "mark_notices_read",
    "notify",
    "preference_for",
    "prune_outbox",
    "raise_notice",
    "render",
    "rendered",
    "replay_deliveries",
    "send_sms_now",
    "set_preferences",
    "update_endpoint",
]
