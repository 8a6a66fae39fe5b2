"""Latency on the monitoring page: the median and mean of the calls' recorded processing time (details.ms),
per day and per operation, grouped in the database; the page and the export show them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from yiwang.audit.constants import GroundKind, Outcome
from yiwang.audit.models import AuditEntry
from yiwang.audit.services import record_reads
from yiwang.conftest import login_with_second_factor
from yiwang.exchange.selectors.monitoring import export_figures, get_figures, monitoring_scope_for

from .factories import make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def _calls(world, action: str, times: list[float], *, outcome=Outcome.ALLOWED, days_ago: int = 0) -> None:
    reads = [
        {
            "action": action,
            "subject": "",
            "fields": ["name"],
            "purpose": "511602-000-00-001",
            "outcome": outcome,
            "system": "civil-system",
            "actor_department": world.civil,
            "department": world.police,
            "ground_kind": GroundKind.CASE,
            "ground_ref": "C-1",
            "details": {"resource": world.population.code, "ms": ms},
        }
        for ms in times
    ]
    if not days_ago:
        record_reads(reads)
        return
    # the log is append-only (PostgreSQL refuses UPDATE): an earlier day's entries are written as of then
    moment = timezone.now() - dt.timedelta(days=days_ago)
    AuditEntry.objects.bulk_create(
        AuditEntry(kind="read", occurred_at=moment, **{k: v for k, v in read.items() if k != "subject"})
        for read in reads
    )


def test_median_and_mean_per_day_and_operation_of_the_allowed_calls(world):
    _calls(world, "exchange.verify", [2.0, 3.0, 4.0, 50.0], days_ago=1)
    _calls(world, "exchange.verify", [1.5, 2.5, 9.0])
    _calls(world, "exchange.verify_batch", [20.0, 30.0])
    _calls(world, "exchange.verify", [500.0], outcome=Outcome.REFUSED)  # refusals are not in the figure
    figures = get_figures(scope=monitoring_scope_for(actor=world.police_admin), period=7)
    assert figures.latency["p50"][-2:] == [3.0, 9.0]  # yesterday 2, 3, 4, 50; today 1.5, 2.5, 9, 20, 30
    assert figures.latency["avg"][-2:] == [14.8, 12.6]
    assert figures.latency["p50"][:-2] == [None] * 5  # days without a call
    by_operation = {row["action"]: row for row in figures.latency_by_operation}
    assert (by_operation["exchange.verify"]["p50"], by_operation["exchange.verify"]["calls"]) == (3.0, 7)
    assert (by_operation["exchange.verify_batch"]["p50"], by_operation["exchange.verify_batch"]["avg"]) == (
        20.0,
        25.0,
    )
    assert figures.latency_totals == {"p50": 4.0, "avg": 13.6, "calls": 9}


def test_entries_from_before_the_time_was_recorded_are_left_out(world):
    AuditEntry.objects.create(
        kind="read", action="exchange.query", outcome=Outcome.ALLOWED, details={"resource": "RK"}
    )
    figures = get_figures(scope=monitoring_scope_for(actor=world.police_admin), period=7)
    assert figures.latency_totals == {"p50": None, "avg": None, "calls": 0}


def test_a_department_sees_only_its_own_side(world):
    _calls(world, "exchange.query", [5.0])
    outsider = get_figures(scope=monitoring_scope_for(actor=world.market_admin), period=7)
    assert outsider.latency_totals["calls"] == 0
    provider = get_figures(scope=monitoring_scope_for(actor=world.police_admin), period=7)
    assert provider.latency_totals["calls"] == 1


def test_latency_costs_one_query_however_many_calls(world):
    scope = monitoring_scope_for(actor=world.police_admin)
    _calls(world, "exchange.query", [5.0])
    with CaptureQueriesContext(connection) as before:
        get_figures(scope=scope)
    _calls(world, "exchange.query", [float(n) for n in range(1, 200)])
    with CaptureQueriesContext(connection) as after:
        get_figures(scope=scope)
    assert len(after.captured_queries) == len(before.captured_queries)


def test_the_page_and_the_export_show_the_latency(client, world):
    _calls(world, "exchange.verify", [2.0, 4.0, 6.0])
    login_with_second_factor(client, world.police_admin)
    page = client.get("/exchange/monitoring/").content.decode()
    assert "4.0 毫秒（平均 4.0）" in page and "未记录" not in page
    assert 'id="chart-latency"' in page
    figures = get_figures(scope=monitoring_scope_for(actor=world.police_admin), period=7)
    workbook = load_workbook(io.BytesIO(export_figures(figures=figures)))
    rows = list(workbook["响应时间"].iter_rows(min_row=2, values_only=True))
    assert rows[6] == (timezone.localdate().isoformat(), 4.0, 4.0)
    assert ("全期", 4.0, 4.0) in rows and ("核验", 4.0, 4.0) in rows
