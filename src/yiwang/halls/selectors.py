"""Reads of the halls app: halls near a region, the nearest hall for an item, slots with places left,
a person's bookings, a window's queue. Region arithmetic goes through yiwang.regions.selectors."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from yiwang.catalog.models import Implementation
from yiwang.core.errors import NotFound
from yiwang.core.workdays import WorkdayCalendar, load_calendar
from yiwang.identity.selectors import (
    assignment_covering_region,
    assignment_with_permission,
    department_ids_with_permission,
)
from yiwang.regions.models import Region
from yiwang.regions.selectors import region_scope_codes, region_subtree_codes

from .constants import BOOKING_HORIZON_DAYS, SERVE_PERMISSION, TicketStatus
from .models import Booking, Hall, QueueTicket, SlotUsage, Window
from .schedule import slots_on

__all__ = [
    "DaySlots",
    "SlotOption",
    "bookable_days",
    "get_booking_for",
    "get_hall",
    "get_ticket_for_window",
    "get_window",
    "handling_windows",
    "list_halls_for_item",
    "list_halls_in_region_chain",
    "list_halls_near",
    "list_my_bookings",
    "list_queue",
    "list_slots",
    "list_window_slots",
    "may_serve",
    "resolve_implementation",
    "serving_assignment",
]


def _halls() -> QuerySet[Hall]:
    return Hall.objects.filter(is_active=True).select_related("region")


def list_halls_in_region_chain(*, region: Region) -> QuerySet[Hall]:
    """Halls in the region and its ancestors (the halls that serve a person living there)."""
    return _halls().filter(region_id__in=region_scope_codes(region=region))


def list_halls_near(*, region: Region, implementation: Implementation | None = None) -> list[Hall]:
    """Halls for a person in ``region``: those of the region and its ancestors, nearest first, then the
    halls within the region (towns, villages); only halls with a window for ``implementation`` if given."""
    chain = region_scope_codes(region=region)
    halls = _halls().filter(
        Q(region_id__in=chain) | Q(region_id__in=region_subtree_codes(code=region.code, level=region.level))
    )
    if implementation is not None:
        halls = halls.filter(windows__is_active=True, windows__implementations=implementation).distinct()
    depth = {code: index for index, code in enumerate(reversed(chain))}  # 0 = the region itself
    return sorted(
        halls,
        key=lambda hall: (
            hall.region_id not in depth,
            depth.get(hall.region_id, 0),
            hall.region_id,
            hall.name,
        ),
    )


def list_items_handled(*, region: Region) -> list[Implementation]:
    """The items the halls near ``region`` handle at an active window, by name: the halls page's picker."""
    near = [hall.pk for hall in list_halls_near(region=region)]
    return list(
        Implementation.objects.filter(
            is_active=True, hall_windows__is_active=True, hall_windows__hall_id__in=near
        )
        .distinct()
        .order_by("name", "code")
        .only("code", "name")
    )


def list_halls_for_item(*, region: Region, implementation: Implementation) -> list[Hall]:
    """The nearest halls handling ``implementation`` from ``region``: near the region first; if none, the
    halls within each ancestor in turn (a neighbouring town's station before another county's centre)."""
    near = list_halls_near(region=region, implementation=implementation)
    if near:
        return near
    chain = region_scope_codes(region=region)
    for code in reversed(chain[:-1]):
        level = Region.objects.filter(code=code).values_list("level", flat=True).first()
        found = list(
            _halls()
            .filter(
                region_id__in=region_subtree_codes(code=code, level=level),
                windows__is_active=True,
                windows__implementations=implementation,
            )
            .distinct()
            .order_by("region_id", "name")
        )
        if found:
            return found
    return []


def get_hall(*, hall_id: int) -> Hall:
    windows = Window.objects.filter(is_active=True).select_related("department").order_by("number")
    hall = (
        _halls()
        .prefetch_related(
            Prefetch(
                "windows",
                queryset=windows.prefetch_related(
                    Prefetch(
                        "implementations",
                        queryset=Implementation.objects.filter(is_active=True).order_by("name"),
                    )
                ),
            )
        )
        .filter(pk=hall_id)
        .first()
    )
    if hall is None:
        raise NotFound("未找到该服务大厅", code="hall_not_found")
    return hall


