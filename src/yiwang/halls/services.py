"""Writes of the halls app: booking a window slot, cancelling and rescheduling it, taking a queue number
on arrival (取号), the window clerk calling it (叫号) and closing it, and the reminder the day before.

Each function is one transaction and audited. A slot's places are counted in ``SlotUsage`` and taken by a
conditional update (``booked < capacity``), so two people can never take the last place; a cancelled or
rescheduled booking gives its place back. One person holds at most one active booking per item and day
(a partial unique constraint backs the check). ``Idempotency-Key`` repeats return the first booking.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext_noop

from yiwang.audit.services import record_event
from yiwang.catalog.models import Implementation
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.core.workdays import load_calendar
from yiwang.notifications.services import notify

from . import selectors
from .constants import (
    ACTIVE_BOOKING_STATUSES,
    BOOKING_HORIZON_DAYS,
    DEFAULT_REMINDER_LEAD_HOURS,
    REMINDER_TOPIC,
    AuditAction,
    BookingStatus,
    TicketPrefix,
    TicketStatus,
)
from .models import Booking, Hall, QueueTicket, SlotUsage, Window
from .schedule import slots_on

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out at a window


@dataclass(frozen=True)
class BookingResult:
    booking: Booking
    created: bool


def _new_code() -> str:
    for _attempt in range(10):
        code = "YY" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
        if not Booking.objects.filter(code=code).exists():
            return code
    raise Conflict("预约号生成失败，请重试", code="booking_code_exhausted")  # pragma: no cover


def _require_person(actor: Any) -> None:
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("请先登录", code="login_required")


def _aware(moment: dt.datetime) -> dt.datetime:
    """A time without an offset is read as local time (Asia/Shanghai), as people mean it."""
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _check_slot(*, hall: Hall, starts_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    """The slot's end, if ``starts_at`` is the start of one of the hall's slots, not begun, within reach."""
    local = timezone.localtime(starts_at)
    day = local.date()
    if starts_at <= now:
        raise InvalidInput("该时段已开始或已过去，请选择其他时段", code="slot_in_past")
    if day > timezone.localdate(now) + dt.timedelta(days=BOOKING_HORIZON_DAYS):
        raise InvalidInput(f"只能预约 {BOOKING_HORIZON_DAYS} 天内的时段", code="slot_too_far")
    for slot in slots_on(hall, day, load_calendar([day.year])):
        if slot.starts_at == local:
            return slot.ends_at
    raise InvalidInput("该时间不是大厅的可预约时段（非工作日或不在办公时间内）", code="not_a_slot")


def _take_place(windows: list[Window], starts_at: dt.datetime) -> Window | None:
    """Raise one window's count for the slot if a place is left: the first window with room wins."""
    for window in windows:
        usage, _created = SlotUsage.objects.get_or_create(window=window, starts_at=starts_at)
        taken = SlotUsage.objects.filter(pk=usage.pk, booked__lt=window.capacity).update(
            booked=F("booked") + 1
        )
        if taken:
            return window
    return None


def _give_back_place(booking: Booking) -> None:
    SlotUsage.objects.filter(window_id=booking.window_id, starts_at=booking.starts_at, booked__gt=0).update(
        booked=F("booked") - 1
    )


def _create_booking(
    *,
    person: Any,
    hall: Hall,
    implementation: Implementation,
    starts_at: dt.datetime,
    window: Window | None,
    idempotency_key: str,
    rescheduled_from: Booking | None,
    now: dt.datetime,
) -> Booking:
    starts_at = _aware(starts_at)
    ends_at = _check_slot(hall=hall, starts_at=starts_at, now=now)
    windows = selectors.handling_windows(hall=hall, implementation=implementation)
    if window is not None:
        windows = [candidate for candidate in windows if candidate.pk == window.pk]
    if not windows:
        raise InvalidInput("该大厅没有办理此事项的窗口", code="item_not_handled_here")
    day = timezone.localtime(starts_at).date()
    active = Booking.objects.filter(
        person=person, implementation=implementation, date=day, status__in=ACTIVE_BOOKING_STATUSES
    )
    if active.exists():
        raise Conflict("您当天已预约办理此事项，如需更改请改约", code="already_booked")
    chosen = _take_place(windows, starts_at)
    if chosen is None:
        raise Conflict("该时段已约满，请选择其他时段", code="slot_full")
    try:
        with transaction.atomic():
            return Booking.objects.create(
                code=_new_code(),
                person=person,
                window=chosen,
                implementation=implementation,
                date=day,
                starts_at=starts_at,
                ends_at=ends_at,
                idempotency_key=idempotency_key,
                rescheduled_from=rescheduled_from,
            )
    except IntegrityError:  # the same person booking the same item and day at the same moment
        raise Conflict("您当天已预约办理此事项，如需更改请改约", code="already_booked") from None


