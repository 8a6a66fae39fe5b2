"""Change notices between apps that must not import each other.

A lower app (catalog) announces that something changed; a higher app (search) subscribes in its
``AppConfig.ready``. Announcements run after the surrounding transaction commits, so subscribers see
committed data and nothing runs for a rolled-back write. This is an explicit registry, not Django
signals: ``subscribers(topic)`` lists exactly who will run (ADR 0002).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.db import transaction

Subscriber = Callable[..., None]
_subscribers: dict[str, list[Subscriber]] = defaultdict(list)

CATALOG_CHANGED = "catalog.changed"


def subscribe(topic: str, subscriber: Subscriber) -> None:
    if subscriber not in _subscribers[topic]:
        _subscribers[topic].append(subscriber)


def subscribers(topic: str) -> list[Subscriber]:
    return list(_subscribers[topic])


def announce(topic: str, **payload) -> None:
    """Call every subscriber of ``topic`` with ``payload`` once the current transaction commits."""
    for subscriber in subscribers(topic):
        transaction.on_commit(lambda subscriber=subscriber: subscriber(**payload))
