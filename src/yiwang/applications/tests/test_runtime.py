"""A case's workflow in the database: tasks projected, errors rolled back, timers fired on working days."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from yiwang.applications import workflow
from yiwang.applications.constants import AuditAction, TaskState
from yiwang.applications.models import CaseEvent, CaseTask
from yiwang.applications.services import processes, runtime
from yiwang.applications.tests.factories import CaseFactory
from yiwang.applications.tests.workflow_fixtures import recording_handlers
from yiwang.audit.models import AuditEntry
from yiwang.core.errors import Conflict
from yiwang.identity.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def handlers():
    with recording_handlers() as calls:
        processes.load_default_processes()
        yield calls


def ready_row(case, bpmn_id) -> CaseTask:
    return CaseTask.objects.get(case=case, bpmn_id=bpmn_id, state=TaskState.READY)


def do(case, bpmn_id, data=None, *, actor=None, now=None):
    case.refresh_from_db()
    return runtime.complete(case=case, task=ready_row(case, bpmn_id), actor=actor, data=data or {}, now=now)


def test_start_runs_the_default_process_and_projects_the_first_task(handlers):
    case = CaseFactory()
    snapshot = runtime.start(case=case)
    case.refresh_from_db()
    assert case.process_version.definition.key == "standard_approval"
    assert case.revision == 1 and case.serializer_version == "1.5"
    assert "spec" not in case.state_json and case.next_timer_at is None
    (task,) = CaseTask.objects.filter(case=case)
    assert (task.bpmn_id, task.name, task.role, task.state) == ("accept", "受理", "window_clerk", "ready")
    assert (task.department_id, task.region_id) == (case.department_id, case.region_id)
    assert task.task_id == snapshot.ready_tasks[0].task_id
    with pytest.raises(Conflict):
        runtime.start(case=case)


def test_a_process_bound_to_the_implementation_wins_over_the_default(handlers):
    case = CaseFactory()
    joint = processes.ProcessDefinition.objects.get(key="joint_review")
    processes.bind_process(actor=None, definition=joint, implementations=[case.implementation])
    runtime.start(case=case)
    assert case.process_version.definition == joint


def test_without_an_active_process_start_says_so():
    with pytest.raises(Conflict) as error:
        runtime.start(case=CaseFactory())
    assert error.value.code == "no_active_process"


def test_completing_moves_the_projection_on(handlers):
    case, clerk = CaseFactory(), UserFactory()
    runtime.start(case=case)
    accept = ready_row(case, "accept")
    do(case, "accept", {"acceptance": "accept"}, actor=clerk)
    accept.refresh_from_db()
    assert accept.state == TaskState.COMPLETED and accept.completed_by == clerk
    assert accept.outcome == {"acceptance": "accept"}
    assert ready_row(case, "review").role == "approver"
    case.refresh_from_db()
    assert case.revision == 2
    with pytest.raises(Conflict) as error:  # a completed task, or one of another case
        runtime.complete(case=case, task=accept, actor=clerk, data={})
    assert error.value.code == "task_not_ready"
    other = CaseFactory()
    with pytest.raises(Conflict):
        runtime.complete(case=other, task=ready_row(case, "review"), actor=clerk, data={})


def test_an_engine_error_rolls_everything_back(handlers):
    # given a case at `decide` whose result handler writes before delivery fails
    def issue(case, data):
        CaseEvent.objects.create(case=case, kind="result_issued", text="已制证")

    def deliver(case, data):
        raise Conflict("送达失败", code="delivery_failed")

    case = CaseFactory()
    with recording_handlers(issue_result=issue, deliver_result=deliver):
        runtime.start(case=case)
        do(case, "accept", {"acceptance": "accept"})
        do(case, "review")
        case.refresh_from_db()
        state, revision = case.state_json, case.revision
        # when the decision cannot be carried through (a handler fails; a value no branch accepts)
        with pytest.raises(Conflict) as error:
            do(case, "decide", {"decision": "approve"})
        assert error.value.code == "delivery_failed"
        with pytest.raises(workflow.WorkflowError) as no_path:
            do(case, "decide", {"decision": "maybe"})
        assert no_path.value.code == "workflow_no_path"
    # then nothing of the step remains: state, revision, the task and the handler's write
    case.refresh_from_db()
    assert (case.state_json, case.revision) == (state, revision)
    assert ready_row(case, "decide").completed_by is None
    assert not CaseEvent.objects.filter(case=case, kind="result_issued").exists()


def test_three_departments_decide_in_any_order(handlers):
    case = CaseFactory()
    joint = processes.ProcessDefinition.objects.get(key="joint_review")
    processes.bind_process(actor=None, definition=joint, implementations=[case.implementation])
    runtime.start(case=case)
    do(case, "accept", {"acceptance": "accept"})
    assert set(CaseTask.objects.filter(case=case, state="ready").values_list("bpmn_id", flat=True)) == {
        "review_housing",
        "review_tax",
        "review_land",
    }
    do(case, "review_tax", {"tax_decision": "approve"})
    do(case, "review_housing", {"housing_decision": "approve"})
    assert handlers.ids() == []
    snapshot = do(case, "review_land", {"land_decision": "approve"})
    assert snapshot.completed and handlers.ids() == ["issue_result", "deliver_result"]
    assert handlers[0][1] == case  # the handlers get the case
    assert not CaseTask.objects.filter(case=case, state="ready").exists()


def test_the_escalation_fires_on_the_right_working_day_across_national_day(handlers):
    # given a case reaching `decide` on Wednesday 30 September 2026 (P3D: three working days)
    case = CaseFactory()
    runtime.start(case=case, now=at(2026, 9, 28, 9, 0))
    do(case, "accept", {"acceptance": "accept"}, now=at(2026, 9, 29, 9, 0))
    do(case, "review", now=at(2026, 9, 30, 10, 0))
    case.refresh_from_db()
    # then the holiday week does not count, the make-up Saturday 10 October does: due at its 24:00
    assert case.next_timer_at == at(2026, 10, 11, 0, 0)
    # when the scheduler runs during the holidays and on the last day, nothing fires
    for moment in (at(2026, 10, 5, 12, 0), at(2026, 10, 10, 23, 59)):
        assert runtime.fire_due_timers(now=moment) == 0
    assert handlers.ids() == []
    # and when it runs after that day's end, the escalation fires
    assert runtime.fire_due_timers(now=at(2026, 10, 11, 0, 5)) == 1
    assert handlers.ids() == ["escalate"] and handlers[0][1] == case
    supervise = ready_row(case, "supervise")
    assert (supervise.role, supervise.is_escalation) == ("supervisor", True)
    assert ready_row(case, "decide")  # non-interrupting
    case.refresh_from_db()
    assert case.next_timer_at is None
    entry = AuditEntry.objects.get(action=AuditAction.TIMERS_FIRED)
    assert entry.object_id == str(case.pk) and entry.details["new_tasks"] == ["supervise"]
    # the decision ends the case: the open escalation task is cancelled
    snapshot = do(case, "decide", {"decision": "approve"})
    assert snapshot.completed
    supervise.refresh_from_db()
    assert supervise.state == TaskState.CANCELLED


def test_deadline_timers_follow_the_case_dates(handlers):
    case = CaseFactory(promised_due=dt.date(2026, 11, 20), statutory_due=dt.date(2026, 12, 4))
    joint = processes.ProcessDefinition.objects.get(key="joint_review")
    processes.bind_process(actor=None, definition=joint, implementations=[case.implementation])
    runtime.start(case=case, now=at(2026, 11, 2, 9, 0))
    do(case, "accept", {"acceptance": "accept"}, now=at(2026, 11, 2, 10, 0))
    case.refresh_from_db()
    assert case.next_timer_at == at(2026, 11, 21, 0, 0)
    assert ready_row(case, "review_tax").due_on == dt.date(2026, 11, 20)
    # a suspension moves the promised date: the clock calls set_deadlines
    case.promised_due = dt.date(2026, 11, 27)
    case.save(update_fields=["promised_due"])
    runtime.set_deadlines(case=case)
    case.refresh_from_db()
    assert case.next_timer_at == at(2026, 11, 28, 0, 0)
    assert ready_row(case, "review_tax").due_on == dt.date(2026, 11, 27)
    assert runtime.fire_due_timers(now=at(2026, 11, 21, 8, 0)) == 0
    assert runtime.fire_due_timers(now=at(2026, 11, 28, 8, 0)) == 1
    assert ready_row(case, "supervise").is_escalation
    assert runtime.set_deadlines(case=CaseFactory()) is None  # no workflow yet


def test_a_failing_timer_step_is_retried_later_and_does_not_block_others(handlers, caplog):
    first, second = CaseFactory(), CaseFactory()
    for case, day in ((first, 2), (second, 3)):
        runtime.start(case=case, now=at(2026, 11, day, 9, 0))
        do(case, "accept", {"acceptance": "accept"}, now=at(2026, 11, day, 9, 0))
        do(case, "review", now=at(2026, 11, day, 9, 0))  # due at 24:00 of the third working day after

    def broken_for_the_first(case, data):
        if case.pk == first.pk:
            raise Conflict("提醒失败", code="notify_failed")

    with recording_handlers(escalate=broken_for_the_first):
        moment = at(2026, 11, 7, 0, 30)  # both due
        assert runtime.fire_due_timers(now=moment) == 1  # the second fired despite the first failing
    assert "firing the timers of case" in caplog.text
    first.refresh_from_db()
    assert first.next_timer_at == moment + runtime.RETRY_AFTER_FAILURE
    assert ready_row(second, "supervise")
    assert not CaseTask.objects.filter(case=first, bpmn_id="supervise").exists()
    assert runtime.fire_due_timers(now=moment + dt.timedelta(minutes=10)) == 0  # not before the retry
    assert runtime.fire_due_timers(now=moment + dt.timedelta(hours=2)) == 1
    assert ready_row(first, "supervise")


def test_the_timer_task_runs_and_reschedules_only_where_it_can(handlers):
    from yiwang.applications.tasks import fire_due_timers

    result = fire_due_timers.enqueue()
    assert result.return_value == {"fired": 0, "scheduled": False}  # the immediate backend cannot defer


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_a_case_locked_by_someone_else_is_skipped_not_waited_for():
    import threading

    from django.db import connection, transaction

    from yiwang.applications.models import Case

    with recording_handlers() as calls:
        processes.load_default_processes()
        case = CaseFactory()
        runtime.start(case=case, now=at(2026, 11, 2, 9, 0))
        do(case, "accept", {"acceptance": "accept"}, now=at(2026, 11, 2, 9, 0))
        do(case, "review", now=at(2026, 11, 2, 9, 0))
        locked, release = threading.Event(), threading.Event()

        def hold_the_row():  # a clerk's request holding the case (select_for_update) for a while
            with transaction.atomic():
                Case.objects.select_for_update().get(pk=case.pk)
                locked.set()
                release.wait(10)
            connection.close()

        holder = threading.Thread(target=hold_the_row)
        holder.start()
        assert locked.wait(10)
        try:
            assert runtime.fire_due_timers(now=at(2026, 11, 6, 1, 0)) == 0  # skipped at once
        finally:
            release.set()
            holder.join()
        assert runtime.fire_due_timers(now=at(2026, 11, 6, 1, 0)) == 1
        assert calls.ids() == ["escalate"]