def _audit_booking(action: str, *, actor: Any, booking: Booking, **details: Any) -> None:
    record_event(
        actor=actor,
        action=action,
        target=booking,
        department=booking.implementation.department,
        details={
            "code": booking.code,
            "hall": booking.window.hall_id,
            "window": booking.window.number,
            "implementation": booking.implementation.code,
            "starts_at": timezone.localtime(booking.starts_at).isoformat(),
            **details,
        },
    )


@transaction.atomic
def book(
    *,
    person: Any,
    hall: Hall,
    implementation: Implementation,
    starts_at: dt.datetime,
    window: Window | None = None,
    idempotency_key: str = "",
    now: dt.datetime | None = None,
) -> BookingResult:
    """Book a place in the hall's slot beginning at ``starts_at`` for ``implementation`` (any window that
    handles it and has room, or ``window``). Errors: ``slot_full``, ``already_booked``, ``not_a_slot``,
    ``slot_in_past``, ``slot_too_far``, ``item_not_handled_here``, ``login_required``."""
    _require_person(person)
    key = (idempotency_key or "").strip()[:100]
    if key:
        earlier = Booking.objects.filter(person=person, idempotency_key=key).first()
        if earlier is not None:
            return BookingResult(booking=earlier, created=False)
    booking = _create_booking(
        person=person,
        hall=hall,
        implementation=implementation,
        starts_at=starts_at,
        window=window,
        idempotency_key=key,
        rescheduled_from=None,
        now=now or timezone.now(),
    )
    _audit_booking(AuditAction.BOOKED, actor=person, booking=booking)
    return BookingResult(booking=booking, created=True)


def _own_booking(actor: Any, booking: Booking) -> Booking:
    _require_person(actor)
    locked = Booking.objects.select_for_update().filter(pk=booking.pk, person=actor).first()
    if locked is None:
        raise NotFound("未找到该预约", code="booking_not_found")
    return locked


@transaction.atomic
def cancel_booking(*, actor: Any, booking: Booking) -> Booking:
    """Cancel one's own booking before arrival; its place is free again. Cancelling twice is harmless."""
    booking = _own_booking(actor, booking)
    if booking.status == BookingStatus.CANCELLED:
        return booking
    if booking.status != BookingStatus.BOOKED:
        raise Conflict("已取号或已办理的预约不能取消", code="booking_not_cancellable")
    _give_back_place(booking)
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.save(update_fields=["status", "cancelled_at", "updated_at"])
    _audit_booking(AuditAction.CANCELLED, actor=actor, booking=booking)
    return booking


@transaction.atomic
def reschedule_booking(
    *,
    actor: Any,
    booking: Booking,
    starts_at: dt.datetime,
    hall: Hall | None = None,
    now: dt.datetime | None = None,
) -> Booking:
    """Move one's booking to another slot (of the same or another hall): a new booking that names the old
    one, which is cancelled and frees its place. If the new slot is full nothing changes."""
    booking = _own_booking(actor, booking)
    if booking.status != BookingStatus.BOOKED:
        raise Conflict("已取号或已取消的预约不能改约", code="booking_not_reschedulable")
    _give_back_place(booking)
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.save(update_fields=["status", "cancelled_at", "updated_at"])
    new = _create_booking(
        person=actor,
        hall=hall or booking.window.hall,
        implementation=booking.implementation,
        starts_at=starts_at,
        window=None,
        idempotency_key="",
        rescheduled_from=booking,
        now=now or timezone.now(),
    )
    _audit_booking(AuditAction.RESCHEDULED, actor=actor, booking=new, previous=booking.code)
    return new


