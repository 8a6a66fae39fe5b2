"""Change notices between apps that must not import each other.

A lower app (catalog) announces that something changed; a higher app (search) subscribes in its
``AppConfig.ready``. This is an explicit registry, not Django signals: ``subscribers(topic)`` lists
exactly who will run (ADR 0002). Two ways to announce, chosen by the announcer per topic:

- ``announce``: subscribers run after the surrounding transaction commits, so they see committed data and
  nothing runs for a rolled-back write. For derived work that may be redone (re-indexing, tasks).
- ``announce_now``: subscribers run at once, inside the announcer's transaction, so whatever they write
  (an outbox row telling a departmental system) commits or rolls back with the change itself (ADR 0007).
  They must be quick, write only rows (no network) and raise only to refuse the change.

A subscriber of an ``announce`` topic may ask to run inside the transaction too (``subscribe(...,
in_transaction=True)``): search writes its change log row so that it commits with the catalog edit
(ADR 0013), while the topic's other subscribers still run after commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

Subscriber = Callable[..., None]
_subscribers: dict[str, list[Subscriber]] = defaultdict(list)
_in_transaction: dict[str, list[Subscriber]] = defaultdict(list)

CATALOG_CHANGED = "catalog.changed"
# Announced with announce by catalog.services.record_view: a guide was viewed (its view_count rose), payload
# implementation_ids, bundle_ids. Search gathers them and logs them for every node once a minute (ADR 0013).
CATALOG_VIEWED = "catalog.viewed"
# Announced with announce_now: a base register record changed (registers.services), payload
# register, key, key_field, kind, changes ({field: {"old", "new"}} as plain JSON), occurred_at (ISO),
# change_id (the registers' RecordChange row), department_id (the holder), subjects (the ID numbers or
# credit codes whose data it is: the key, or a property's owners).
REGISTER_CHANGED = "registers.record_changed"
# Announced with announce_now: an e-license was revoked (licenses.services.status), payload identifier,
# license_type_code, holder_kind, holder_code, issuer_id, kind, changes, occurred_at, change_id.
LICENSE_REVOKED = "licenses.license_revoked"
# Announced with announce_now by every case action (applications.services.cases.recording), payload
# case_id, event (the case.* topic: case.submitted, case.accepted, case.closed…), actor_id (or None),
# occurred_at (ISO), region_code and item_id (the case's region and catalog item, or None). Supervision
# invites the evaluation on closing and watches acceptance and refusals.
CASE_CHANGED = "applications.case_changed"
# Announced with announce (after commit) by the audit log when a read of a person's data needs a look
# (audit.alerts): payload alert_id, entry_id, reason, subject_code (the ID number or credit code, never
# stored in the log; held only in memory until the subscribers ran). Identity tells the person.
DATA_USE_ALERTED = "audit.data_use_alerted"
# Announced with announce_now by audit.services.handle_suspicion_report: payload report_id, entry_id,
# reporter_id, status. Identity tells the reporter, in the handling's transaction.
SUSPICION_REPORT_HANDLED = "audit.suspicion_report_handled"


class ChangeKind(models.TextChoices):
    """What happened to a record, as subscribers of its resource receive it (exchange subscriptions)."""

    DEATH_REGISTERED = "death_registered", _("死亡登记")
    ADDRESS_CHANGED = "address_changed", _("户籍地址变更")
    ENTERPRISE_DEREGISTERED = "enterprise_deregistered", _("市场主体注销")
    RECORD_CORRECTED = "record_corrected", _("数据更正")
    LICENSE_REVOKED = "license_revoked", _("证照吊销")


def subscribe(topic: str, subscriber: Subscriber, *, in_transaction: bool = False) -> None:
    """Run ``subscriber`` on every notice of ``topic``; ``in_transaction``: at once, even for ``announce``."""
    registry = _in_transaction if in_transaction else _subscribers
    if subscriber not in registry[topic]:
        registry[topic].append(subscriber)


def subscribers(topic: str) -> list[Subscriber]:
    """Who runs on a notice of ``topic``, in order: those inside the transaction first."""
    return [*_in_transaction[topic], *_subscribers[topic]]


def announce(topic: str, **payload) -> None:
    """Call every subscriber of ``topic`` with ``payload`` once the current transaction commits.

    Subscribers that asked for ``in_transaction`` run at once (their rows commit with the change).
    """
    for subscriber in list(_in_transaction[topic]):
        subscriber(**payload)
    for subscriber in list(_subscribers[topic]):
        transaction.on_commit(lambda subscriber=subscriber: subscriber(**payload))


def announce_now(topic: str, **payload) -> None:
    """Call every subscriber of ``topic`` with ``payload`` now, inside the caller's transaction.

    Refused outside a transaction: the subscribers' writes must share the change's fate.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"announce_now({topic!r}) must run inside the change's transaction")
    for subscriber in subscribers(topic):
        subscriber(**payload)
