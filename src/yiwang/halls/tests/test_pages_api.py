"""The halls pages and API: booking through the flow, one person never sees another's booking (page,
API session, bearer token), the clerk's queue page, parsing a chosen slot."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from yiwang.conftest import bearer_token, login_with_second_factor
from yiwang.core.errors import InvalidInput
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory

from .. import services
from ..constants import BookingStatus
from ..models import Booking
from ..views import parse_slot_key

pytestmark = pytest.mark.django_db


def _key(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _book(world, person, hour=9):
    return services.book(
        person=person, hall=world.hall, implementation=world.implementation, starts_at=world.slot(hour)
    ).booking


def test_public_pages(client, world):
    assert world.hall.name in client.get("/halls/").content.decode()
    filtered = client.get("/halls/", {"item": world.implementation.code}).content.decode()
    assert "/halls/book?item=" in filtered
    page = client.get(f"/halls/{world.hall.pk}").content.decode()
    assert world.implementation.name in page and "uri.amap.com" in page
    assert client.get("/halls/999999").status_code == 404


def test_the_halls_filter_is_a_picker_of_item_names_not_a_code_box(client, world):
    page = client.get("/halls/").content.decode()
    assert '<select id="hall-item" name="item">' in page
    assert f'<option value="{world.implementation.code}">{world.implementation.name}</option>' in page
    assert 'type="text" name="item"' not in page


def test_booking_flow_through_the_pages(client, world, citizen):
    client.force_login(citizen)
    code = world.implementation.code
    assert world.hall.name in client.get("/halls/book", {"item": code}).content.decode()
    days = client.get("/halls/book", {"item": code, "hall": world.hall.pk}).content.decode()
    day = timezone.localtime(world.slot()).date()
    assert day.isoformat() in days
    slots = client.get("/halls/book", {"item": code, "hall": world.hall.pk, "date": day.isoformat()})
    assert _key(world.slot()) in slots.content.decode()
    form = {
        "item": code,
        "hall": world.hall.pk,
        "date": day.isoformat(),
        "slot": _key(world.slot()),
        "token": "t1",
    }
    response = client.post("/halls/book", form)
    assert response.status_code == 302 and response.url == "/halls/my"
    assert client.post("/halls/book", form).status_code == 302  # the same form again: no second booking
    booking = Booking.objects.get(person=citizen)
    my = client.get("/halls/my").content.decode()
    assert booking.code in my
    moved = client.post(
        "/halls/book", {**form, "slot": _key(world.slot(10)), "reschedule": booking.code, "token": "t2"}
    )
    assert moved.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    new = Booking.objects.get(person=citizen, status=BookingStatus.BOOKED)
    assert new.rescheduled_from == booking
    assert client.post(f"/halls/my/{new.code}/cancel").status_code == 302
    new.refresh_from_db()
    assert new.status == BookingStatus.CANCELLED


def test_a_full_slot_is_refused_with_a_message(client, world, citizen, other_citizen):
    _book(world, other_citizen)
    client.force_login(citizen)
    day = timezone.localtime(world.slot()).date().isoformat()
    form = {"item": world.implementation.code, "hall": world.hall.pk, "date": day, "slot": _key(world.slot())}
    response = client.post("/halls/book", form, follow=True)
    assert "已约满" in response.content.decode()
    assert not Booking.objects.filter(person=citizen).exists()


def test_pages_never_show_or_change_anothers_booking(client, world, citizen, other_citizen):
    booking = _book(world, citizen)
    client.force_login(other_citizen)
    assert booking.code not in client.get("/halls/my").content.decode()
    assert client.post(f"/halls/my/{booking.code}/cancel").status_code == 404
    assert client.post(f"/halls/my/{booking.code}/check-in").status_code == 404
    assert (
        client.get("/halls/book", {"item": world.implementation.code, "reschedule": booking.code}).status_code
        == 404
    )
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED


def test_api_booking_with_idempotency_key_and_session(client, world, citizen):
    client.force_login(citizen)
    assert (
        client.get("/api/v1/halls", {"item": world.implementation.code}).json()["items"][0]["id"]
        == world.hall.pk
    )
    day = timezone.localtime(world.slot()).date().isoformat()
    slots = client.get(
        f"/api/v1/halls/{world.hall.pk}/slots", {"item": world.implementation.code, "date": day}
    )
    assert slots.status_code == 200 and slots.json()[0]["remaining"] == 1
    body = {
        "hall_id": world.hall.pk,
        "item": world.implementation.code,
        "starts_at": world.slot().isoformat(),
    }
    first = client.post("/api/v1/bookings", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.content
    again = client.post("/api/v1/bookings", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 200 and again.json()["code"] == first.json()["code"]
    other = client.post("/api/v1/bookings", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert other.status_code == 409 and other.json()["error"]["code"] == "already_booked"
    naive = {**body, "starts_at": timezone.localtime(world.slot(10)).replace(tzinfo=None).isoformat()}
    local = client.post("/api/v1/bookings", naive, content_type="application/json")
    # read as local time (as UTC it would be 18:00, not a slot)
    assert local.status_code == 409 and local.json()["error"]["code"] == "already_booked"
    code = first.json()["code"]
    assert [row["code"] for row in client.get("/api/v1/bookings").json()["items"]] == [code]
    assert client.delete(f"/api/v1/bookings/{code}").json()["status"] == "cancelled"


def test_api_never_shows_anothers_booking(client, world, citizen, other_citizen):
    booking = _book(world, citizen)
    client.force_login(other_citizen)
    assert client.get(f"/api/v1/bookings/{booking.code}").status_code == 404
    assert client.delete(f"/api/v1/bookings/{booking.code}").status_code == 404
    assert client.get("/api/v1/bookings").json()["items"] == []
    client.logout()
    read = bearer_token(other_citizen, "appointments:read appointments:write", "halls-other")
    assert client.get(f"/api/v1/bookings/{booking.code}", **read).status_code == 404
    assert client.delete(f"/api/v1/bookings/{booking.code}", **read).status_code == 404
    mine = bearer_token(citizen, "appointments:read", "halls-mine")
    assert client.get(f"/api/v1/bookings/{booking.code}", **mine).json()["code"] == booking.code
    assert client.delete(f"/api/v1/bookings/{booking.code}", **mine).status_code == 403  # no write scope
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED


def test_the_clerk_queue_page(client, world, citizen):
    world.window.department = world.implementation.department
    world.window.save()
    booking = _book(world, citizen)
    ticket = services.check_in(actor=citizen, booking=booking, today=booking.date)
    clerk = StaffAssignmentFactory(
        department=world.implementation.department, role=StaffRole.WINDOW_CLERK
    ).user
    login_with_second_factor(client, clerk)
    assert client.get(f"/halls/windows/{world.window.pk}/queue").status_code == 200
    queue_link = f'href="/halls/windows/{world.window.pk}/queue"'
    assert queue_link in client.get("/halls/").content.decode()  # the clerk finds their window's queue
    outsider = StaffAssignmentFactory(role=StaffRole.WINDOW_CLERK).user  # another department
    other_client = client.__class__()
    login_with_second_factor(other_client, outsider)
    assert queue_link not in other_client.get("/halls/").content.decode()
    assert other_client.get(f"/halls/windows/{world.window.pk}/queue").status_code == 403
    assert other_client.post(f"/halls/windows/{world.window.pk}/call").status_code == 403
    if booking.date == timezone.localdate():
        client.post(f"/halls/windows/{world.window.pk}/call")
        ticket.refresh_from_db()
        assert ticket.status == "called"


@given(st.text(max_size=30))
def test_parse_slot_key_accepts_only_a_slot(text):
    try:
        parsed = parse_slot_key(text)
    except InvalidInput:
        return
    assert _key(parsed) == text


def test_parse_slot_key_rejects_impossible_dates():
    with pytest.raises(InvalidInput):
        parse_slot_key("2026-02-30T09:00")
    assert parse_slot_key("2026-02-03T09:30").hour == 9
