"""Writes of notifications: the outbox, webhook endpoints, delivery attempts, replays."""

from .delivery import DeliveryRun, deliver_due
from .endpoints import create_endpoint, update_endpoint
from .messages import notify, preference_for, render
from .notices import mark_notices_read, raise_notice
from .outbox import enqueue_event
from .pruning import prune_outbox
from .replay import replay_deliveries

__all__ = [
    "DeliveryRun",
    "create_endpoint",
    "deliver_due",
    "enqueue_event",
    "mark_notices_read",
    "notify",
    "preference_for",
    "prune_outbox",
    "raise_notice",
    "render",
    "replay_deliveries",
    "update_endpoint",
]
