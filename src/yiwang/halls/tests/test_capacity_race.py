"""Two people taking the last place of a slot at the same moment (PostgreSQL): exactly one gets it."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from yiwang.core.errors import Conflict
from yiwang.identity.tests.factories import UserFactory

from .. import services
from ..models import Booking, SlotUsage
from .factories import WindowFactory, at, next_working_day

pytestmark = [pytest.mark.pg, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_two_people_cannot_take_the_last_place():
    window = WindowFactory(capacity=1)
    implementation = window.implementations.get()
    people = [UserFactory(level3=True) for _ in range(4)]
    starts_at = at(next_working_day(), 9)
    barrier = threading.Barrier(len(people))
    outcomes: list[str] = []

    def attempt(person):
        try:
            barrier.wait()
            services.book(person=person, hall=window.hall, implementation=implementation, starts_at=starts_at)
            outcomes.append("booked")
        except Conflict as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked", "slot_full", "slot_full", "slot_full"]
    assert Booking.objects.count() == 1
    assert SlotUsage.objects.get(window=window, starts_at=starts_at).booked == 1