# Queue numbers -------------------------------------------------------------------------------------------


def _next_number(hall: Hall, day: dt.date, prefix: str) -> int:
    Hall.objects.select_for_update().filter(pk=hall.pk).first()  # one number at a time per hall
    last = QueueTicket.objects.filter(hall=hall, date=day, prefix=prefix).aggregate(last=Max("number"))[
        "last"
    ]
    return (last or 0) + 1


@transaction.atomic
def check_in(*, actor: Any, booking: Booking, today: dt.date | None = None) -> QueueTicket:
    """取号 on arrival: on the booking's day, a queue number (A…) for the hall. Taking it again shows the
    same number."""
    booking = _own_booking(actor, booking)
    existing = QueueTicket.objects.filter(booking=booking).first()
    if existing is not None:
        return existing
    if booking.status != BookingStatus.BOOKED:
        raise Conflict("该预约已取消或已办理，不能取号", code="booking_not_active")
    if booking.date != (today or timezone.localdate()):
        raise InvalidInput("只能在预约当天到达大厅后取号", code="not_booking_day")
    hall = booking.window.hall
    ticket = QueueTicket.objects.create(
        hall=hall,
        date=booking.date,
        prefix=TicketPrefix.BOOKED,
        number=_next_number(hall, booking.date, TicketPrefix.BOOKED),
        booking=booking,
        person=actor,
        implementation=booking.implementation,
    )
    booking.status = BookingStatus.ARRIVED
    booking.save(update_fields=["status", "updated_at"])
    record_event(
        actor=actor,
        action=AuditAction.TICKET_TAKEN,
        target=ticket,
        department=booking.implementation.department,
        details={"ticket": ticket.label, "booking": booking.code, "hall": hall.pk},
    )
    return ticket


@transaction.atomic
def take_walk_in_ticket(
    *, hall: Hall, implementation: Implementation, person: Any = None, today: dt.date | None = None
) -> QueueTicket:
    """A walk-in's queue number (B…) for an item the hall handles (at the terminal or the front desk)."""
    if not selectors.handling_windows(hall=hall, implementation=implementation):
        raise InvalidInput("该大厅没有办理此事项的窗口", code="item_not_handled_here")
    day = today or timezone.localdate()
    ticket = QueueTicket.objects.create(
        hall=hall,
        date=day,
        prefix=TicketPrefix.WALK_IN,
        number=_next_number(hall, day, TicketPrefix.WALK_IN),
        person=person if getattr(person, "is_authenticated", False) else None,
        implementation=implementation,
    )
    record_event(
        actor=person,
        action=AuditAction.TICKET_TAKEN,
        target=ticket,
        department=implementation.department,
        details={"ticket": ticket.label, "hall": hall.pk},
    )
    return ticket


def _clerk_facts(actor: Any, window: Window) -> dict[str, Any]:
    assignment = selectors.serving_assignment(actor=actor, window=window)
    if assignment is None:
        raise PermissionDenied("您不是该窗口的工作人员，不能叫号", code="not_window_clerk")
    return {
        "actor_role": assignment.role,
        "actor_department": assignment.department,
        "actor_region_code": assignment.region_id,
    }


def _sync_booking(ticket: QueueTicket, status: str) -> None:
    if ticket.booking_id is not None:
        Booking.objects.filter(pk=ticket.booking_id).update(status=status, updated_at=timezone.now())


@transaction.atomic
def call_next(*, actor: Any, window: Window, today: dt.date | None = None) -> QueueTicket | None:
    """叫号: the window's clerk calls the next waiting ticket for its items (bookings before walk-ins, in
    order of number); None when nobody waits. Two clerks never call the same ticket."""
    facts = _clerk_facts(actor, window)
    day = today or timezone.localdate()
    waiting = QueueTicket.objects.filter(
        hall_id=window.hall_id,
        date=day,
        status=TicketStatus.WAITING,
        implementation__in=window.implementations.all(),
    ).order_by("prefix", "number")
    now = timezone.now()
    for ticket_id in waiting.values_list("pk", flat=True)[:20]:
        claimed = QueueTicket.objects.filter(pk=ticket_id, status=TicketStatus.WAITING).update(
            status=TicketStatus.CALLED, window=window, called_at=now, updated_at=now
        )
        if not claimed:
            continue
        ticket = QueueTicket.objects.select_related("booking", "implementation").get(pk=ticket_id)
        _sync_booking(ticket, BookingStatus.CALLED)
        record_event(
            actor=actor,
            action=AuditAction.CALLED,
            target=ticket,
            department=ticket.implementation.department,
            details={"ticket": ticket.label, "window": window.number, "hall": window.hall_id},
            **facts,
        )
        return ticket
    return None


