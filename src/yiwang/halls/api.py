"""The halls API (/api/v1/halls…, /api/v1/bookings…): halls, slots, bookings and queue numbers.

Halls and their slots are public. Bookings are the person's own (scopes ``appointments:read`` and
``appointments:write``, or the browser session); anyone else's booking is ``404 booking_not_found``.
``POST /bookings`` with an ``Idempotency-Key`` header answers a repeat with the first booking (200).
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Header, Query, Router, Schema, Status

from yiwang.core.api_auth import bearer_scope
from yiwang.core.errors import InvalidInput
from yiwang.core.pagination import paginate
from yiwang.core.schemas import ERROR_RESPONSES, ErrorOut, PageQuery, page_of, render_page
from yiwang.regions.selectors import get_region

from . import selectors, services
from .models import Booking, Hall, QueueTicket

router = Router(tags=["服务大厅与预约"])
READ = bearer_scope("appointments:read")
WRITE = bearer_scope("appointments:write")
ERRORS = {**ERROR_RESPONSES, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut}
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]{1,100}$"


class WindowOut(Schema):
    id: int
    number: int
    name: str
    department: str | None
    capacity: int = Field(..., description="每个时段可预约人数")
    items: list[str] = Field(..., description="可办事项的实施编码")


class HallOut(Schema):
    id: int
    name: str
    kind: str = Field(..., description="centre 政务服务中心 / town 便民服务中心 / village 便民服务站")
    region_code: str
    address: str
    phone: str
    opening_hours: dict[str, list[list[str]]] = Field(..., description='按星期（"0" 为周一）列出的办公时段')
    latitude: float | None
    longitude: float | None
    map_url: str


class HallDetailOut(HallOut):
    windows: list[WindowOut]


class SlotOut(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime
    remaining: int = Field(..., description="剩余可预约人数（各办理窗口之和）")


class TicketOut(Schema):
    number: str = Field(..., description="排队号，如 A023")
    status: str
    hall_id: int
    date: dt.date
    window_number: int | None


class BookingOut(Schema):
    code: str
    status: str
    hall_id: int
    hall_name: str
    window_number: int
    item_code: str
    item_name: str
    date: dt.date
    starts_at: dt.datetime
    ends_at: dt.datetime
    rescheduled_from: str | None
    ticket: TicketOut | None


class BookingIn(Schema):
    hall_id: int
    item: str = Field(..., description="实施编码或事项编码")
    starts_at: dt.datetime = Field(..., description="所选时段的开始时间")


class RescheduleIn(Schema):
    starts_at: dt.datetime
    hall_id: int | None = None


class HallQuery(Schema):
    region_code: str | None = Field(None, description="所在地区的 12 位区划代码（默认平台默认地区）")
    item: str | None = Field(None, description="只列出能办理该事项的大厅")


class SlotQuery(Schema):
    item: str
    date: dt.date


def hall_out(hall: Hall) -> dict:
    return {
        "id": hall.pk,
        "name": hall.name,
        "kind": hall.kind,
        "region_code": hall.region_id,
        "address": hall.address,
        "phone": hall.phone,
        "opening_hours": hall.opening_hours or {},
        "latitude": float(hall.latitude) if hall.latitude is not None else None,
        "longitude": float(hall.longitude) if hall.longitude is not None else None,
        "map_url": hall.map_url,
    }


def ticket_out(ticket: QueueTicket) -> dict:
    return {
        "number": ticket.label,
        "status": ticket.status,
        "hall_id": ticket.hall_id,
        "date": ticket.date,
        "window_number": ticket.window.number if ticket.window_id else None,
    }


def booking_out(booking: Booking) -> dict:
    ticket = QueueTicket.objects.filter(booking=booking).select_related("window").first()
    return {
        "code": booking.code,
        "status": booking.status,
        "hall_id": booking.window.hall_id,
        "hall_name": booking.window.hall.name,
        "window_number": booking.window.number,
        "item_code": booking.implementation.code,
        "item_name": booking.implementation.name,
        "date": booking.date,
        "starts_at": booking.starts_at,
        "ends_at": booking.ends_at,
        "rescheduled_from": booking.rescheduled_from.code if booking.rescheduled_from_id else None,
        "ticket": ticket_out(ticket) if ticket else None,
    }


def _hall(hall_id: int) -> Hall:
    return selectors.get_hall(hall_id=hall_id)


@router.get("/halls", response={200: page_of(HallOut), **ERROR_RESPONSES}, summary="附近的服务大厅")
def list_halls(request: HttpRequest, query: Query[HallQuery]):
    """The halls of the region and its ancestors, then those within it; with ``item``, only the nearest
    halls that handle it. Errors: ``unknown_region``, ``unknown_item``."""
    region = get_region(code=query.region_code or settings.DEFAULT_REGION_CODE)
    if query.item:
        implementation = selectors.resolve_implementation(code=query.item)
        halls = selectors.list_halls_for_item(region=region, implementation=implementation)
    else:
        halls = selectors.list_halls_near(region=region)
    return {"items": [hall_out(hall) for hall in halls[:100]], "next_cursor": None}


@router.get("/halls/{hall_id}", response={200: HallDetailOut, **ERROR_RESPONSES}, summary="服务大厅详情")
def get_hall(request: HttpRequest, hall_id: int):
    hall = _hall(hall_id)
    return {
        **hall_out(hall),
        "windows": [
            {
                "id": window.pk,
                "number": window.number,
                "name": window.name,
                "department": window.department.name if window.department_id else None,
                "capacity": window.capacity,
                "items": [implementation.code for implementation in window.implementations.all()],
            }
            for window in hall.windows.all()
        ],
    }


@router.get("/halls/{hall_id}/slots", response={200: list[SlotOut], **ERROR_RESPONSES}, summary="可预约时段")
def list_slots(request: HttpRequest, hall_id: int, query: Query[SlotQuery]):
    """The day's slots for the item that have not begun, with the places left (none on rest days)."""
    hall = _hall(hall_id)
    implementation = selectors.resolve_implementation(code=query.item)
    slots = selectors.list_slots(hall=hall, implementation=implementation, day=query.date)
    return [{"starts_at": s.starts_at, "ends_at": s.ends_at, "remaining": s.remaining} for s in slots]


