"""The audit log's GROUP BY counts the monitoring pages are built on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yiwang.audit.constants import Outcome
from yiwang.audit.selectors import EntryOwners, count_entries
from yiwang.audit.services import record_event
from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.core.errors import InvalidInput

pytestmark = pytest.mark.django_db


def test_counts_are_grouped_in_one_query_and_scoped_to_their_owners():
    provider, consumer, stranger = DepartmentFactory(), DepartmentFactory(), DepartmentFactory()
    for outcome in (Outcome.ALLOWED, Outcome.ALLOWED, Outcome.REFUSED):
        record_event(
            action="exchange.query",
            outcome=outcome,
            reason="no_grant" if outcome == Outcome.REFUSED else "",
            department=provider,
            actor_department=consumer,
            details={"resource": "RK-1"},
        )
    record_event(action="exchange.query", department=stranger, details={"resource": "RK-2"})
    with CaptureQueriesContext(connection) as queries:
        rows = count_entries(
            actions=["exchange.query"],
            group_by=["details.resource", "outcome", "day"],
            owners=EntryOwners(actor_department_ids={consumer.pk}),
        )
    assert len(queries.captured_queries) == 1
    assert [(row["details.resource"], row["outcome"], row["count"]) for row in rows] == [
        ("RK-1", Outcome.ALLOWED, 2),
        ("RK-1", Outcome.REFUSED, 1),
    ]
    assert isinstance(rows[0]["day"], dt.date)
    everyone = count_entries(actions=["exchange.query"], group_by=["department"])
    assert {row["department"]: row["count"] for row in everyone} == {provider.pk: 3, stranger.pk: 1}
    assert count_entries(actions=["exchange.query"], group_by=["reason"], owners=EntryOwners()) == []


def test_an_unknown_dimension_is_refused():
    with pytest.raises(InvalidInput):
        count_entries(actions=["exchange.query"], group_by=["subject_hash"])
