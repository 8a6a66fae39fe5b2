"""The demo step: halls and windows of 广安区 with the demo departments' items, one booking for the demo
citizen; running it again changes nothing."""

from __future__ import annotations

import pytest

from yiwang.catalog.tests.factories import DepartmentFactory, ImplementationFactory
from yiwang.identity.tests.factories import UserFactory

from ..demo import DEMO_CITIZEN, load_demo_halls
from ..models import Booking, Hall, Window

pytestmark = pytest.mark.django_db


def test_demo_halls_and_booking_are_idempotent():
    department = DepartmentFactory(short_name="区人社局", name="广安市广安区人力资源和社会保障局")
    ImplementationFactory(department=department)
    citizen = UserFactory(level3=True, username=DEMO_CITIZEN)
    first = load_demo_halls()
    assert "3 halls" in first and "demo booking YY" in first
    assert Window.objects.get(hall__name="广安区政务服务中心", number=1).implementations.count() == 1
    again = load_demo_halls()
    assert "demo booking kept" in again
    assert Hall.objects.count() == 3
    assert Booking.objects.filter(person=citizen).count() == 1