def get_window(*, window_id: int) -> Window:
    window = Window.objects.select_related("hall", "hall__region", "department").filter(pk=window_id).first()
    if window is None:
        raise NotFound("未找到该窗口", code="window_not_found")
    return window


def resolve_implementation(*, code: str) -> Implementation:
    """An implementation by its code, or the first active one of an item code that some hall handles."""
    active = Implementation.objects.filter(is_active=True).select_related("item", "department", "region")
    found = active.filter(code=code).first()
    if found is None and code:
        found = (
            active.filter(item__code=code, hall_windows__isnull=False).order_by("region_id", "code").first()
            or active.filter(item__code=code).order_by("region_id", "code").first()
        )
    if found is None:
        raise NotFound("未找到该事项", code="unknown_item")
    return found


def handling_windows(*, hall: Hall, implementation: Implementation) -> list[Window]:
    return list(
        Window.objects.filter(hall=hall, is_active=True, implementations=implementation).order_by("number")
    )


# Slots ---------------------------------------------------------------------------------------------------


@dataclass
class SlotOption:
    """A time at a hall with places left, summed over the windows handling the item."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    remaining: int
    window_ids: list[int] = field(default_factory=list)

    @property
    def key(self) -> str:
        return timezone.localtime(self.starts_at).strftime("%Y-%m-%dT%H:%M")


@dataclass
class DaySlots:
    day: dt.date
    slots: list[SlotOption]

    @property
    def remaining(self) -> int:
        return sum(slot.remaining for slot in self.slots)


def bookable_days(
    *,
    hall: Hall,
    today: dt.date | None = None,
    horizon: int = BOOKING_HORIZON_DAYS,
    calendar: WorkdayCalendar | None = None,
) -> list[dt.date]:
    """The days from tomorrow up to ``horizon`` days ahead on which the hall has slots (working days)."""
    today = today or timezone.localdate()
    days = [today + dt.timedelta(days=offset) for offset in range(0, horizon + 1)]
    calendar = calendar or load_calendar({day.year for day in days})
    return [day for day in days if slots_on(hall, day, calendar)]


def list_window_slots(
    *, window: Window, day: dt.date, now: dt.datetime | None = None, calendar: WorkdayCalendar | None = None
) -> list[SlotOption]:
    """One window's slots on ``day`` that have not begun, with places left (0 when full)."""
    now = now or timezone.now()
    calendar = calendar or load_calendar([day.year])
    times = [slot for slot in slots_on(window.hall, day, calendar) if slot.starts_at > now]
    taken = dict(
        SlotUsage.objects.filter(window=window, starts_at__in=[slot.starts_at for slot in times]).values_list(
            "starts_at", "booked"
        )
    )
    return [
        SlotOption(
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            remaining=max(0, window.capacity - taken.get(slot.starts_at, 0)),
            window_ids=[window.pk],
        )
        for slot in times
    ]


def list_slots(
    *,
    hall: Hall,
    implementation: Implementation,
    day: dt.date,
    now: dt.datetime | None = None,
    calendar: WorkdayCalendar | None = None,
) -> list[SlotOption]:
    """The hall's slots on ``day`` for ``implementation``: places left summed over its windows."""
    now = now or timezone.now()
    calendar = calendar or load_calendar([day.year])
    windows = handling_windows(hall=hall, implementation=implementation)
    if not windows:
        return []
    times = [slot for slot in slots_on(hall, day, calendar) if slot.starts_at > now]
    taken: dict[tuple[int, dt.datetime], int] = defaultdict(int)
    for window_id, starts_at, booked in SlotUsage.objects.filter(
        window__in=windows, starts_at__in=[slot.starts_at for slot in times]
    ).values_list("window_id", "starts_at", "booked"):
        taken[(window_id, starts_at)] = booked
    options = []
    for slot in times:
        open_windows = [w for w in windows if w.capacity - taken[(w.pk, slot.starts_at)] > 0]
        remaining = sum(max(0, w.capacity - taken[(w.pk, slot.starts_at)]) for w in windows)
        options.append(
            SlotOption(
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                remaining=remaining,
                window_ids=[w.pk for w in open_windows],
            )
        )
    return options


