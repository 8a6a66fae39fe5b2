"""Demo halls of 广安区 (the demo county): the district's 政务服务中心, a street's 便民服务中心 and a
community 便民服务站, their windows with the demo departments' items, and one booking of the demo citizen.

Idempotent: halls and windows are matched by name and number; the citizen gets a booking only if they
have none.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from yiwang.catalog.models import Implementation
from yiwang.core.workdays import load_calendar
from yiwang.identity.models import User
from yiwang.regions.models import Department, Region

from .constants import HallKind
from .models import Booking, Hall, Window
from .schedule import slots_on
from .services import book

COUNTY = "511602000000"
WEEKDAY_HOURS = [["09:00", "12:00"], ["13:30", "17:00"]]
CENTRE_HOURS = {**{str(day): WEEKDAY_HOURS for day in range(5)}, "5": [["09:00", "12:00"]]}
TOWN_HOURS = {str(day): WEEKDAY_HOURS for day in range(5)}
STATION_HOURS = {str(day): [["09:00", "12:00"]] for day in (0, 2, 4)}
DEMO_CITIZEN = "citizen_l3"
# (hall name, kind, region code, address, phone, hours, windows: (number, name, department short names))
HALLS = (
    (
        "广安区政务服务中心",
        HallKind.CENTRE,
        COUNTY,
        "四川省广安市广安区金安大道一段 99 号",
        "0826-2345678",
        CENTRE_HOURS,
        (
            (1, "社保医保综合窗口", ("区人社局", "区医疗保障局")),
            (2, "公安户政窗口", ("区公安分局",)),
            (3, "民政婚姻登记窗口", ("区民政局",)),
            (4, "市场准入窗口", ("区市监局", "区行政审批局")),
        ),
    ),
    (
        "浓洄街道便民服务中心",
        HallKind.TOWN,
        "511602001000",
        "四川省广安市广安区浓洄街道建设路 12 号",
        "0826-2221001",
        TOWN_HOURS,
        ((1, "综合受理窗口", ("区人社局", "区民政局", "区医疗保障局")),),
    ),
    (
        "北辰街道便民服务中心",
        HallKind.TOWN,
        "511602002000",
        "四川省广安市广安区北辰街道北辰路 8 号",
        "0826-2221002",
        TOWN_HOURS,
        ((1, "综合受理窗口", ("区人社局", "区医疗保障局")),),
    ),
)
ITEMS_PER_DEPARTMENT = 12  # a window lists a department's first items, enough to show and stay fast


@transaction.atomic
def _load_halls() -> tuple[int, int]:
    departments = {d.short_name: d for d in Department.objects.filter(region_id=COUNTY)}
    halls = windows = 0
    for name, kind, region_code, address, phone, hours, window_rows in HALLS:
        if not Region.objects.filter(code=region_code).exists():
            continue
        hall, _created = Hall.objects.update_or_create(
            region_id=region_code,
            name=name,
            defaults={"kind": kind, "address": address, "phone": phone, "opening_hours": hours},
        )
        halls += 1
        for number, window_name, short_names in window_rows:
            present = [departments[short] for short in short_names if short in departments]
            window, _created = Window.objects.update_or_create(
                hall=hall,
                number=number,
                defaults={"name": window_name, "department": present[0] if len(present) == 1 else None},
            )
            implementations = []
            for department in present:
                implementations += list(
                    Implementation.objects.filter(department=department, is_active=True, region_id=COUNTY)
                    .order_by("-completeness", "code")
                    .values_list("pk", flat=True)[:ITEMS_PER_DEPARTMENT]
                )
            window.implementations.set(implementations)
            windows += 1
    return halls, windows


def _demo_booking() -> str:
    citizen = User.objects.filter(username=DEMO_CITIZEN).first()
    centre = Hall.objects.filter(region_id=COUNTY, kind=HallKind.CENTRE).first()
    if citizen is None or centre is None:
        return "no demo booking (no citizen or hall)"
    if Booking.objects.filter(person=citizen).exists():
        return "demo booking kept"
    window = centre.windows.filter(implementations__isnull=False).order_by("number").first()
    implementation = window.implementations.order_by("code").first() if window else None
    if implementation is None:
        return "no demo booking (no items)"
    today = timezone.localdate()
    calendar = load_calendar({today.year, today.year + 1})
    for offset in range(1, 15):
        slots = slots_on(centre, today + dt.timedelta(days=offset), calendar)
        if slots:
            result = book(
                person=citizen, hall=centre, implementation=implementation, starts_at=slots[0].starts_at
            )
            return f"demo booking {result.booking.code}"
    return "no demo booking (no working day ahead)"


def load_demo_halls() -> str:
    halls, windows = _load_halls()
    return f"{halls} halls, {windows} windows, {_demo_booking()}"
