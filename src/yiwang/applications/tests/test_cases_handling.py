"""Acceptance, supplements, special procedures, extensions, tasks, decisions and withdrawal, through the
real workflow: each action checks who acts, moves the clock where it should, and writes its audit entry,
timeline row and outbox event in its own transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from yiwang.applications.constants import (
    CASE_ACCEPTED,
    CASE_CLOSED,
    CASE_DECIDED,
    CASE_FLAGGED,
    CASE_NOT_ACCEPTED,
    CASE_RESUBMITTED,
    CASE_SUPPLEMENT_REQUESTED,
    AuditAction,
    CaseStatus,
    ClockStopKind,
    Decision,
    MaterialSource,
    TaskState,
    TrustLevel,
)
from yiwang.applications.models import Case, CaseEvent, CaseMaterial, CaseTask, SupplementRequest
from yiwang.applications.services import cases
from yiwang.audit.models import AuditEntry
from yiwang.catalog.tests.factories import region_by_code
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory, UserFactory
from yiwang.notifications.models import OutboxEvent

from .cases_world import OTHER_COUNTY, make_world, noon, pdf_upload, submit

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 9, 21)  # 中秋 25–27 September, 国庆 1–7 October, Saturday 10 October worked


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def on(monkeypatch):
    """Set the day the next actions happen on (noon, Asia/Shanghai)."""
    real_now = timezone.now
    moment: dict[str, dt.datetime] = {}
    monkeypatch.setattr(timezone, "now", lambda: moment.get("now") or real_now())

    def set_day(day: dt.date) -> None:
        moment["now"] = noon(day)

    return set_day


@pytest.fixture
def world():
    world = make_world()
    world.implementation.statutory_limit_days, world.implementation.promised_limit_days = 20, 5
    world.implementation.save()
    return world


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def ready(case: Case, bpmn_id: str) -> CaseTask:
    return CaseTask.objects.get(case=case, bpmn_id=bpmn_id, state=TaskState.READY)


def accepted(world, on, day=MONDAY) -> Case:
    on(day)
    case, _created = submit(world)
    return cases.accept(actor=world.clerk, case=case)


def staff(world, role, **extra):
    return StaffAssignmentFactory(department=world.department, role=role, **extra).user


# --- acceptance ------------------------------------------------------------------------------------


def test_acceptance_starts_the_clock_with_the_limits_copied_then(world, on):
    case = accepted(world, on)
    assert case.status == CaseStatus.ACCEPTED
    assert (case.statutory_limit_days, case.promised_limit_days) == (20, 5)
    assert (case.promised_due, case.statutory_due) == (dt.date(2026, 9, 29), dt.date(2026, 10, 26))
    assert ready(case, "review").role == StaffRole.APPROVER
    # the limits are the case's now: a later change of the guide does not move them
    world.implementation.promised_limit_days = 1
    world.implementation.save()
    assert fresh(case).promised_limit_days == 5
    event = OutboxEvent.objects.get(topic=CASE_ACCEPTED)
    assert event.payload["promised_due"] == "2026-09-29"
    entry = AuditEntry.objects.get(action=AuditAction.CASE_ACCEPTED)
    assert (entry.actor, entry.actor_role) == (world.clerk, StaffRole.WINDOW_CLERK)
    assert (
        CaseEvent.objects.filter(case=case, kind=CASE_ACCEPTED).get().text
        == "已受理，承诺于 2026-09-29 前办结"
    )


@pytest.mark.parametrize("who", ["approver", "clerk_other_department", "clerk_other_region", "applicant"])
def test_only_a_window_clerk_of_the_cases_department_and_region_accepts(world, who):
    case, _created = submit(world)
    actor = {
        "approver": world.approver,
        "clerk_other_department": StaffAssignmentFactory(role=StaffRole.WINDOW_CLERK).user,
        "clerk_other_region": staff(world, StaffRole.WINDOW_CLERK, region=region_by_code(OTHER_COUNTY)),
        "applicant": world.applicant,
    }[who]
    with pytest.raises(PermissionDenied):
        cases.accept(actor=actor, case=case)
    assert fresh(case).status == CaseStatus.SUBMITTED and not OutboxEvent.objects.filter(topic=CASE_ACCEPTED)


def test_refusal_to_accept_states_reason_and_basis_and_closes_the_case(world):
    case, _created = submit(world)
    with pytest.raises(InvalidInput):
        cases.refuse_to_accept(actor=world.clerk, case=case, reason="不属于本部门职权范围", legal_basis="")
    case = cases.refuse_to_accept(
        actor=world.clerk,
        case=case,
        reason="申请事项不属于本行政机关职权范围",
        legal_basis="《中华人民共和国行政许可法》第三十二条第一款第二项",
    )
    case = fresh(case)
    assert case.status == CaseStatus.NOT_ACCEPTED and case.closed_at is not None
    assert case.decision_basis.startswith("《中华人民共和国行政许可法》")
    assert not CaseTask.objects.filter(case=case, state=TaskState.READY).exists()
    assert case.next_timer_at is None
    assert OutboxEvent.objects.filter(topic=CASE_NOT_ACCEPTED).count() == 1
    timeline = CaseEvent.objects.get(case=case, kind=CASE_NOT_ACCEPTED)
    assert "职权范围" in timeline.text and timeline.is_public
    with pytest.raises(Conflict):
        cases.accept(actor=world.clerk, case=case)


# --- supplements (一次性告知) and the clock -----------------------------------------------------------

ITEMS = [
    {"kind": "field", "key": "phone", "problem": "联系电话无法接通，请更正"},
    {"kind": "material", "key": "application_form", "problem": "申请表未签字"},
]


def test_a_supplement_pause_moves_the_planned_end_date_across_national_day(world, on):
    # given a case accepted on Monday 21 September: promised by Tuesday 29 September
    case = accepted(world, on)
    old_form = CaseMaterial.objects.get(case=case, key="application_form")
    # when every problem is notified at once on Tuesday 22 and answered on Thursday 24 September
    on(dt.date(2026, 9, 22))
    request = cases.request_supplement(actor=world.clerk, case=case, items=ITEMS)
    case = fresh(case)
    assert case.status == CaseStatus.SUPPLEMENT and case.next_timer_at is None  # timers wait
    assert request.items == ITEMS
    on(dt.date(2026, 9, 24))
    new_form = pdf_upload("signed.pdf")
    cases.resubmit(
        actor=world.applicant,
        case=case,
        data={"phone": "13900000000"},
        uploads={"application_form": new_form},
    )
    # then the clock restarts and the two stopped working days push the date over the National Day week
    case = fresh(case)
    assert case.status == CaseStatus.ACCEPTED
    assert case.promised_due == dt.date(2026, 10, 8)
    assert case.statutory_due == dt.date(2026, 10, 28)
    assert case.data["phone"] == "13900000000"
    assert SupplementRequest.objects.get().answered_at is not None
    stop = case.clock_stops.get()
    assert (stop.kind, stop.started_on, stop.ended_on) == (
        ClockStopKind.SUPPLEMENT,
        dt.date(2026, 9, 22),
        dt.date(2026, 9, 24),
    )
    old_form.refresh_from_db()
    assert old_form.superseded
    replacement = CaseMaterial.objects.get(case=case, key="application_form", superseded=False)
    assert replacement.sha256 == new_form.sha256 and replacement.source == MaterialSource.UPLOAD
    assert OutboxEvent.objects.filter(topic__in=[CASE_SUPPLEMENT_REQUESTED, CASE_RESUBMITTED]).count() == 2


def test_a_supplement_must_list_every_item_and_the_answer_must_answer_each(world, on):
    case = accepted(world, on)
    with pytest.raises(InvalidInput):
        cases.request_supplement(actor=world.clerk, case=case, items=[])
    with pytest.raises(InvalidInput):
        cases.request_supplement(actor=world.clerk, case=case, items=[{"kind": "field", "key": "phone"}])
    cases.request_supplement(actor=world.clerk, case=case, items=ITEMS)
    with pytest.raises(InvalidInput) as caught:
        cases.resubmit(actor=world.applicant, case=case, data={"phone": "13900000000"}, uploads={})
    assert caught.value.code == "supplement_incomplete"
    with pytest.raises(InvalidInput) as caught:
        cases.resubmit(
            actor=world.applicant,
            case=case,
            data={"phone": "13900000000", "kind": "b"},
            uploads={"application_form": pdf_upload()},
        )
    assert caught.value.code == "unexpected_supplement"
    # while it waits for the applicant, staff cannot go on
    with pytest.raises(Conflict):
        cases.decide(
            actor=world.approver, case=case, decision=Decision.APPROVE, reason="符合条件", legal_basis="x"
        )


def test_only_the_applicant_side_answers_a_supplement(world, on):
    case = accepted(world, on)
    cases.request_supplement(actor=world.clerk, case=case, items=ITEMS[:1])
    with pytest.raises(NotFound):
        cases.resubmit(actor=UserFactory(level3=True), case=case, data={"phone": "13900000000"}, uploads={})
    with pytest.raises(NotFound):
        cases.resubmit(actor=world.clerk, case=case, data={"phone": "13900000000"}, uploads={})


def test_a_supplement_before_acceptance_returns_the_case_to_the_window(world, on):
    on(MONDAY)
    case, _created = submit(world)
    cases.request_supplement(actor=world.clerk, case=case, items=ITEMS[:1])
    on(dt.date(2026, 9, 23))
    cases.resubmit(actor=world.applicant, case=case, data={"phone": "13900000000"}, uploads={})
    case = fresh(case)
    assert case.status == CaseStatus.SUBMITTED and case.promised_due is None
    on(dt.date(2026, 9, 24))
    case = cases.accept(actor=world.clerk, case=case)
    assert case.promised_due == dt.date(
        2026, 10, 9
    )  # 5 working days from the acceptance; the stop before not


def test_an_unanswered_supplement_can_end_in_refusal_to_accept(world):
    case, _created = submit(world)
    cases.request_supplement(actor=world.clerk, case=case, items=ITEMS[:1])
    cases.refuse_to_accept(
        actor=world.clerk, case=case, reason="逾期未补正", legal_basis="《行政许可法》第三十二条"
    )
    case = fresh(case)
    assert case.status == CaseStatus.NOT_ACCEPTED
    assert case.clock_stops.get().ended_on is not None


# --- special procedures and extensions ----------------------------------------------------------------


def test_a_suspension_moves_both_planned_dates_and_an_extension_adds_to_them(world, on):
    case = accepted(world, on)
    cases.complete_task(actor=world.approver, case=case, task=ready(case, "review"), data={})
    assert fresh(case).next_timer_at is not None  # the decision's escalation timer runs
    on(dt.date(2026, 9, 22))
    with pytest.raises(PermissionDenied):  # the window clerk does not start expert reviews
        cases.suspend(actor=world.clerk, case=case, kind=ClockStopKind.EXPERT_REVIEW, reason="专家评审")
    cases.suspend(
        actor=world.approver,
        case=case,
        kind=ClockStopKind.EXPERT_REVIEW,
        reason="技术方案需专家评审",
        legal_basis="《行政许可法》第四十五条",
    )
    assert fresh(case).status == CaseStatus.SUSPENDED
    assert fresh(case).next_timer_at is None  # no escalation while the clock stands still
    with pytest.raises(Conflict):
        cases.suspend(actor=world.approver, case=case, kind=ClockStopKind.HEARING, reason="听证")
    on(dt.date(2026, 9, 24))
    cases.resume(actor=world.approver, case=case)
    case = fresh(case)
    assert (case.status, case.promised_due, case.statutory_due) == (
        CaseStatus.ACCEPTED,
        dt.date(2026, 10, 8),
        dt.date(2026, 10, 28),
    )
    assert case.next_timer_at is not None  # the timers run again
    cases.extend(
        actor=world.approver,
        case=case,
        days=10,
        reason="情况复杂，经本机关负责人批准延长",
        legal_basis="《行政许可法》第四十二条第一款",
    )
    case = fresh(case)
    assert case.promised_due == dt.date(2026, 10, 21)  # 8 October + 10 working days (10 October worked)
    assert case.statutory_due == dt.date(2026, 11, 11)
    texts = list(CaseEvent.objects.filter(case=case).values_list("text", flat=True))
    assert any("专家评审" in text and "暂停计时" in text for text in texts)
    assert any(text.startswith("经批准延长办理时限 10 个工作日") for text in texts)


def test_a_suspension_in_calendar_days_counts_every_day(world, on):
    case = accepted(world, on)
    on(dt.date(2026, 9, 22))
    cases.suspend(
        actor=world.approver, case=case, kind=ClockStopKind.PUBLIC_NOTICE, reason="公示七日", unit="calendar"
    )
    on(dt.date(2026, 9, 29))
    cases.resume(actor=world.approver, case=case)
    assert fresh(case).promised_due == dt.date(2026, 10, 8)  # 29 September + 7 days is a holiday


def test_an_extension_needs_its_reason_basis_and_sensible_days(world, on):
    case = accepted(world, on)
    for days, reason, basis in ((0, "r", "b"), (10, "", "b"), (10, "r", "")):
        with pytest.raises(InvalidInput):
            cases.extend(actor=world.approver, case=case, days=days, reason=reason, legal_basis=basis)


# --- tasks and decisions -----------------------------------------------------------------------------


def test_claim_hand_over_and_complete_a_task(world, on):
    case = accepted(world, on)
    review = ready(case, "review")
    other_approver = staff(world, StaffRole.APPROVER)
    cases.claim_task(actor=world.approver, case=case, task=review)
    with pytest.raises(Conflict):
        cases.claim_task(actor=other_approver, case=case, task=review)
    with pytest.raises(PermissionDenied):  # the recipient must hold the task's role in scope
        cases.hand_over_task(actor=world.approver, case=case, task=review, to_user=world.clerk, reason="休假")
    with pytest.raises(PermissionDenied):
        outsider = StaffAssignmentFactory(role=StaffRole.APPROVER).user
        cases.hand_over_task(actor=world.approver, case=case, task=review, to_user=outsider, reason="休假")
    with pytest.raises(InvalidInput):
        cases.hand_over_task(actor=world.approver, case=case, task=review, to_user=other_approver, reason="")
    cases.hand_over_task(actor=world.approver, case=case, task=review, to_user=other_approver, reason="休假")
    assert CaseTask.objects.get(pk=review.pk).claimed_by == other_approver
    with pytest.raises(Conflict):
        cases.complete_task(actor=world.approver, case=case, task=review, data={})
    cases.complete_task(actor=other_approver, case=case, task=review, data={"opinion": "材料齐全"})
    assert CaseTask.objects.get(pk=review.pk).state == TaskState.COMPLETED
    assert ready(case, "decide").role == StaffRole.APPROVER
    internal = CaseEvent.objects.filter(case=case, is_public=False).values_list("text", flat=True)
    assert {"审查环节已签收", "审查环节已转交。原因：休假"} <= set(internal)


def test_accept_and_decide_are_not_completed_as_plain_tasks(world):
    case, _created = submit(world)
    with pytest.raises(InvalidInput):
        cases.complete_task(actor=world.clerk, case=case, task=ready(case, "accept"), data={})


def _to_decision(world, on) -> Case:
    case = accepted(world, on)
    cases.complete_task(actor=world.approver, case=case, task=ready(case, "review"), data={})
    return fresh(case)


def test_an_approval_runs_the_workflow_to_its_end_and_closes_the_case(world, on):
    case = _to_decision(world, on)
    with pytest.raises(PermissionDenied):
        cases.decide(
            actor=world.clerk, case=case, decision=Decision.APPROVE, reason="符合条件", legal_basis="x"
        )
    case = cases.decide(
        actor=world.approver,
        case=case,
        decision=Decision.APPROVE,
        reason="申请材料齐全，符合法定条件",
        legal_basis="《中华人民共和国行政许可法》第三十八条第一款",
    )
    case = fresh(case)
    assert (case.status, case.decision, case.decided_by) == (
        CaseStatus.APPROVED,
        Decision.APPROVE,
        world.approver,
    )
    assert case.closed_at is not None and case.next_timer_at is None
    assert not CaseTask.objects.filter(case=case, state=TaskState.READY).exists()
    topics = list(OutboxEvent.objects.filter(payload__number=case.number).values_list("topic", flat=True))
    assert topics.count(CASE_DECIDED) == 1 and topics.count(CASE_CLOSED) == 1
    assert CaseEvent.objects.filter(case=case, kind=CASE_CLOSED, text="已办结").exists()


def test_a_refusal_states_its_reason_and_basis_and_closes_the_case_refused(world, on):
    case = _to_decision(world, on)
    case = cases.decide(
        actor=world.approver,
        case=case,
        decision=Decision.REFUSE,
        reason="申请人不具备法定条件",
        legal_basis="《中华人民共和国行政许可法》第三十八条第二款",
    )
    case = fresh(case)
    assert case.status == CaseStatus.REFUSED and case.decision_reason == "申请人不具备法定条件"
    decided = CaseEvent.objects.get(case=case, kind=CASE_DECIDED)
    assert "不具备法定条件" in decided.text and "第三十八条第二款" in decided.text


@pytest.mark.parametrize(
    "surface",
    [
        ["unit_number"],
        {"unit_number": {"nested": "x"}},
        {"unit_number": ["a"]},
        {"unit_number": True},
        {"unit_number": None},
        {"Unit Number": "x"},
        {"unit_number": "x" * 2001},
        {f"field_{n}": "x" for n in range(51)},
    ],
)
def test_a_decisions_result_surface_must_be_a_flat_object_of_short_values(world, on, surface):
    case = _to_decision(world, on)
    with pytest.raises(InvalidInput) as raised:
        cases.decide(
            actor=world.approver,
            case=case,
            decision=Decision.APPROVE,
            reason="符合条件",
            legal_basis="《中华人民共和国行政许可法》第三十八条第一款",
            result_surface=surface,
        )
    assert raised.value.code == "invalid_result_surface"
    case = fresh(case)
    assert case.status == CaseStatus.ACCEPTED and case.decision == ""
    assert ready(case, "decide")


def test_a_decisions_result_surface_reaches_the_workflow_and_the_audit_names_its_fields(world, on):
    case = _to_decision(world, on)
    cases.decide(
        actor=world.approver,
        case=case,
        decision=Decision.APPROVE,
        reason="符合条件",
        legal_basis="《中华人民共和国行政许可法》第三十八条第一款",
        result_surface={"unit_number": " 511602001001GB00001F00010001 ", "amount": 20400.5},
    )
    task = CaseTask.objects.get(case=case, bpmn_id="decide")
    assert task.outcome["result_surface"] == {
        "unit_number": "511602001001GB00001F00010001",
        "amount": 20400.5,
    }
    entry = AuditEntry.objects.get(action=AuditAction.CASE_DECIDED, details__number=case.number)
    assert entry.details["result_surface"] == ["amount", "unit_number"]


def test_an_approver_of_another_region_cannot_decide(world, on):
    case = _to_decision(world, on)
    outsider = staff(world, StaffRole.APPROVER, region=region_by_code(OTHER_COUNTY))
    with pytest.raises(PermissionDenied):
        cases.decide(actor=outsider, case=case, decision=Decision.APPROVE, reason="r", legal_basis="b")
    with pytest.raises(PermissionDenied):
        cases.claim_task(actor=outsider, case=case, task=ready(case, "decide"))


# --- withdrawal, concurrency, transactions -------------------------------------------------------------


def test_the_applicant_withdraws_an_open_case(world, on):
    case = accepted(world, on)
    with pytest.raises(NotFound):
        cases.withdraw(actor=UserFactory(level3=True), case=case)
    cases.withdraw(actor=world.applicant, case=case, reason="不再需要")
    case = fresh(case)
    assert case.status == CaseStatus.WITHDRAWN and case.closed_at is not None and case.next_timer_at is None
    assert not CaseTask.objects.filter(case=case, state=TaskState.READY).exists()
    with pytest.raises(Conflict):
        cases.withdraw(actor=world.applicant, case=case)


def test_a_stale_revision_is_refused(world):
    case, _created = submit(world)
    with pytest.raises(Conflict) as caught:
        cases.accept(actor=world.clerk, case=case, expected_revision=case.revision - 1)
    assert caught.value.code == "stale_revision"
    cases.accept(actor=world.clerk, case=case, expected_revision=fresh(case).revision)


def test_an_action_rolled_back_leaves_no_trace(world):
    case, _created = submit(world)
    before = (CaseEvent.objects.count(), AuditEntry.objects.count(), fresh(case).revision)
    with pytest.raises(RuntimeError), transaction.atomic():
        cases.accept(actor=world.clerk, case=case)
        assert OutboxEvent.objects.filter(topic=CASE_ACCEPTED).exists()
        raise RuntimeError("the response failed")
    assert not OutboxEvent.objects.filter(topic=CASE_ACCEPTED).exists()
    assert (CaseEvent.objects.count(), AuditEntry.objects.count(), fresh(case).revision) == before
    assert fresh(case).status == CaseStatus.SUBMITTED and ready(case, "accept")


def test_every_action_bumps_the_revision_and_writes_its_three_records(world, on):
    case = accepted(world, on)
    revision = fresh(case).revision
    cases.claim_task(actor=world.approver, case=case, task=ready(case, "review"))
    assert fresh(case).revision > revision
    for action, topic in (
        (AuditAction.CASE_SUBMITTED, "case.submitted"),
        (AuditAction.CASE_ACCEPTED, CASE_ACCEPTED),
        (AuditAction.TASK_CLAIMED, "case.task_claimed"),
    ):
        assert AuditEntry.objects.filter(action=action, object_id=str(case.pk)).count() == 1
        assert CaseEvent.objects.filter(case=case, kind=topic).count() == 1
        assert OutboxEvent.objects.filter(topic=topic, payload__number=case.number).count() == 1


# --- a revoked license flags the open cases that used it --------------------------------------------


def test_a_revoked_license_flags_the_open_cases_that_used_it(world):
    from yiwang.licenses.constants import LicenseStatus
    from yiwang.licenses.services.status import change_license_status
    from yiwang.licenses.tests.factories import make_license

    license = make_license(holder=world.applicant)
    open_case, _created = submit(world)
    closed_case, _created = submit(world)
    for case in (open_case, closed_case):
        CaseMaterial.objects.create(
            case=case,
            key="id_card_license",
            name="居民身份证",
            source=MaterialSource.LICENSE,
            trust=TrustLevel.SIGNED,
            license=license,
        )
    cases.withdraw(actor=world.applicant, case=closed_case)
    with transaction.atomic():
        change_license_status(license=license, to_status=LicenseStatus.REVOKED, reason="证照被吊销")
    flagged = fresh(open_case)
    assert license.identifier in flagged.flagged_reason and "居民身份证" in flagged.flagged_reason
    assert fresh(closed_case).flagged_reason == ""
    assert CaseEvent.objects.get(case=open_case, kind=CASE_FLAGGED).is_public is False
    assert AuditEntry.objects.filter(action=AuditAction.CASE_FLAGGED, object_id=str(open_case.pk)).exists()
    assert OutboxEvent.objects.filter(topic=CASE_FLAGGED).count() == 1