# Bookings ------------------------------------------------------------------------------------------------


def _bookings() -> QuerySet[Booking]:
    return Booking.objects.select_related(
        "window", "window__hall", "implementation", "implementation__item", "rescheduled_from"
    ).prefetch_related("ticket")


def list_my_bookings(*, person) -> QuerySet[Booking]:
    """The person's own bookings, newest slot first."""
    if not getattr(person, "is_authenticated", False):
        return Booking.objects.none()
    return _bookings().filter(person=person).order_by("-starts_at", "-id")


def get_booking_for(*, actor, code: str) -> Booking:
    """The actor's own booking by its code; anyone else's is not found (it is not theirs to see)."""
    booking = None
    if getattr(actor, "is_authenticated", False):
        booking = _bookings().filter(person=actor, code=str(code).upper()[:12]).first()
    if booking is None:
        raise NotFound("未找到该预约", code="booking_not_found")
    return booking


# The window clerk --------------------------------------------------------------------------------------


def serving_assignment(*, actor, window: Window):
    """The actor's staff role that lets them call at ``window``, or None: ``hall.serve`` in the window's
    department within the hall's region; at a window of no department (综合窗口), ``hall.serve`` in any
    department whose region covers the hall's."""
    if window.department_id is not None:
        return assignment_with_permission(
            actor=actor,
            permission=SERVE_PERMISSION,
            department_id=window.department_id,
            region_code=window.hall.region_id,
        )
    return assignment_covering_region(
        actor=actor, permission=SERVE_PERMISSION, region_code=window.hall.region_id
    )


def may_serve(*, actor, window: Window) -> bool:
    return serving_assignment(actor=actor, window=window) is not None


def list_windows_served_by(*, actor) -> list[Window]:
    """The windows where ``actor`` may call numbers (their departments' windows and the general ones),
    each checked by ``may_serve``: the links a window clerk follows to their queue."""
    departments = department_ids_with_permission(actor, SERVE_PERMISSION)
    if not departments:
        return []
    candidates = (
        Window.objects.filter(is_active=True, hall__is_active=True)
        .filter(Q(department_id__in=departments) | Q(department__isnull=True))
        .select_related("hall", "hall__region")
        .order_by("hall__name", "number")
    )
    return [window for window in candidates if may_serve(actor=actor, window=window)]


def list_queue(*, window: Window, day: dt.date | None = None) -> dict[str, list[QueueTicket]]:
    """Today's tickets the window may call (waiting, for its items) and those it has called."""
    day = day or timezone.localdate()
    tickets = QueueTicket.objects.filter(hall_id=window.hall_id, date=day).select_related(
        "implementation", "booking", "window"
    )
    waiting = tickets.filter(
        status=TicketStatus.WAITING, implementation__in=window.implementations.all()
    ).order_by("prefix", "number")
    called = tickets.filter(window=window, status=TicketStatus.CALLED).order_by("-called_at")
    done = tickets.filter(window=window, status__in=[TicketStatus.SERVED, TicketStatus.NO_SHOW]).order_by(
        "-finished_at"
    )[:20]
    return {"waiting": list(waiting), "called": list(called), "done": list(done)}


def get_ticket_for_window(*, window: Window, ticket_id: int) -> QueueTicket:
    ticket = (
        QueueTicket.objects.select_related("booking", "implementation", "hall")
        .filter(pk=ticket_id, hall_id=window.hall_id)
        .first()
    )
    if ticket is None:
        raise NotFound("未找到该排队号", code="ticket_not_found")
    return ticket
