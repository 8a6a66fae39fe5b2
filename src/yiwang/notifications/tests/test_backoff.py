"""The retry schedule: doubling, bounded by the cap, jitter within [half, full] of the nominal delay."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from yiwang.notifications import backoff

bases = st.floats(min_value=0.001, max_value=3600, allow_nan=False)
caps = st.floats(min_value=0.001, max_value=7 * 86400, allow_nan=False)
attempts = st.integers(min_value=1, max_value=10_000)


@given(base=bases, cap=caps, attempt=attempts)
def test_nominal_schedule_is_monotone_and_bounded(base, cap, attempt):
    # the next delay is never shorter than this one, and none exceeds the cap
    current = backoff.nominal_delay(attempt, base=base, cap=cap)
    following = backoff.nominal_delay(attempt + 1, base=base, cap=cap)
    assert current <= following <= cap
    assert current >= min(base, cap)


@given(base=bases, cap=caps, attempt=attempts, seed=st.integers())
def test_jittered_delay_stays_between_half_and_full_nominal(base, cap, attempt, seed):
    nominal = backoff.nominal_delay(attempt, base=base, cap=cap)
    delay = backoff.delay(attempt, base=base, cap=cap, rng=random.Random(seed))
    assert nominal / 2 <= delay <= nominal <= cap


def test_default_schedule_doubles_from_thirty_seconds_to_the_hour_cap(settings):
    # the documented schedule (docs/notifications.md)
    delays = backoff.schedule(
        base=settings.NOTIFICATIONS_WEBHOOK_BACKOFF_BASE,
        cap=settings.NOTIFICATIONS_WEBHOOK_BACKOFF_CAP,
        attempts=settings.NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS,
    )
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert sum(delays) == 11010  # about three hours from the first try to the dead letter
