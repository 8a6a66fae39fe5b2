"""Fixtures of the identity tests: a populated register row for the citizen, the console SMS outbox."""

from __future__ import annotations

import re

import pytest

from yiwang.notifications.sms.backends import outbox

from .register_double import DOUBLE, RegisterDouble


@pytest.fixture(autouse=True)
def registers(settings) -> RegisterDouble:
    """Identity's tests ask a stand-in for the registers (the real plugin is tested in the registers app)."""
    settings.IDENTITY_REGISTER_CHECKS = "test-double"
    DOUBLE.people.clear()
    DOUBLE.companies.clear()
    DOUBLE.reads.clear()
    return DOUBLE


@pytest.fixture
def sms_outbox(settings):
    settings.NOTIFICATIONS_SMS_BACKEND = "console"
    outbox.clear()
    return outbox


def last_code(box) -> str:
    """The six-digit code in the newest message."""
    return re.search(r"(\d{6})", box[-1]["message"]).group(1)
