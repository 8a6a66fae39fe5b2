"""Writes of the core app: loading the statutory holiday calendar."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.db import transaction

from .models import Holiday, HolidayYear

HOLIDAY_DATA_DIR = Path(__file__).resolve().parent / "data" / "holidays"


@transaction.atomic
def load_holiday_year(*, data: dict, source: str = "") -> HolidayYear:
    """Replace one year's holidays with the days of a holiday-cn style document."""
    year = int(data["year"])
    days = data.get("days") or []
    Holiday.objects.filter(date__year=year).delete()
    Holiday.objects.bulk_create(
        Holiday(
            date=dt.date.fromisoformat(day["date"]),
            name=day["name"],
            is_off_day=bool(day["isOffDay"]),
            source=source,
        )
        for day in days
    )
    row, _ = HolidayYear.objects.update_or_create(
        year=year, defaults={"is_published": bool(days), "papers": data.get("papers") or []}
    )
    return row


def load_bundled_holidays() -> list[HolidayYear]:
    """Load every year shipped with the platform (an empty file marks a year as not yet published)."""
    return [
        load_holiday_year(data=json.loads(path.read_text(encoding="utf-8")), source="holiday-cn")
        for path in sorted(HOLIDAY_DATA_DIR.glob("[0-9][0-9][0-9][0-9].json"))
    ]