@router.post(
    "/bookings", response={201: BookingOut, 200: BookingOut, **ERRORS}, auth=WRITE, summary="预约窗口时段"
)
def create_booking(
    request: HttpRequest,
    payload: BookingIn,
    idempotency_key: str = Header("", alias="Idempotency-Key"),
):
    """Errors: ``slot_full`` and ``already_booked`` (409), ``not_a_slot``, ``slot_in_past``,
    ``slot_too_far``, ``item_not_handled_here``, ``unknown_item``, ``hall_not_found``."""
    if idempotency_key and not re.match(IDEMPOTENCY_KEY_PATTERN, idempotency_key):
        raise InvalidInput("Idempotency-Key 格式不正确", code="invalid_idempotency_key")
    result = services.book(
        person=request.auth,
        hall=_hall(payload.hall_id),
        implementation=selectors.resolve_implementation(code=payload.item),
        starts_at=payload.starts_at,
        idempotency_key=idempotency_key,
    )
    return Status(201 if result.created else 200, booking_out(result.booking))


@router.get("/bookings", response={200: page_of(BookingOut), **ERRORS}, auth=READ, summary="我的预约")
def list_bookings(request: HttpRequest, page: Query[PageQuery]):
    found = paginate(
        selectors.list_my_bookings(person=request.auth),
        ordering=["-starts_at", "-id"],
        cursor=page.cursor,
        limit=page.limit,
    )
    return render_page(found, booking_out)


@router.get("/bookings/{code}", response={200: BookingOut, **ERRORS}, auth=READ, summary="预约详情")
def get_booking(request: HttpRequest, code: str):
    return booking_out(selectors.get_booking_for(actor=request.auth, code=code))


@router.delete("/bookings/{code}", response={200: BookingOut, **ERRORS}, auth=WRITE, summary="取消预约")
def cancel_booking(request: HttpRequest, code: str):
    booking = selectors.get_booking_for(actor=request.auth, code=code)
    return booking_out(services.cancel_booking(actor=request.auth, booking=booking))


@router.post("/bookings/{code}/reschedule", response={201: BookingOut, **ERRORS}, auth=WRITE, summary="改约")
def reschedule_booking(request: HttpRequest, code: str, payload: RescheduleIn):
    """A new booking naming the old one (cancelled, its place freed). Errors as for booking."""
    booking = selectors.get_booking_for(actor=request.auth, code=code)
    hall = _hall(payload.hall_id) if payload.hall_id else None
    new = services.reschedule_booking(
        actor=request.auth, booking=booking, starts_at=payload.starts_at, hall=hall
    )
    return Status(201, booking_out(new))


@router.post("/bookings/{code}/check-in", response={200: TicketOut, **ERRORS}, auth=WRITE, summary="到达取号")
def check_in(request: HttpRequest, code: str):
    """On the booking's day: the queue number (again the same one if taken before)."""
    booking = selectors.get_booking_for(actor=request.auth, code=code)
    ticket = services.check_in(actor=request.auth, booking=booking)
    return ticket_out(QueueTicket.objects.select_related("window").get(pk=ticket.pk))
