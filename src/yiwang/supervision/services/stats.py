"""The dashboards' daily figures (DailyCaseStat), recomputed for a day from the cases and their neighbours.

One refresh of a day runs a handful of GROUP BY queries (cases submitted, accepted and closed that day,
evaluations, cards, complaints, data-exchange calls), then replaces that day's rows in one transaction
(delete + insert), so the figures are never summed twice and the dashboards never read a case.

A case is *closed* (办结) when its ``closed_at`` falls on the day and it was not withdrawn. It is closed on
time when its promised date is that day or later (a case without a promised date is never late); fully
online when it came online and nobody went to a window (``visits == 0``); at most one visit when
``visits <= 1``. Its duration is the working days after its submission day up to its closing day
(``core.workdays``): the closed cases are grouped by their submission date in the database and each
group's count is multiplied by that date's working-day distance, so a day costs one calendar walk per
distinct submission date, not one per case.

A month that is over (its last day before today) is rolled up into MonthlyCaseStat, the sum of its days'
rows, in the same transaction whenever any of its days is refreshed: the periodic refresh of today and
yesterday rolls up the month that ended yesterday on the 1st, and ``refresh_since`` rolls up every
finished month it rebuilds. The long (yearly) views read those months plus the days at their edges.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from yiwang.applications.constants import CaseStatus, Channel
from yiwang.applications.models import Case
from yiwang.audit.constants import Outcome
from yiwang.audit.selectors import count_entries
from yiwang.catalog.models import Implementation
from yiwang.core.workdays import WorkdayCalendar, load_calendar
from yiwang.exchange.selectors.monitoring import CALL_ACTIONS
from yiwang.regions.models import Department

from ..constants import BAD_LEVELS, GOOD_LEVELS, CardColor, FeedbackKind
from ..models import FIGURE_FIELDS, Card, DailyCaseStat, Evaluation, Feedback, MonthlyCaseStat

FIELDS = FIGURE_FIELDS


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The local day's start and the next day's start (aware)."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))
    return start, end


class _Rows:
    """Figures by (day, department, implementation), with the region each row belongs to."""

    def __init__(self) -> None:
        self.figures: dict[tuple[dt.date, int, int | None], dict[str, float]] = {}
        self.regions: dict[tuple[dt.date, int, int | None], str] = {}

    def add(
        self,
        day: dt.date,
        row: Any,
        implementation_field: str | None = "implementation_id",
        **values: float,
    ) -> None:
        implementation_id = row.get(implementation_field) if implementation_field else None
        key = (day, row["department_id"], implementation_id)
        self.regions.setdefault(key, row["region_id"])
        figures = self.figures.setdefault(key, dict.fromkeys(FIELDS, 0))
        for name, value in values.items():
            figures[name] += value or 0


GROUP = ("department_id", "region_id", "implementation_id")


def _cases(rows: _Rows, start: dt.datetime, end: dt.datetime, calendar: WorkdayCalendar) -> None:
    submitted = (
        Case.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
        .order_by()
        .annotate(on=TruncDate("submitted_at"))
        .values("on", *GROUP)
        .annotate(n=Count("id"), online=Count("id", filter=Q(channel=Channel.ONLINE)))
    )
    for row in submitted:
        rows.add(row["on"], row, submitted=row["n"], submitted_online=row["online"])
    accepted = (
        Case.objects.filter(accepted_at__gte=start, accepted_at__lt=end)
        .order_by()
        .annotate(on=TruncDate("accepted_at"))
        .values("on", *GROUP)
        .annotate(n=Count("id"))
    )
    for row in accepted:
        rows.add(row["on"], row, accepted=row["n"])
    closed = (
        Case.objects.filter(closed_at__gte=start, closed_at__lt=end)
        .exclude(status=CaseStatus.WITHDRAWN)
        .order_by()
        .annotate(on=TruncDate("closed_at"), submitted_on=TruncDate("submitted_at"))
        .values("on", *GROUP, "submitted_on")
        .annotate(
            n=Count("id"),
            on_time=Count("id", filter=Q(promised_due__isnull=True) | Q(promised_due__gte=F("on"))),
            fully_online=Count("id", filter=Q(channel=Channel.ONLINE, visits=0)),
            one_visit=Count("id", filter=Q(visits__lte=1)),
        )
    )
    distances: dict[tuple[dt.date, dt.date], int] = {}
    for row in closed:
        pair = (row["submitted_on"], row["on"])
        if pair not in distances:
            distances[pair] = calendar.working_days_between(*pair)
        rows.add(
            row["on"],
            row,
            closed=row["n"],
            closed_on_time=row["on_time"],
            closed_fully_online=row["fully_online"],
            closed_at_most_one_visit=row["one_visit"],
            duration_days_sum=row["n"] * distances[pair],
        )


def _evaluations(rows: _Rows, start: dt.datetime, end: dt.datetime) -> None:
    evaluations = (
        Evaluation.objects.filter(created_at__gte=start, created_at__lt=end, counted=True)
        .order_by()
        .annotate(on=TruncDate("created_at"))
        .values("on", *GROUP)
        .annotate(
            n=Count("id"),
            good=Count("id", filter=Q(level__in=sorted(GOOD_LEVELS))),
            bad=Count("id", filter=Q(level__in=sorted(BAD_LEVELS))),
        )
    )
    for row in evaluations:
        rows.add(
            row["on"], row, evaluations=row["n"], evaluations_good=row["good"], evaluations_bad=row["bad"]
        )


def _cards(rows: _Rows, since: dt.date, until: dt.date) -> None:
    cards = (
        Card.objects.filter(raised_on__gte=since, raised_on__lte=until)
        .order_by()
        .values("raised_on", "department_id", "region_id", "case__implementation_id")
        .annotate(
            yellow=Count("id", filter=Q(color=CardColor.YELLOW)),
            red=Count("id", filter=Q(color=CardColor.RED)),
        )
    )
    for row in cards:
        rows.add(
            row["raised_on"], row, "case__implementation_id", yellow_cards=row["yellow"], red_cards=row["red"]
        )


def _complaints(rows: _Rows, start: dt.datetime, end: dt.datetime) -> None:
    complaints = (
        Feedback.objects.filter(kind=FeedbackKind.COMPLAINT, created_at__gte=start, created_at__lt=end)
        .order_by()
        .annotate(on=TruncDate("created_at"))
        .values("on", "department_id", "region_id")
        .annotate(n=Count("id"))
    )
    for row in complaints:
        rows.add(row["on"], row, None, complaints=row["n"])


def _exchange(rows: _Rows, start: dt.datetime, end: dt.datetime) -> None:
    """Allowed data-exchange calls, counted for the providing department (the audit log's entries)."""
    counts = count_entries(
        actions=CALL_ACTIONS, group_by=("day", "department"), since=start, until=end, outcome=Outcome.ALLOWED
    )
    departments = {row["department"] for row in counts if row["department"]}
    regions = dict(Department.objects.filter(pk__in=sorted(departments)).values_list("pk", "region_id"))
    for row in counts:
        department_id = row["department"]
        if department_id in regions:
            day = row["day"] if isinstance(row["day"], dt.date) else dt.date.fromisoformat(str(row["day"]))
            rows.add(
                day,
                {"department_id": department_id, "region_id": regions[department_id]},
                None,
                exchange_calls=row["count"],
            )


def compute_days(
    *, since: dt.date, until: dt.date, calendar: WorkdayCalendar | None = None
) -> list[DailyCaseStat]:
    """The rows of every day in [since, until] (not saved): each source grouped by day in one query."""
    calendar = calendar or load_calendar()
    start, end = day_bounds(since)[0], day_bounds(until)[1]
    rows = _Rows()
    _cases(rows, start, end, calendar)
    _evaluations(rows, start, end)
    _cards(rows, since, until)
    _complaints(rows, start, end)
    _exchange(rows, start, end)
    implementation_ids = {key[2] for key in rows.figures if key[2] is not None}
    item_codes = dict(
        Implementation.objects.filter(pk__in=sorted(implementation_ids)).values_list("pk", "item__code")
    )
    return [
        DailyCaseStat(
            day=day,
            department_id=department_id,
            region_id=rows.regions[(day, department_id, implementation_id)],
            implementation_id=implementation_id,
            item_code=item_codes.get(implementation_id, "") if implementation_id else "",
            **{name: figures[name] for name in FIELDS},
        )
        for (day, department_id, implementation_id), figures in sorted(
            rows.figures.items(), key=lambda pair: (pair[0][0], pair[0][1], pair[0][2] or 0)
        )
        if any(figures.values()) and since <= day <= until
    ]


def compute_day(*, day: dt.date, calendar: WorkdayCalendar | None = None) -> list[DailyCaseStat]:
    """The day's rows (not saved)."""
    return compute_days(since=day, until=day, calendar=calendar)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def finished_months(
    *, since: dt.date, until: dt.date, today: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """The months touched by [since, until] that are over (their last day before ``today``), as the
    half-open range [first month, after the last month); empty when first >= after."""
    today = today or timezone.localdate()
    first = month_start(since)
    after = min(next_month(month_start(until)), month_start(today))
    return first, after


def roll_up_months(*, first: dt.date, after: dt.date) -> int:
    """Replace the MonthlyCaseStat rows of the months in [first, after) by the sums of their days' rows
    (one GROUP BY; call inside the transaction that wrote the days); rows written."""
    if first >= after:
        return 0
    grouped: list[dict[str, Any]] = [
        dict(row)
        for row in DailyCaseStat.objects.filter(day__gte=first, day__lt=after)
        .order_by()
        .annotate(month=TruncMonth("day"))
        .values("month", "department_id", "region_id")
        .annotate(**{name: Sum(name) for name in FIELDS})
    ]
    months = [
        MonthlyCaseStat(
            month=row["month"]
            if isinstance(row["month"], dt.date)
            else dt.date.fromisoformat(str(row["month"])[:10]),
            department_id=row["department_id"],
            region_id=row["region_id"],
            **{name: row[name] or 0 for name in FIELDS},
        )
        for row in grouped
    ]
    MonthlyCaseStat.objects.filter(month__gte=first, month__lt=after).delete()
    MonthlyCaseStat.objects.bulk_create(months, batch_size=2000)
    return len(months)


def refresh_range(*, since: dt.date, until: dt.date, calendar: WorkdayCalendar | None = None) -> int:
    """Recompute every day in [since, until] and replace their rows, and roll up the finished months among
    them (one transaction); the daily rows written."""
    stats = compute_days(since=since, until=until, calendar=calendar)
    with transaction.atomic():
        DailyCaseStat.objects.filter(day__gte=since, day__lte=until).delete()
        DailyCaseStat.objects.bulk_create(stats, batch_size=2000)
        first, after = finished_months(since=since, until=until)
        roll_up_months(first=first, after=after)
    return len(stats)


def refresh_day(*, day: dt.date, calendar: WorkdayCalendar | None = None) -> int:
    """Recompute the day's figures and replace its rows (one transaction); the number of rows written."""
    return refresh_range(since=day, until=day, calendar=calendar)


def refresh_days(*, days: Iterable[dt.date]) -> int:
    """Refresh each of ``days`` (one calendar load for them all); the number of rows written."""
    days = sorted(set(days))
    if not days:
        return 0
    calendar = load_calendar()
    return sum(refresh_day(day=day, calendar=calendar) for day in days)


def refresh_since(*, since: dt.date, until: dt.date | None = None) -> int:
    """Refresh every day from ``since`` to ``until`` (default today), both included."""
    until = until or timezone.localdate()
    if until < since:
        return 0
    return refresh_range(since=since, until=until)


def refresh_recent() -> int:
    """Today and yesterday (what the periodic task keeps fresh)."""
    today = timezone.localdate()
    return refresh_range(since=today - dt.timedelta(days=1), until=today)


def export_figures(*, actor: Any, figures: Any) -> bytes:
    """The dashboard's figures as an Excel workbook (totals and rates, days, drill-down rows); audited."""
    from openpyxl import Workbook

    from yiwang.audit.services import record_event
    from yiwang.core.spreadsheets import workbook_bytes, write_sheet

    from ..constants import AuditAction

    workbook = Workbook()
    summary = workbook.active
    summary.title = "汇总"
    labels = {
        "online_handleable": "可网办率（%）",
        "fully_online": "全程网办率（%）",
        "at_most_one_visit": "最多跑一次率（%）",
        "on_time": "按时办结率（%）",
        "satisfaction": "满意率（%）",
        "online_submission": "网上申报率（%）",
    }
    where = (
        figures.department.name if figures.department else (figures.region.name if figures.region else "全部")
    )
    rows: list[list[Any]] = [["范围", where], ["起始日期", figures.since], ["截止日期", figures.until]]
    rows += [[labels[key], value] for key, value in figures.rates.items()]
    rows += [
        [str(getattr(DailyCaseStat._meta.get_field(name), "verbose_name", name)), figures.totals[name]]
        for name in FIELDS
    ]
    rows.append(["平均办理用时（工作日）", figures.average_days])
    write_sheet(summary, ["指标", "数值"], rows)
    daily = workbook.create_sheet("每日")
    write_sheet(
        daily,
        ["日期", "申报", "办结", "平均用时（工作日）"],
        zip(
            figures.daily["days"],
            figures.daily["submitted"],
            figures.daily["closed"],
            figures.daily["average_days"],
            strict=True,
        ),
    )
    headers = [
        "名称",
        "申报",
        "受理",
        "办结",
        "按时办结率（%）",
        "全程网办率（%）",
        "最多跑一次率（%）",
        "满意率（%）",
        "平均用时（工作日）",
        "黄牌",
        "红牌",
        "投诉",
    ]
    for title, detail in (("下级", figures.children), ("部门", figures.departments)):
        sheet = workbook.create_sheet(title)
        write_sheet(
            sheet,
            headers,
            (
                [
                    row["name"],
                    row["submitted"],
                    row["accepted"],
                    row["closed"],
                    row["on_time"],
                    row["fully_online"],
                    row["at_most_one_visit"],
                    row["satisfaction"],
                    row["average_days"],
                    row["yellow_cards"],
                    row["red_cards"],
                    row["complaints"],
                ]
                for row in detail
            ),
        )
    content = workbook_bytes(workbook)
    record_event(
        action=AuditAction.STATS_EXPORTED,
        actor=actor,
        department=figures.department,
        details={
            "since": figures.since.isoformat(),
            "until": figures.until.isoformat(),
            "region": figures.region.code if figures.region else "",
            "department": figures.department.pk if figures.department else None,
        },
    )
    return content
