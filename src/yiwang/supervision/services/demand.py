"""Regional demand: time-decayed views and applications of each item, one upsert per event.

A region's score for an item is Σ wᵢ·e^(−λ(t − tᵢ)) with λ = ln 2 / half-life. Stored as
``log_score`` = ln(Σ wᵢ·e^(λ·tᵢ)) (t in days since ``EPOCH``), ordering by it is ordering by the decayed
score at any moment, and adding an event of weight w at time t is
``log_score ← logaddexp(log_score, ln w + λ·t)`` — one INSERT … ON CONFLICT DO UPDATE, no read.

Weights: a guide view 1, a submitted case 5 (``SUPERVISION_DEMAND_WEIGHTS``); half-life 7 days
(``SUPERVISION_DEMAND_HALF_LIFE_DAYS``).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from yiwang.applications.constants import CASE_SUBMITTED
from yiwang.applications.models import Case

from ..models import DemandScore
from .subscriptions import react

EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
DEFAULT_HALF_LIFE_DAYS = 7.0
DEFAULT_WEIGHTS = {"view": 1.0, "application": 5.0}


def half_life_days() -> float:
    return float(getattr(settings, "SUPERVISION_DEMAND_HALF_LIFE_DAYS", DEFAULT_HALF_LIFE_DAYS))


def weight(kind: str) -> float:
    return float(getattr(settings, "SUPERVISION_DEMAND_WEIGHTS", {}).get(kind, DEFAULT_WEIGHTS[kind]))


def decay_rate() -> float:
    """λ per day."""
    return math.log(2) / half_life_days()


def log_weight(*, weight: float, at: dt.datetime) -> float:
    """ln w + λ·t for an event of weight ``weight`` at ``at``."""
    days = (at - EPOCH).total_seconds() / 86400
    return math.log(weight) + decay_rate() * days


def decayed_score(*, log_score: float, at: dt.datetime | None = None) -> float:
    """The score at ``at`` (now): e^(log_score − λ·t)."""
    at = at or timezone.now()
    return math.exp(log_score - decay_rate() * (at - EPOCH).total_seconds() / 86400)


def _upsert_sql() -> str:
    table = DemandScore._meta.db_table
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    old, new = f"{table}.log_score", "excluded.log_score"
    # Only the model's table name and a function name are formatted in; the values are parameters.
    return (
        f"INSERT INTO {table} (region_id, item_id, log_score, views, applications, updated_at) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (region_id, item_id) DO UPDATE SET "
        f"log_score = {greatest}({old}, {new}) + LN(1 + EXP(-ABS({old} - {new}))), "
        f"views = {table}.views + excluded.views, "
        f"applications = {table}.applications + excluded.applications, "
        "updated_at = excluded.updated_at"
    )


def add_demand(
    *, item_id: int, region_code: str, weight: float, at: dt.datetime | None = None, application: bool = False
) -> None:
    """Add one event of ``weight`` for the item in the region (one statement)."""
    at = at or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _upsert_sql(),
            [
                region_code,
                item_id,
                log_weight(weight=weight, at=at),
                0 if application else 1,
                1 if application else 0,
                at,
            ],
        )


def record_view(*, item_id: int, region_code: str, at: dt.datetime | None = None) -> None:
    """A guide page was viewed by a visitor of the region (weight 1)."""
    add_demand(item_id=item_id, region_code=region_code, weight=weight("view"), at=at)


@react
def count_submission(
    *,
    case_id: int,
    event: str,
    occurred_at: Any = None,
    region_code: str | None = None,
    item_id: int | None = None,
    **_: Any,
) -> None:
    """A submitted case is demand for its item in the case's region (weight 5), in the case's transaction."""
    if event != CASE_SUBMITTED:
        return
    at = dt.datetime.fromisoformat(occurred_at) if isinstance(occurred_at, str) else occurred_at
    if region_code is None or item_id is None:  # an announcement without them: read the case
        row = Case.objects.filter(pk=case_id).values("region_id", "implementation__item_id").first()
        if row is None:
            return
        region_code, item_id = row["region_id"], row["implementation__item_id"]
    if item_id is None:
        return
    add_demand(
        item_id=item_id,
        region_code=region_code,
        weight=weight("application"),
        at=at,
        application=True,
    )
