"""The demo world the demo and end-to-end tests share: the guides and bundles, a small synthetic register,
the demo accounts (the bundle departments' staff and house_seller among them), their licenses, the
exchange, and the applications' part of the demo without its demo cases."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from yiwang.applications.demo import prepare_applications
from yiwang.demo.accounts import create_demo_accounts
from yiwang.exchange.demo import load_demo_exchange
from yiwang.licenses.demo import load_demo_licenses
from yiwang.registers.services import generate_registers

from .forms_world import load_demo_catalog


def load_demo_world() -> None:
    load_demo_catalog()
    generate_registers(size="test")
    create_demo_accounts()
    load_demo_licenses()
    load_demo_exchange()
    prepare_applications()


def next_monday(after: dt.date | None = None) -> dt.date:
    """The first Monday at least a week after ``after`` (today): later than every demo license's issue."""
    day = (after or timezone.localdate()) + dt.timedelta(days=7)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