def _finish(*, actor: Any, window: Window, ticket: QueueTicket, status: str, action: str) -> QueueTicket:
    facts = _clerk_facts(actor, window)
    ticket = QueueTicket.objects.select_for_update().select_related("implementation").get(pk=ticket.pk)
    if ticket.window_id != window.pk or ticket.status != TicketStatus.CALLED:
        raise Conflict("只能处理本窗口已叫的号", code="ticket_not_called_here")
    ticket.status = status
    ticket.finished_at = timezone.now()
    ticket.save(update_fields=["status", "finished_at", "updated_at"])
    _sync_booking(ticket, BookingStatus.SERVED if status == TicketStatus.SERVED else BookingStatus.NO_SHOW)
    record_event(
        actor=actor,
        action=action,
        target=ticket,
        department=ticket.implementation.department,
        details={"ticket": ticket.label, "window": window.number, "hall": window.hall_id},
        **facts,
    )
    return ticket


@transaction.atomic
def mark_served(*, actor: Any, window: Window, ticket: QueueTicket) -> QueueTicket:
    return _finish(
        actor=actor, window=window, ticket=ticket, status=TicketStatus.SERVED, action=AuditAction.SERVED
    )


@transaction.atomic
def mark_no_show(*, actor: Any, window: Window, ticket: QueueTicket) -> QueueTicket:
    return _finish(
        actor=actor, window=window, ticket=ticket, status=TicketStatus.NO_SHOW, action=AuditAction.NO_SHOW
    )


# Reminders -----------------------------------------------------------------------------------------------


def reminder_lead() -> dt.timedelta:
    return dt.timedelta(
        hours=float(getattr(settings, "HALLS_REMINDER_LEAD_HOURS", DEFAULT_REMINDER_LEAD_HOURS))
    )


def _remind_one(booking_id: int, now: dt.datetime) -> bool:
    with transaction.atomic():
        claimed = Booking.objects.filter(
            pk=booking_id, reminded_at__isnull=True, status=BookingStatus.BOOKED
        ).update(reminded_at=now)
        if not claimed:
            return False
        booking = Booking.objects.select_related(
            "window", "window__hall", "implementation", "implementation__department", "person"
        ).get(pk=booking_id)
        hall = booking.window.hall
        notify(
            recipient=booking.person,
            topic=REMINDER_TOPIC,
            title=gettext_noop("预约提醒：{time} 到{hall}办理"),
            body=gettext_noop(
                "您预约了 {time} 在{hall}{window}号窗口办理“{item}”，预约号 {code}。地址：{address}。"
                "请携带所需材料按时到达，到达后在“我的预约”中取号。"
            ),
            context={
                "time": timezone.localtime(booking.starts_at).strftime("%Y-%m-%d %H:%M"),
                "hall": hall.name,
                "window": booking.window.number,
                "item": booking.implementation.name,
                "code": booking.code,
                "address": hall.address,
            },
            link="/halls/my",
            department=booking.implementation.department,
        )
        record_event(
            action=AuditAction.REMINDED,
            target=booking,
            department=booking.implementation.department,
            details={"code": booking.code},
        )
        return True


def remind_bookings(*, now: dt.datetime | None = None, lead: dt.timedelta | None = None) -> int:
    """Send each booking whose slot begins within ``lead`` (a day by default) its reminder, once. Each
    reminder is its own transaction: one failure does not hold back the rest."""
    now = now or timezone.now()
    due = Booking.objects.filter(
        status=BookingStatus.BOOKED,
        reminded_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + (lead if lead is not None else reminder_lead()),
    ).values_list("pk", flat=True)
    return sum(_remind_one(booking_id, now) for booking_id in list(due[:500]))
