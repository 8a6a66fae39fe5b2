"""Booking, capacity, cancel/reschedule, 取号 and 叫号, reminders: the halls services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.audit.models import AuditEntry
from yiwang.catalog.tests.factories import DepartmentFactory, ImplementationFactory, region_by_code
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.core.workdays import load_calendar
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory, UserFactory
from yiwang.notifications.models import Notice

from .. import selectors, services
from ..constants import REMINDER_TOPIC, BookingStatus, TicketStatus
from ..models import SlotUsage
from ..schedule import slots_on
from .factories import HallFactory, WindowFactory, at

pytestmark = pytest.mark.django_db


def test_slots_only_on_working_days():
    hall = HallFactory()
    calendar = load_calendar([2026])
    assert slots_on(hall, dt.date(2026, 10, 1), calendar) == []  # 国庆节, a Thursday
    assert slots_on(hall, dt.date(2026, 1, 1), calendar) == []  # 元旦
    assert slots_on(hall, dt.date(2026, 1, 10), calendar) == []  # an ordinary Saturday
    ordinary = slots_on(hall, dt.date(2026, 1, 5), calendar)  # a Monday: 6 + 7 half-hour slots
    assert len(ordinary) == 13
    assert timezone.localtime(ordinary[0].starts_at).time() == dt.time(9, 0)
    assert timezone.localtime(ordinary[-1].ends_at).time() == dt.time(17, 0)
    makeup = slots_on(hall, dt.date(2026, 1, 4), calendar)  # Sunday 调休上班: Monday's hours
    assert len(makeup) == 13


def test_a_booking_on_a_holiday_is_refused(world, citizen):
    with pytest.raises(InvalidInput) as error:
        services.book(
            person=citizen,
            hall=world.hall,
            implementation=world.implementation,
            starts_at=at(dt.date(2026, 10, 1), 9),
            now=at(dt.date(2026, 9, 25), 8),
        )
    assert error.value.code == "not_a_slot"


def test_capacity_per_window_is_enforced(world, citizen, other_citizen):
    services.book(
        person=citizen, hall=world.hall, implementation=world.implementation, starts_at=world.slot()
    )
    with pytest.raises(Conflict) as error:
        services.book(
            person=other_citizen, hall=world.hall, implementation=world.implementation, starts_at=world.slot()
        )
    assert error.value.code == "slot_full"
    second = WindowFactory(hall=world.hall, implementations=[world.implementation])
    result = services.book(
        person=other_citizen, hall=world.hall, implementation=world.implementation, starts_at=world.slot()
    )
    assert result.booking.window == second
    day = timezone.localtime(world.slot()).date()
    remaining = {
        s.key: s.remaining
        for s in selectors.list_slots(hall=world.hall, implementation=world.implementation, day=day)
    }
    assert remaining[timezone.localtime(world.slot()).strftime("%Y-%m-%dT%H:%M")] == 0


def test_cancel_and_reschedule_free_the_place(world, citizen, other_citizen):
    booking = services.book(
        person=citizen, hall=world.hall, implementation=world.implementation, starts_at=world.slot()
    ).booking
    services.cancel_booking(actor=citizen, booking=booking)
    taken = services.book(
        person=other_citizen, hall=world.hall, implementation=world.implementation, starts_at=world.slot()
    ).booking
    moved = services.reschedule_booking(actor=other_citizen, booking=taken, starts_at=world.slot(10))
    assert moved.rescheduled_from == taken
    taken.refresh_from_db()
    assert taken.status == BookingStatus.CANCELLED
    assert SlotUsage.objects.get(window=world.window, starts_at=world.slot()).booked == 0
    again = services.book(
        person=citizen, hall=world.hall, implementation=world.implementation, starts_at=world.slot()
    )
    assert again.created
    assert AuditEntry.objects.filter(action="halls.booking_rescheduled").count() == 1


def test_one_active_booking_per_person_item_and_day_and_idempotency(world, citizen):
    WindowFactory(hall=world.hall, implementations=[world.implementation], capacity=5)
    first = services.book(
        person=citizen,
        hall=world.hall,
        implementation=world.implementation,
        starts_at=world.slot(),
        idempotency_key="k-1",
    )
    repeat = services.book(
        person=citizen,
        hall=world.hall,
        implementation=world.implementation,
        starts_at=world.slot(),
        idempotency_key="k-1",
    )
    assert repeat.booking == first.booking and not repeat.created
    with pytest.raises(Conflict) as error:
        services.book(
            person=citizen, hall=world.hall, implementation=world.implementation, starts_at=world.slot(10)
        )
    assert error.value.code == "already_booked"


def test_past_and_off_grid_times_are_refused(world, citizen):
    for starts_at, code in (
        (world.slot(9, 10), "not_a_slot"),
        (world.slot(12, 30), "not_a_slot"),
        (timezone.now() - dt.timedelta(hours=1), "slot_in_past"),
        (timezone.now() + dt.timedelta(days=60), "slot_too_far"),
    ):
        with pytest.raises(InvalidInput) as error:
            services.book(
                person=citizen, hall=world.hall, implementation=world.implementation, starts_at=starts_at
            )
        assert error.value.code == code


def test_someone_else_cannot_cancel_or_check_in(world, citizen, other_citizen):
    booking = services.book(
        person=citizen, hall=world.hall, implementation=world.implementation, starts_at=world.slot()
    ).booking
    with pytest.raises(NotFound):
        services.cancel_booking(actor=other_citizen, booking=booking)
    with pytest.raises(NotFound):
        services.check_in(actor=other_citizen, booking=booking, today=booking.date)
    with pytest.raises(NotFound):
        selectors.get_booking_for(actor=other_citizen, code=booking.code)


def _clerk(department, region=None):
    return StaffAssignmentFactory(
        department=department, region=region or department.region, role=StaffRole.WINDOW_CLERK
    ).user


def test_check_in_call_and_serve(world, citizen):
    world.window.department = world.implementation.department
    world.window.save()
    booking = services.book(
        person=citizen, hall=world.hall, implementation=world.implementation, starts_at=world.slot()
    ).booking
    with pytest.raises(InvalidInput):
        services.check_in(actor=citizen, booking=booking, today=booking.date - dt.timedelta(days=1))
    ticket = services.check_in(actor=citizen, booking=booking, today=booking.date)
    assert ticket.label == "A001"
    assert services.check_in(actor=citizen, booking=booking, today=booking.date) == ticket
    walk_in = services.take_walk_in_ticket(
        hall=world.hall, implementation=world.implementation, today=booking.date
    )
    assert walk_in.label == "B001"

    clerk = _clerk(world.implementation.department)
    elsewhere = _clerk(DepartmentFactory(region=region_by_code("511621000000")))
    with pytest.raises(PermissionDenied):
        services.call_next(actor=elsewhere, window=world.window, today=booking.date)
    assert not selectors.may_serve(actor=elsewhere, window=world.window)

    called = services.call_next(actor=clerk, window=world.window, today=booking.date)
    assert called == ticket  # bookings (A) before walk-ins (B)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CALLED
    served = services.mark_served(actor=clerk, window=world.window, ticket=called)
    assert served.status == TicketStatus.SERVED
    booking.refresh_from_db()
    assert booking.status == BookingStatus.SERVED
    assert services.call_next(actor=clerk, window=world.window, today=booking.date) == walk_in
    assert services.call_next(actor=clerk, window=world.window, today=booking.date) is None
    entry = AuditEntry.objects.filter(action="halls.ticket_called").first()
    assert entry.actor == clerk and entry.actor_role == StaffRole.WINDOW_CLERK


def test_a_clerk_of_another_hall_cannot_call_at_a_general_window(world):
    """A window of no department (综合窗口) is served by clerks whose region covers the hall's."""
    town_hall = HallFactory(region=region_by_code("511621000000"))
    town_window = WindowFactory(hall=town_hall, implementations=[world.implementation])
    clerk = _clerk(DepartmentFactory())  # a 广安区 department
    assert selectors.may_serve(actor=clerk, window=world.window)
    with pytest.raises(PermissionDenied):
        services.call_next(actor=clerk, window=town_window)
    citizen = UserFactory()
    with pytest.raises(PermissionDenied):
        services.call_next(actor=citizen, window=world.window)


