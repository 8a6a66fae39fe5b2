"""A small known world for the dashboards' tests: two departments in two counties of one city, three
implementations, cases submitted, accepted and closed on known days by known channels and visits, and the
evaluations, cards and complaints of the day (DAY = Wednesday 2026-12-02; weekends only, no holiday)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from yiwang.applications.constants import CaseStatus, Channel
from yiwang.applications.models import Case
from yiwang.applications.tests.factories import CaseFactory
from yiwang.catalog.constants import OnlineDepth
from yiwang.catalog.models import Implementation
from yiwang.catalog.tests.factories import (
    DepartmentFactory,
    ImplementationFactory,
    ServiceItemFactory,
    TopicFactory,
    region_by_code,
)
from yiwang.regions.models import Department, Region

from ..constants import CardColor, CardKind, EvaluationChannel, EvaluationStage, FeedbackKind, FeedbackSubject
from ..models import Card, Evaluation, Feedback

DAY = dt.date(2026, 12, 2)
COUNTY = "511602000000"  # 广安区
OTHER_COUNTY = "511621000000"  # 岳池县
CITY = "511600000000"  # 广安市


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@dataclass
class DashboardWorld:
    department: Department
    other_department: Department
    county: Region
    other_county: Region
    online: Implementation
    window: Implementation
    other: Implementation
    cases: dict[str, Case] = field(default_factory=dict)


def _case(implementation: Implementation, **fields) -> Case:
    return CaseFactory(implementation=implementation, **fields)


def _evaluation(case: Case, level: int, *, counted: bool = True) -> Evaluation:
    evaluation = Evaluation.objects.create(
        case=case,
        stage=EvaluationStage.SERVICE,
        level=level,
        channel=EvaluationChannel.WEB,
        implementation=case.implementation,
        item_code=case.implementation.item.code,
        department=case.department,
        region=case.region,
        counted=counted,
        comment="办事很快",
    )
    Evaluation.objects.filter(pk=evaluation.pk).update(created_at=at(DAY, 16))
    return evaluation


def make_dashboard_world() -> DashboardWorld:
    county, other_county = region_by_code(COUNTY), region_by_code(OTHER_COUNTY)
    department = DepartmentFactory(region=county, name="广安区测试行政审批局")
    other_department = DepartmentFactory(region=other_county, name="岳池县测试行政审批局")
    topic = TopicFactory()
    online = ImplementationFactory(
        department=department,
        region=county,
        online_depth=OnlineDepth.FULLY_ONLINE,
        item=ServiceItemFactory(topics=[topic]),
    )
    window = ImplementationFactory(department=department, region=county, online_depth=OnlineDepth.INFORMATION)
    other = ImplementationFactory(
        department=other_department, region=other_county, online_depth=OnlineDepth.ONLINE_SUBMISSION
    )
    world = DashboardWorld(department, other_department, county, other_county, online, window, other)
    monday, last_wednesday = DAY - dt.timedelta(days=2), DAY - dt.timedelta(days=7)
    world.cases = {
        # closed on DAY: online, no visit, on time, 2 working days
        "fast": _case(
            online,
            channel=Channel.ONLINE,
            visits=0,
            status=CaseStatus.APPROVED,
            submitted_at=at(monday),
            accepted_at=at(monday, 11),
            closed_at=at(DAY, 15),
            promised_due=DAY,
        ),
        # closed on DAY: at the window, one visit, late, 5 working days
        "late": _case(
            online,
            channel=Channel.WINDOW,
            visits=1,
            status=CaseStatus.REFUSED,
            submitted_at=at(last_wednesday),
            accepted_at=at(last_wednesday, 11),
            closed_at=at(DAY, 9),
            promised_due=DAY - dt.timedelta(days=1),
        ),
        # submitted and accepted on DAY, still running: the open case of the drill-down
        "running": _case(
            window,
            channel=Channel.WINDOW,
            visits=2,
            status=CaseStatus.ACCEPTED,
            submitted_at=at(DAY, 9),
            accepted_at=at(DAY, 10),
            promised_due=DAY + dt.timedelta(days=5),
            holder_name="王小明",
        ),
        # withdrawn on DAY: not a closing
        "withdrawn": _case(
            online,
            channel=Channel.ONLINE,
            visits=0,
            status=CaseStatus.WITHDRAWN,
            submitted_at=at(DAY - dt.timedelta(days=1)),
            closed_at=at(DAY, 11),
        ),
        # the other county: submitted, accepted and closed on DAY, fully online, same day
        "other": _case(
            other,
            channel=Channel.ONLINE,
            visits=0,
            status=CaseStatus.APPROVED,
            submitted_at=at(DAY, 8),
            accepted_at=at(DAY, 9),
            closed_at=at(DAY, 17),
            promised_due=DAY + dt.timedelta(days=6),
        ),
    }
    _evaluation(world.cases["fast"], 5)
    _evaluation(world.cases["late"], 1)
    _evaluation(world.cases["other"], 4)
    for color, kind, case in (
        (CardColor.RED, CardKind.OVERDUE, world.cases["late"]),
        (CardColor.YELLOW, CardKind.NEARLY_DUE, world.cases["running"]),
    ):
        Card.objects.create(
            case=case,
            color=color,
            kind=kind,
            reason="测试",
            due_on=DAY,
            raised_on=DAY,
            days_left=0,
            department=case.department,
            region=case.region,
        )
    complaint = Feedback.objects.create(
        number=f"{COUNTY}20261202000001",
        kind=FeedbackKind.COMPLAINT,
        subject=FeedbackSubject.ITEM,
        item=online.item,
        department=department,
        region=county,
        title="办理太慢",
        body="等了很久",
        phone="13900000000",
        contact_name="李四",
        expected_on=DAY + dt.timedelta(days=7),
    )
    Feedback.objects.filter(pk=complaint.pk).update(created_at=at(DAY, 12))
    return world
