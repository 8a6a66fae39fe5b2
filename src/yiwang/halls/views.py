"""The halls' pages: halls near me, a hall, booking a window slot, my bookings, the window's queue."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_POST

from yiwang.core.errors import DomainError, InvalidInput, NotFound
from yiwang.core.page_auth import staff_verified_required
from yiwang.core.workdays import load_calendar
from yiwang.regions.selectors import get_region

from . import selectors, services
from .constants import BOOKING_HORIZON_DAYS, WEEKDAYS, BookingStatus
from .schedule import format_hours

REGION_COOKIE = "region"  # the portal's chosen region (portal.preferences); read here, never written
_REGION_CODE = re.compile(r"^\d{12}$")
_SLOT_KEY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)$")
WEEKDAY_NAMES = (
    gettext_noop("周一"),
    gettext_noop("周二"),
    gettext_noop("周三"),
    gettext_noop("周四"),
    gettext_noop("周五"),
    gettext_noop("周六"),
    gettext_noop("周日"),
)


def parse_slot_key(value: str) -> dt.datetime:
    """``"2026-12-08T09:30"`` (local time) → an aware datetime; anything else is invalid input."""
    match = _SLOT_KEY.match(value or "")
    if not match:
        raise InvalidInput(_("请选择一个预约时段"), code="invalid_slot")
    year, month, day, hour, minute = (int(part) for part in match.groups())
    try:
        naive = dt.datetime(year, month, day, hour, minute)
    except ValueError:
        raise InvalidInput(_("请选择一个预约时段"), code="invalid_slot") from None
    return timezone.make_aware(naive, timezone.get_current_timezone())


def parse_day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _region(request: HttpRequest):
    for code in (
        request.GET.get("region", ""),
        request.COOKIES.get(REGION_COOKIE, ""),
        settings.DEFAULT_REGION_CODE,
    ):
        if _REGION_CODE.match(code or ""):
            try:
                return get_region(code=code)
            except NotFound:
                continue
    return None


def _hours_rows(hall) -> list[dict]:
    hours = hall.opening_hours or {}
    return [
        {"day": _(WEEKDAY_NAMES[int(key)]), "hours": format_hours(hours.get(key) or []) or _("休息")}
        for key in WEEKDAYS
    ]


@require_GET
def hall_list(request: HttpRequest) -> HttpResponse:
    region = _region(request)
    item_code = request.GET.get("item", "").strip()[:100]
    implementation = None
    if item_code:
        try:
            implementation = selectors.resolve_implementation(code=item_code)
        except NotFound:
            messages.warning(request, _("未找到该事项，已列出全部大厅"))
    halls = []
    if region is not None:
        halls = (
            selectors.list_halls_for_item(region=region, implementation=implementation)
            if implementation
            else selectors.list_halls_near(region=region)
        )
    return render(
        request,
        "halls/list.html",
        {
            "region": region,
            "halls": halls,
            "implementation": implementation,
            "item_code": item_code,
            "items": selectors.list_items_handled(region=region) if region is not None else [],
            "my_windows": selectors.list_windows_served_by(actor=request.user)
            if getattr(request.user, "is_staff_member", False)
            else [],
        },
    )


@require_GET
def hall_detail(request: HttpRequest, hall_id: int) -> HttpResponse:
    try:
        hall = selectors.get_hall(hall_id=hall_id)
    except NotFound:
        raise Http404(_("未找到该服务大厅")) from None
    return render(request, "halls/detail.html", {"hall": hall, "hours": _hours_rows(hall)})


def _book_url(**params) -> str:
    return reverse("halls:book") + "?" + urlencode({key: value for key, value in params.items() if value})


@login_required
def book(request: HttpRequest) -> HttpResponse:
    """Choose a hall, then a day, then a slot, and confirm (a POST); ``reschedule`` moves a booking."""
    source = request.POST if request.method == "POST" else request.GET
    item_code = source.get("item", "").strip()[:100]
    reschedule_code = source.get("reschedule", "").strip()[:12]
    try:
        implementation = selectors.resolve_implementation(code=item_code)
    except NotFound:
        return render(request, "halls/book.html", {"step": "no_item", "item_code": item_code}, status=404)
    previous = None
    if reschedule_code:
        try:
            previous = selectors.get_booking_for(actor=request.user, code=reschedule_code)
        except NotFound:
            raise Http404(_("未找到该预约")) from None
    if request.method == "POST":
        return _confirm(request, implementation=implementation, previous=previous)
    context = {"implementation": implementation, "item_code": implementation.code, "previous": previous}
    hall_id = source.get("hall", "")
    if not hall_id.isdigit():
        region = _region(request)
        halls = selectors.list_halls_for_item(region=region, implementation=implementation) if region else []
        return render(
            request, "halls/book.html", {**context, "step": "hall", "halls": halls, "region": region}
        )
    try:
        hall = selectors.get_hall(hall_id=int(hall_id))
    except NotFound:
        raise Http404(_("未找到该服务大厅")) from None
    context["hall"] = hall
    today = timezone.localdate()
    calendar = load_calendar({today.year, (today + dt.timedelta(days=BOOKING_HORIZON_DAYS)).year})
    day = parse_day(source.get("date"))
    days = selectors.bookable_days(hall=hall, today=today, calendar=calendar)
    if day is None or day not in days:
        return render(
            request,
            "halls/book.html",
            {
                **context,
                "step": "date",
                "days": [
                    {
                        "day": d,
                        "weekday": _(WEEKDAY_NAMES[d.weekday()]),
                        "url": _book_url(
                            item=implementation.code,
                            hall=hall.pk,
                            date=d.isoformat(),
                            reschedule=reschedule_code,
                        ),
                    }
                    for d in days
                ],
            },
        )
    slots = selectors.list_slots(hall=hall, implementation=implementation, day=day, calendar=calendar)
    return render(
        request,
        "halls/book.html",
        {
            **context,
            "step": "slot",
            "day": day,
            "weekday": _(WEEKDAY_NAMES[day.weekday()]),
            "slots": slots,
            "token": uuid.uuid4().hex,
            "back_url": _book_url(item=implementation.code, hall=hall.pk, reschedule=reschedule_code),
        },
    )


def _confirm(request: HttpRequest, *, implementation, previous) -> HttpResponse:
    back = _book_url(
        item=implementation.code,
        hall=request.POST.get("hall", ""),
        date=request.POST.get("date", ""),
        reschedule=previous.code if previous else "",
    )
    try:
        hall_id = request.POST.get("hall", "")
        if not hall_id.isdigit():
            raise InvalidInput(_("请选择服务大厅"), code="hall_required")
        hall = selectors.get_hall(hall_id=int(hall_id))
        starts_at = parse_slot_key(request.POST.get("slot", ""))
        if previous is not None:
            booking = services.reschedule_booking(
                actor=request.user, booking=previous, starts_at=starts_at, hall=hall
            )
            messages.success(request, _("已改约，新的预约号为 %(code)s") % {"code": booking.code})
        else:
            result = services.book(
                person=request.user,
                hall=hall,
                implementation=implementation,
                starts_at=starts_at,
                idempotency_key=request.POST.get("token", "")[:100],
            )
            messages.success(request, _("预约成功，预约号为 %(code)s") % {"code": result.booking.code})
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(back)
    return redirect("halls:my")


@login_required
@require_GET
def my_bookings(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    bookings = list(selectors.list_my_bookings(person=request.user)[:50])
    rows = []
    for booking in bookings:
        ticket = getattr(booking, "ticket", None)  # none before 取号 (the reverse one-to-one raises)
        rows.append(
            {
                "booking": booking,
                "ticket": ticket,
                "is_active": booking.status == BookingStatus.BOOKED,
                "may_check_in": booking.status == BookingStatus.BOOKED and booking.date == today,
                "reschedule_url": _book_url(
                    item=booking.implementation.code, hall=booking.window.hall_id, reschedule=booking.code
                ),
            }
        )
    return render(request, "halls/my.html", {"rows": rows})


def _own(request: HttpRequest, code: str):
    try:
        return selectors.get_booking_for(actor=request.user, code=code)
    except NotFound:
        raise Http404(_("未找到该预约")) from None


@login_required
@require_POST
def cancel(request: HttpRequest, code: str) -> HttpResponse:
    booking = _own(request, code)
    try:
        services.cancel_booking(actor=request.user, booking=booking)
        messages.success(request, _("已取消预约 %(code)s") % {"code": booking.code})
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("halls:my")


@login_required
@require_POST
def check_in(request: HttpRequest, code: str) -> HttpResponse:
    booking = _own(request, code)
    try:
        ticket = services.check_in(actor=request.user, booking=booking)
        messages.success(request, _("取号成功，您的排队号是 %(number)s") % {"number": ticket.label})
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("halls:my")


def _clerk_window(request: HttpRequest, window_id: int):
    try:
        window = selectors.get_window(window_id=window_id)
    except NotFound:
        raise Http404(_("未找到该窗口")) from None
    if not selectors.may_serve(actor=request.user, window=window):
        return window, HttpResponseForbidden(_("您不是该窗口的工作人员"))
    return window, None


@staff_verified_required
@require_GET
def queue(request: HttpRequest, window_id: int) -> HttpResponse:
    window, refused = _clerk_window(request, window_id)
    if refused:
        return refused
    return render(request, "halls/queue.html", {"window": window, **selectors.list_queue(window=window)})


@staff_verified_required
@require_POST
def call_next(request: HttpRequest, window_id: int) -> HttpResponse:
    window, refused = _clerk_window(request, window_id)
    if refused:
        return refused
    try:
        ticket = services.call_next(actor=request.user, window=window)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if ticket is None:
            messages.info(request, _("暂无等候的号"))
        else:
            messages.success(
                request,
                _("请 %(number)s 号到 %(window)s 号窗口") % {"number": ticket.label, "window": window.number},
            )
    return redirect("halls:queue", window_id=window.pk)


@staff_verified_required
@require_POST
def finish(request: HttpRequest, window_id: int, ticket_id: int, outcome: str) -> HttpResponse:
    window, refused = _clerk_window(request, window_id)
    if refused:
        return refused
    try:
        ticket = selectors.get_ticket_for_window(window=window, ticket_id=ticket_id)
        if outcome == "served":
            services.mark_served(actor=request.user, window=window, ticket=ticket)
        else:
            services.mark_no_show(actor=request.user, window=window, ticket=ticket)
    except NotFound:
        raise Http404(_("未找到该排队号")) from None
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("halls:queue", window_id=window.pk)