def test_reminder_is_sent_once(world, citizen):
    booking = services.book(
        person=citizen, hall=world.hall, implementation=world.implementation, starts_at=world.slot()
    ).booking
    early = booking.starts_at - dt.timedelta(days=3)
    assert services.remind_bookings(now=early) == 0
    the_day_before = booking.starts_at - dt.timedelta(hours=20)
    assert services.remind_bookings(now=the_day_before) == 1
    assert services.remind_bookings(now=the_day_before + dt.timedelta(hours=1)) == 0
    notices = Notice.objects.filter(recipient=citizen, topic=REMINDER_TOPIC)
    assert notices.count() == 1
    notice = notices.get()
    assert world.hall.name in notice.title
    assert booking.code in notice.body
    assert notice.link == "/halls/my"


def test_nearest_halls_for_an_item_from_the_region(world):
    town = region_by_code("511602001000")
    station = HallFactory(region=town, name="浓洄街道便民服务中心")
    WindowFactory(hall=station, implementations=[world.implementation])
    other = ImplementationFactory()
    assert selectors.list_halls_for_item(region=town, implementation=world.implementation) == [
        station,
        world.hall,
    ]
    assert selectors.list_halls_for_item(region=town, implementation=other) == []
    county = region_by_code("511602000000")
    assert selectors.list_halls_near(region=county)[0] == world.hall
    neighbour = region_by_code("511621000000")  # 岳池县: nothing there, the city's halls are found
    assert set(selectors.list_halls_for_item(region=neighbour, implementation=world.implementation)) == {
        world.hall,
        station,
    }
