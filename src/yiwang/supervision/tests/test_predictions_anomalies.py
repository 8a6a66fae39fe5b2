"""Predicted overdue from stage history and queues; anomalies found once and reviewed by supervisors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.applications.constants import CASE_ACCEPTED, CASE_NOT_ACCEPTED, CaseStatus, TaskState
from yiwang.applications.models import CaseTask
from yiwang.applications.tests.factories import CaseFactory
from yiwang.core.errors import Conflict
from yiwang.supervision.constants import AnomalyKind
from yiwang.supervision.models import Anomaly, OverduePrediction, StageDuration
from yiwang.supervision.selectors import cards as selectors
from yiwang.supervision.services import anomalies, predictions
from yiwang.supervision.services.subscriptions import on_case_changed

from .cards_world import make_cards_world, noon, open_case

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 2)  # a Monday


def _history(world, count: int, days: int) -> None:
    """``count`` completed review stages of the department, each taking ``days`` calendar days."""
    for n in range(count):
        _case, task = open_case(world.department, status=CaseStatus.APPROVED)
        done = noon(TODAY - dt.timedelta(days=7 + n % 20))
        CaseTask.objects.filter(pk=task.pk).update(
            state=TaskState.COMPLETED, created_at=done - dt.timedelta(days=days), completed_at=done
        )


def test_a_long_queue_predicts_overdue_with_the_stage_and_queue_named():
    world = make_cards_world()
    _history(world, 10, days=1)  # one working day a review, 10 in ~120 working days
    assert predictions.refresh_stage_durations(today=TODAY) == 1
    stage = StageDuration.objects.get(department=world.department, bpmn_id="review")
    assert stage.samples == 10 and stage.daily_throughput < 1
    # twelve cases wait in the review queue, the last promised in 8 working days
    queue = [
        open_case(world.department, promised_due=dt.date(2026, 11, 12), stage_due=dt.date(2026, 11, 10))[0]
        for _ in range(12)
    ]
    world.case.status = CaseStatus.APPROVED  # the world's own case is closed
    world.case.save()
    assert predictions.predict(today=TODAY) >= 1
    last = OverduePrediction.objects.get(case=queue[-1])
    assert last.queue_length == 11 and last.stage == "审查"
    assert "审查环节排队 11 件" in last.reason and "晚于承诺日期 2026-11-12" in last.reason
    assert not OverduePrediction.objects.filter(case=queue[0]).exists()  # first in the queue: on time
    # when the queue is gone the prediction no longer holds and is removed
    CaseTask.objects.filter(case__in=queue[:-1]).update(
        state=TaskState.COMPLETED, completed_at=timezone.now()
    )
    predictions.predict(today=TODAY)
    assert not OverduePrediction.objects.filter(case=queue[-1]).exists()


def test_late_acceptance_is_found_once_on_the_case_accepted_event():
    case = CaseFactory(
        status=CaseStatus.ACCEPTED,
        submitted_at=noon(dt.date(2026, 9, 28)),
        accepted_at=noon(dt.date(2026, 10, 9)),  # 29, 30 Sep, 8, 9 Oct: 4 working days later
    )
    for _ in range(2):
        on_case_changed(case_id=case.pk, event=CASE_ACCEPTED, actor_id=None, occurred_at=timezone.now())
    anomaly = Anomaly.objects.get(kind=AnomalyKind.LATE_ACCEPTANCE)
    assert anomaly.case_id == case.pk and "4 个工作日" in anomaly.description


def test_an_acceptance_within_three_working_days_is_fine():
    case = CaseFactory(
        status=CaseStatus.ACCEPTED,
        submitted_at=noon(dt.date(2026, 9, 29)),
        accepted_at=noon(dt.date(2026, 10, 8)),  # 30 Sep, 8 Oct: 2 working days over the holiday
    )
    assert anomalies.check_late_acceptance(case_id=case.pk) is None


def test_three_refusals_of_the_same_applicant_for_the_same_item_are_an_anomaly():
    first = CaseFactory(status=CaseStatus.NOT_ACCEPTED)
    for _ in range(2):
        on_case_changed(case_id=first.pk, event=CASE_NOT_ACCEPTED, actor_id=None, occurred_at=timezone.now())
        assert not Anomaly.objects.exists()
        CaseFactory(status=CaseStatus.REFUSED, implementation=first.implementation, applicant=first.applicant)
    on_case_changed(case_id=first.pk, event=CASE_NOT_ACCEPTED, actor_id=None, occurred_at=timezone.now())
    anomaly = Anomaly.objects.get(kind=AnomalyKind.REPEATED_REFUSAL)
    assert first.holder_code not in anomaly.key and first.holder_code not in anomaly.description


def test_only_a_supervisor_of_the_region_reviews_an_anomaly():
    world = make_cards_world()
    anomaly = Anomaly.objects.create(
        kind=AnomalyKind.LATE_ACCEPTANCE,
        key="case:x",
        description="测试",
        department=world.department,
        region=world.department.region,
    )
    for who in ("head", "supervisor_other_region", "handler"):
        with pytest.raises(Exception, match="未找到该异常"):
            selectors.access_anomaly_for_review(actor=world.people[who], anomaly_id=anomaly.pk)
    supervisor = world.people["supervisor"]
    found = selectors.access_anomaly_for_review(actor=supervisor, anomaly_id=anomaly.pk)
    anomalies.review(actor=supervisor, anomaly=found, note="已约谈窗口负责人")
    with pytest.raises(Conflict):
        anomalies.review(actor=supervisor, anomaly=found, note="again")
    client = world.client("supervisor")
    assert "已约谈窗口负责人" in client.get("/supervision/anomalies/").content.decode()
