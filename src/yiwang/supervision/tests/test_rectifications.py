"""差评整改: due in 15 working days (across 国庆), measures by the head, 100% revisit, appeals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.applications.tests.cases_world import noon
from yiwang.audit.models import AuditEntry
from yiwang.core.errors import Conflict, InvalidInput, PermissionDenied
from yiwang.supervision.constants import AuditAction, RectificationStatus
from yiwang.supervision.models import Evaluation, Rectification, ReviewAppeal
from yiwang.supervision.selectors import evaluations as selectors
from yiwang.supervision.services import evaluations, rectifications

from .evaluations_world import make_eval_world

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 9, 21)  # 中秋 25 September, 国庆 1–7 October, Saturday 10 October worked


@pytest.fixture
def world():
    return make_eval_world()


@pytest.fixture
def on(monkeypatch):
    real_now = timezone.now
    moment: dict[str, dt.datetime] = {}
    monkeypatch.setattr(timezone, "now", lambda: moment.get("now") or real_now())

    def set_day(day: dt.date) -> None:
        moment["now"] = noon(day)

    return set_day


def bad_review(world, level=2, **extra) -> Rectification:
    evaluation, _created = evaluations.evaluate(
        actor=world.people["applicant"], case=world.case, level=level, comment="窗口态度差", **extra
    )
    return Rectification.objects.get(evaluation=evaluation)


@pytest.mark.parametrize("level", [1, 2])
def test_a_bad_review_opens_a_ticket_for_the_department_due_in_15_working_days_across_national_day(
    world, on, level
):
    on(MONDAY)
    ticket = bad_review(world, level=level)
    assert ticket.department == world.department and ticket.status == RectificationStatus.OPEN
    # 22–24 Sep (3), 25 中秋 off, 28–30 (6), 1–7 Oct off, 8–9 (8), Sat 10 worked (9), 12–16 (14), 19 (15).
    assert ticket.due_on == dt.date(2026, 10, 19)
    assert AuditEntry.objects.filter(
        action=AuditAction.RECTIFICATION_OPENED, object_id=str(ticket.pk)
    ).exists()


@pytest.mark.parametrize("level", [3, 4, 5])
def test_a_good_or_middling_review_opens_no_ticket(world, level):
    evaluations.evaluate(actor=world.people["applicant"], case=world.case, level=level)
    assert not Rectification.objects.exists()


@pytest.mark.parametrize("who", ["head_other_department", "supervisor", "clerk", "applicant"])
def test_only_the_departments_head_records_measures(world, who):
    ticket = bad_review(world)
    with pytest.raises(PermissionDenied):
        rectifications.record_measures(actor=world.people[who], rectification=ticket, measures="整改")


def test_a_real_name_ticket_cannot_close_without_its_revisit(world):
    ticket = bad_review(world)
    ticket = rectifications.record_measures(
        actor=world.people["head"], rectification=ticket, measures="约谈窗口人员"
    )
    assert ticket.status == RectificationStatus.RECTIFIED  # waiting for the revisit, not closed
    with pytest.raises(PermissionDenied):
        rectifications.record_revisit(
            actor=world.people["supervisor_other_region"], rectification=ticket, result="satisfied"
        )
    with pytest.raises(PermissionDenied):
        rectifications.record_revisit(actor=world.people["head"], rectification=ticket, result="satisfied")
    rectifications.record_revisit(
        actor=world.people["supervisor"], rectification=ticket, result="unreachable"
    )
    ticket.refresh_from_db()
    assert ticket.status == RectificationStatus.RECTIFIED
    rectifications.record_revisit(
        actor=world.people["supervisor"], rectification=ticket, result="satisfied", note="已电话回访"
    )
    ticket.refresh_from_db()
    assert ticket.status == RectificationStatus.CLOSED and ticket.revisits.count() == 2


def test_a_revisit_before_the_measures_is_refused(world):
    ticket = bad_review(world)
    with pytest.raises(Conflict):
        rectifications.record_revisit(
            actor=world.people["supervisor"], rectification=ticket, result="satisfied"
        )


def test_an_anonymous_review_closes_on_its_measures(world):
    ticket = bad_review(world)
    Evaluation.objects.filter(pk=ticket.evaluation_id).update(real_name=False)
    ticket = rectifications.record_measures(
        actor=world.people["head"], rectification=ticket, measures="优化流程"
    )
    assert ticket.status == RectificationStatus.CLOSED


def test_a_dissatisfied_revisit_sends_the_ticket_back_with_a_new_due_date(world, on):
    on(MONDAY)
    ticket = bad_review(world)
    rectifications.record_measures(actor=world.people["head"], rectification=ticket, measures="整改")
    on(dt.date(2026, 10, 12))
    rectifications.record_revisit(
        actor=world.people["supervisor"], rectification=ticket, result="dissatisfied"
    )
    ticket.refresh_from_db()
    assert ticket.status == RectificationStatus.OPEN
    assert ticket.due_on == dt.date(2026, 11, 2)  # 15 working days after Monday 12 October


def test_an_upheld_appeal_stops_the_review_counting_and_withdraws_the_ticket(world):
    ticket = bad_review(world)
    with pytest.raises(PermissionDenied):
        rectifications.appeal(
            actor=world.people["head_other_department"], rectification=ticket, reason="恶意差评"
        )
    rectifications.appeal(actor=world.people["head"], rectification=ticket, reason="申请人评价与办件无关")
    with pytest.raises(Conflict):
        rectifications.appeal(actor=world.people["head"], rectification=ticket, reason="再次申诉")
    with pytest.raises(PermissionDenied):
        rectifications.decide_appeal(
            actor=world.people["supervisor_other_region"],
            rectification=ticket,
            decision="upheld",
            reason="成立",
        )
    with pytest.raises(InvalidInput):
        rectifications.decide_appeal(
            actor=world.people["supervisor"], rectification=ticket, decision="x", reason=""
        )
    rectifications.decide_appeal(
        actor=world.people["supervisor"],
        rectification=ticket,
        decision="upheld",
        reason="评价内容与本办件无关",
    )
    ticket.refresh_from_db()
    assert ticket.status == RectificationStatus.WITHDRAWN
    assert not Evaluation.objects.get(pk=ticket.evaluation_id).counted
    assert selectors.rates(by="department") == []
    assert ReviewAppeal.objects.get().decided_by == world.people["supervisor"]


def test_a_rejected_appeal_returns_the_ticket_to_the_department(world):
    ticket = bad_review(world)
    rectifications.appeal(actor=world.people["head"], rectification=ticket, reason="不认可")
    rectifications.decide_appeal(
        actor=world.people["supervisor"], rectification=ticket, decision="rejected", reason="评价属实"
    )
    ticket.refresh_from_db()
    assert ticket.status == RectificationStatus.OPEN
    assert Evaluation.objects.get(pk=ticket.evaluation_id).counted


def test_the_ticket_list_is_scoped_to_the_head_and_the_regions_supervisor(world):
    ticket = bad_review(world)
    for who in ("head", "supervisor"):
        assert [row.pk for row in selectors.list_rectifications(actor=world.people[who]).items] == [ticket.pk]
    for who in ("head_other_department", "supervisor_other_region", "applicant", "citizen"):
        assert selectors.list_rectifications(actor=world.people[who]).items == []
    assert (
        selectors.rectification_for_rater(actor=world.people["applicant"], rectification_id=ticket.pk)
        == ticket
    )
