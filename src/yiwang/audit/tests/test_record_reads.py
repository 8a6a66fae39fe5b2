"""record_reads: several reads in one INSERT, each entry exactly as record_read writes it."""

from __future__ import annotations

import pytest

from yiwang.audit.constants import AlertReason, Channel, EntryKind, GroundKind, Outcome
from yiwang.audit.models import AuditEntry, DataUseAlert
from yiwang.audit.services import record_read, record_reads
from yiwang.core import call_context as context
from yiwang.identity.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FIRST, SECOND = "11010519491231002X", "110101199003071237"
COMPARED = [
    "kind",
    "action",
    "outcome",
    "reason",
    "actor_id",
    "actor_role",
    "system",
    "on_behalf_of",
    "object_type",
    "object_id",
    "subject_hash",
    "subject_kind",
    "fields",
    "purpose",
    "ground_kind",
    "ground_ref",
    "channel",
    "request_id",
    "ip_address",
    "details",
]


def _read(subject: str, **facts):
    return {
        "action": "registers.person_read",
        "subject": subject,
        "fields": ["name", "birth_date", "name"],
        "purpose": "最低生活保障审核",
        "system": "civil-system",
        "on_behalf_of": "区民政局",
        "object_type": "registers.population",
        "object_id": "42",
        "ground_kind": GroundKind.CASE,
        "ground_ref": "MZ-2026-000123",
        "details": {"ms": 3},
        **facts,
    }


def _row(entry: AuditEntry) -> dict:
    values = AuditEntry.objects.filter(pk=entry.pk).values(*COMPARED).get()
    return values


def test_bulk_entries_are_the_entries_record_read_writes_in_one_statement(django_assert_num_queries):
    with context.bound(channel=Channel.API, request_id="req-12345678", ip_address="10.1.2.3"):
        single = [record_read(**_read(FIRST)), record_read(**_read(SECOND, outcome=Outcome.REFUSED))]
        with django_assert_num_queries(1):  # one INSERT for the lot (inside the test's transaction)
            bulk = record_reads([_read(FIRST), _read(SECOND, outcome=Outcome.REFUSED)])
    assert [entry.pk for entry in bulk] and all(entry.pk for entry in bulk)
    assert [_row(entry) for entry in bulk] == [_row(entry) for entry in single]
    stored = AuditEntry.objects.get(pk=bulk[0].pk)
    assert stored.kind == EntryKind.READ and stored.fields == ["birth_date", "name"]
    assert FIRST not in str(AuditEntry.objects.filter(pk=bulk[0].pk).values().first())


def test_bulk_reads_raise_the_alerts_record_read_would():
    clerk = UserFactory(staff=True)
    (entry,) = record_reads([_read(FIRST, actor=clerk, actor_role="clerk", ground_kind=GroundKind.NONE)])
    assert list(DataUseAlert.objects.filter(entry=entry).values_list("reason", flat=True)) == [
        AlertReason.NO_GROUND
    ]


def test_nothing_to_record_writes_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert record_reads([]) == []


def test_an_unknown_fact_is_a_programming_error_not_a_silent_drop():
    with pytest.raises(TypeError):
        record_reads([_read(FIRST, colour="red")])
    assert not AuditEntry.objects.exists()
