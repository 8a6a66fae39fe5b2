"""The core cursor pagination, exercised on the audit log (the list it was shaped for)."""

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.audit.models import AuditEntry
from yiwang.core.errors import InvalidInput
from yiwang.core.pagination import paginate

pytestmark = pytest.mark.django_db

ORDERING = ("-occurred_at", "-id")


def _entries(count: int, *, same_time: bool = False):
    start = timezone.now()
    for number in range(count):
        moment = start if same_time else start - dt.timedelta(minutes=number % 3)
        AuditEntry.objects.create(kind="write", action=f"test.{number}", occurred_at=moment)


def _walk(limit: int) -> list[int]:
    seen, cursor = [], None
    while True:
        page = paginate(AuditEntry.objects.all(), ordering=ORDERING, cursor=cursor, limit=limit)
        seen.extend(entry.pk for entry in page.items)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def test_walking_the_pages_visits_every_row_once_in_order_even_with_equal_times():
    _entries(23)
    expected = list(AuditEntry.objects.order_by(*ORDERING).values_list("pk", flat=True))
    assert _walk(5) == expected
    assert _walk(100) == expected


def test_a_row_added_while_paging_does_not_shift_the_next_page():
    _entries(6, same_time=True)
    first = paginate(AuditEntry.objects.all(), ordering=ORDERING, cursor=None, limit=3)
    _entries(2, same_time=True)  # newer rows arrive at the top
    second = paginate(AuditEntry.objects.all(), ordering=ORDERING, cursor=first.next_cursor, limit=3)
    assert {e.pk for e in first.items}.isdisjoint({e.pk for e in second.items})
    assert [e.pk for e in second.items] == sorted((e.pk for e in second.items), reverse=True)
    assert max(e.pk for e in second.items) < min(e.pk for e in first.items)


@settings(max_examples=30, deadline=None)
@given(st.text(max_size=80))
def test_any_forged_cursor_is_a_clear_error(cursor):
    if not cursor:
        return
    with pytest.raises(InvalidInput) as caught:
        paginate(AuditEntry.objects.all(), ordering=ORDERING, cursor=cursor, limit=5)
    assert caught.value.code == "invalid_cursor"


@pytest.mark.parametrize("limit", [0, -1, 101])
def test_a_limit_outside_one_to_a_hundred_is_refused(limit):
    with pytest.raises(InvalidInput) as caught:
        paginate(AuditEntry.objects.all(), ordering=ORDERING, cursor=None, limit=limit)
    assert caught.value.code == "invalid_limit"


def test_a_page_costs_one_query(django_assert_num_queries):
    _entries(12)
    first = paginate(AuditEntry.objects.all(), ordering=ORDERING, cursor=None, limit=5)
    with django_assert_num_queries(1):
        paginate(AuditEntry.objects.all(), ordering=ORDERING, cursor=first.next_cursor, limit=5)
