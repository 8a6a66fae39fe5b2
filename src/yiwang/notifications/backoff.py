"""When a failed delivery (webhook or message) is tried again: exponential backoff, capped, with jitter.

After failed attempt n (1-based) the nominal delay is ``min(cap, base · 2^(n-1))``; the actual delay is
drawn uniformly from ``[nominal / 2, nominal]`` ("equal jitter"), so receivers coming back after an outage
are not hit by every sender in the same second, and no retry comes sooner than half its nominal delay.
"""

from __future__ import annotations

import random

from django.conf import settings


def base_seconds() -> float:
    return float(getattr(settings, "NOTIFICATIONS_WEBHOOK_BACKOFF_BASE", 30))


def cap_seconds() -> float:
    return float(getattr(settings, "NOTIFICATIONS_WEBHOOK_BACKOFF_CAP", 3600))


def max_attempts() -> int:
    return int(getattr(settings, "NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS", 10))


def nominal_delay(attempt: int, *, base: float, cap: float) -> float:
    """The un-jittered delay after failed attempt ``attempt`` (1-based): base doubled, at most cap."""
    exponent = min(max(attempt, 1) - 1, 62)  # 2^62 · base is past any cap; bounds the float
    return min(cap, base * (2.0**exponent))


def delay(attempt: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """The jittered delay: uniform in [nominal / 2, nominal]."""
    nominal = nominal_delay(attempt, base=base, cap=cap)
    return (rng or random).uniform(nominal / 2, nominal)


def retry_delay(attempt: int) -> float:
    """The delay the configured schedule gives after failed attempt ``attempt``."""
    return delay(attempt, base=base_seconds(), cap=cap_seconds())


def schedule(*, base: float, cap: float, attempts: int) -> list[float]:
    """The nominal delays between ``attempts`` tries (attempts - 1 of them): what the docs tabulate."""
    return [nominal_delay(n, base=base, cap=cap) for n in range(1, attempts)]


# Messages to people (SMS, email, digests) back off on the same curve with settings of their own: fewer
# tries, a longer first wait (a provider that is down rarely comes back within seconds).


def message_max_attempts() -> int:
    return int(getattr(settings, "NOTIFICATIONS_MESSAGE_MAX_ATTEMPTS", 5))


def message_retry_delay(attempt: int) -> float:
    """The jittered delay after failed attempt ``attempt`` of a message's SMS or email copy."""
    return delay(
        attempt,
        base=float(getattr(settings, "NOTIFICATIONS_MESSAGE_BACKOFF_BASE", 60)),
        cap=float(getattr(settings, "NOTIFICATIONS_MESSAGE_BACKOFF_CAP", 3600)),
    )
