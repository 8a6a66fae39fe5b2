"""The engine's pure API: timers in working days, named deadlines, state without spec, migration, errors."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from yiwang.applications import workflow
from yiwang.applications.tests.workflow_fixtures import (
    PROCESSES,
    UPSTREAM,
    process_file,
    recording_handlers,
    version_2,
    version_3,
)
from yiwang.applications.workflow.spiff import serializer
from yiwang.core.errors import Conflict
from yiwang.core.workdays import WorkdayCalendar, load_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def handlers():
    with recording_handlers() as calls:
        yield calls


def parse(xml: bytes, name: str = "p.bpmn") -> workflow.ParsedProcess:
    return workflow.parse_bpmn(xml, file_name=name)


def ready(snapshot, bpmn_id):
    (task,) = [task for task in snapshot.ready_tasks if task.bpmn_id == bpmn_id]
    return task


def step(parsed, snapshot, bpmn_id, data=None, *, now=None, calendar=None, context="case"):
    return workflow.complete_task(
        parsed.spec_json, snapshot.state_json, task_id=ready(snapshot, bpmn_id).task_id, data=data or {},
        context=context, now=now, calendar=calendar,
    )  # fmt: skip


def standard(handlers) -> workflow.ParsedProcess:
    return parse(process_file("standard_approval.bpmn"), "standard_approval.bpmn")


@pytest.mark.django_db
def test_p3d_means_three_working_days_to_midnight_across_national_day(handlers):
    # given the standard process at `decide`, reached on Wednesday 30 September 2026 (the 2026 calendar)
    parsed, calendar = standard(handlers), load_calendar()
    reached = at(2026, 9, 30, 10, 0)
    snapshot = workflow.start(parsed.spec_json, data={}, context="case", now=reached, calendar=calendar)
    snapshot = step(parsed, snapshot, "accept", {"acceptance": "accept"}, now=reached, calendar=calendar)
    snapshot = step(parsed, snapshot, "review", now=reached, calendar=calendar)
    # then P3D skips the holiday week and counts the make-up Saturday 10 October: due at its 24:00
    assert snapshot.next_timer_at == at(2026, 10, 11, 0, 0)
    # when the timers are fired just before, nothing happens
    early = workflow.fire_timers(
        parsed.spec_json, snapshot.state_json, context="case", now=at(2026, 10, 10, 23, 59), calendar=calendar
    )
    assert [t.bpmn_id for t in early.ready_tasks] == ["decide"]
    assert handlers.ids() == []
    # and just after, the escalation fires: the handler is called with the case, the supervisor gets a task
    late = workflow.fire_timers(
        parsed.spec_json, early.state_json, context="case", now=at(2026, 10, 11, 0, 1), calendar=calendar
    )
    assert handlers.ids() == ["escalate"] and handlers[0][1] == "case"
    assert sorted((t.bpmn_id, t.lane, t.is_escalation) for t in late.ready_tasks) == [
        ("decide", "approver", False),
        ("supervise", "supervisor", True),
    ]
    assert late.next_timer_at is None


def test_other_durations_are_calendar_time():
    engine = workflow.spiff.SafeScriptEngine(calendar=WorkdayCalendar())
    start = at(2026, 10, 2, 9, 0)
    assert engine.duration_due("PT2H", start) == at(2026, 10, 2, 11, 0)
    assert engine.duration_due("P1DT1H", start) == at(2026, 10, 3, 10, 0)
    assert engine.duration_due("P2D", start) == at(2026, 10, 7, 0, 0)  # weekends only in this calendar


def test_named_deadlines_wait_until_set_and_move_with_the_clock(handlers):
    # given the joint review accepted before the case has a promised date
    parsed = parse(process_file("joint_review.bpmn"), "joint_review.bpmn")
    now = at(2026, 11, 2, 9, 0)
    snapshot = workflow.start(parsed.spec_json, data={}, context="case", now=now)
    snapshot = step(parsed, snapshot, "accept", {"acceptance": "accept"}, now=now)
    assert snapshot.next_timer_at is None  # promised_due not known: the timer waits, nothing is due
    # when the clock sets the promised date, then moves it later (a suspension)
    first = workflow.set_deadlines(
        parsed.spec_json,
        snapshot.state_json,
        deadlines={"promised_due": workflow.end_of_day(dt.date(2026, 11, 20))},
    )
    assert first.next_timer_at == at(2026, 11, 21, 0, 0)
    moved = workflow.set_deadlines(
        parsed.spec_json,
        first.state_json,
        deadlines={"promised_due": workflow.end_of_day(dt.date(2026, 11, 27))},
    )
    assert moved.next_timer_at == at(2026, 11, 28, 0, 0)
    # then the old date no longer fires, the new one does
    old = workflow.fire_timers(parsed.spec_json, moved.state_json, context="case", now=at(2026, 11, 21, 1, 0))
    assert "supervise" not in {t.bpmn_id for t in old.ready_tasks} and handlers.ids() == []
    new = workflow.fire_timers(parsed.spec_json, old.state_json, context="case", now=at(2026, 11, 28, 1, 0))
    assert "supervise" in {t.bpmn_id for t in new.ready_tasks} and handlers.ids() == ["escalate"]
    # and the three departments still decide, in any order, and the case is approved
    for bpmn_id, key in [("review_tax", "tax"), ("review_land", "land"), ("review_housing", "housing")]:
        new = step(parsed, new, bpmn_id, {f"{key}_decision": "approve"})
    assert new.completed and handlers.ids() == ["escalate", "issue_result", "deliver_result"]


def jsonb(state: dict) -> dict:
    """What PostgreSQL's jsonb gives back: the same values, keys in its own order (here: sorted)."""
    return json.loads(json.dumps(state, sort_keys=True))


def test_state_reordered_by_jsonb_loads_with_the_data_each_branch_added(handlers):
    # given the joint review, its state stored in jsonb after every step (keys no longer in tree order)
    parsed = parse(process_file("joint_review.bpmn"), "joint_review.bpmn")
    snapshot = workflow.start(parsed.spec_json, data={"channel": "online"}, context="case")
    for bpmn_id, data in [
        ("accept", {"acceptance": "accept"}),
        ("review_tax", {"tax_decision": "approve"}),
        ("review_housing", {"housing_decision": "approve"}),
        ("review_land", {"land_decision": "approve"}),
    ]:
        task = ready(snapshot, bpmn_id)
        snapshot = workflow.complete_task(
            parsed.spec_json, jsonb(snapshot.state_json), task_id=task.task_id, data=data, context="case"
        )
    # then the join saw every department's decision and the case was approved
    assert snapshot.completed and handlers.ids() == ["issue_result", "deliver_result"]
    assert snapshot.data["channel"] == "online"


def test_one_refusal_among_the_departments_refuses(handlers):
    parsed = parse(process_file("joint_review.bpmn"), "joint_review.bpmn")
    snapshot = workflow.start(parsed.spec_json, data={}, context="case")
    snapshot = step(parsed, snapshot, "accept", {"acceptance": "accept"})
    snapshot = step(parsed, snapshot, "review_land", {"land_decision": "refuse"})
    snapshot = step(parsed, snapshot, "review_housing", {"housing_decision": "approve"})
    snapshot = step(parsed, snapshot, "review_tax", {"tax_decision": "approve"})
    assert snapshot.completed and handlers.ids() == ["notify_refusal"]


def test_state_is_stored_without_its_spec_and_round_trips(handlers):
    parsed = standard(handlers)
    snapshot = workflow.start(parsed.spec_json, data={"channel": "online"}, context="case")
    snapshot = step(parsed, snapshot, "accept", {"acceptance": "accept"})
    stored = json.loads(json.dumps(snapshot.state_json))
    assert "spec" not in stored and "subprocess_specs" not in stored
    # the state alone is much smaller than Spiff's full serialization (which embeds the spec)
    full = serializer.serialize_json(
        workflow.engine._load(parsed.spec_json, stored, workflow.spiff.SafeScriptEngine())
    )
    assert len(json.dumps(stored)) < len(full) * 0.75
    # reloaded from JSON it goes on exactly as the live one would
    review_id = ready(snapshot, "review").task_id
    again = workflow.complete_task(parsed.spec_json, stored, task_id=review_id, data={}, context="case")
    assert [t.bpmn_id for t in again.ready_tasks] == ["decide"]
    assert again.data["acceptance"] == "accept" and again.serializer_version == "1.5"


def test_a_task_not_ready_is_refused(handlers):
    parsed = standard(handlers)
    snapshot = workflow.start(parsed.spec_json, data={}, context="case")
    for task_id in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(workflow.TaskNotReady):
            workflow.complete_task(
                parsed.spec_json, snapshot.state_json, task_id=task_id, data={}, context="c"
            )
    with pytest.raises(workflow.WorkflowError):  # data keys that are not plain names
        step(parsed, snapshot, "accept", {"__class__": "x"})


def test_a_tampered_stored_spec_is_refused_at_run_time_too(handlers, tmp_path):
    # given a stored spec whose condition was changed behind the import's back
    parsed = standard(handlers)
    marker = tmp_path / "pwned"
    evil = f"__import__('os').system('touch {marker}')"
    tampered = json.loads(json.dumps(parsed.spec_json).replace("acceptance == 'accept'", evil))
    assert evil in json.dumps(tampered)
    snapshot = workflow.start(tampered, data={}, context="case")
    # when the gateway evaluates it, then it is refused and nothing ran
    with pytest.raises(workflow.ExpressionError) as refused:
        step(
            type(parsed)(**{**parsed.__dict__, "spec_json": tampered}),
            snapshot,
            "accept",
            {"acceptance": "accept"},
        )
    assert refused.value.code == "workflow_expression"
    assert not marker.exists()


def test_a_handler_error_comes_back_as_itself():
    def failing(context, data):
        raise Conflict("证照签发失败", code="license_signing_failed")

    with recording_handlers(issue_result=failing):
        parsed = parse(process_file("standard_approval.bpmn"), "standard_approval.bpmn")
        snapshot = workflow.start(parsed.spec_json, data={}, context="case")
        snapshot = step(parsed, snapshot, "accept", {"acceptance": "accept"})
        snapshot = step(parsed, snapshot, "review")
        with pytest.raises(Conflict) as error:
            step(parsed, snapshot, "decide", {"decision": "approve"})
    assert error.value.code == "license_signing_failed"


# Migration ---------------------------------------------------------------------------------------------


def test_a_running_instance_moves_to_a_new_version_and_keeps_its_ready_task(handlers):
    # given a case waiting at `review` on v1, and v2 adding a legal review before the decision
    v1, v2 = standard(handlers), parse(version_2(), "v2.bpmn")
    snapshot = workflow.start(v1.spec_json, data={}, context="case")
    snapshot = step(v1, snapshot, "accept", {"acceptance": "accept"})
    review_id = ready(snapshot, "review").task_id
    # when checked and migrated
    check = workflow.check_migration(v1.spec_json, v2.spec_json, snapshot.state_json)
    assert check.ok and check.blocking == []
    moved = workflow.migrate(v1.spec_json, v2.spec_json, snapshot.state_json, context="case")
    # then the ready task keeps its id and the instance runs on the new version
    assert ready(moved, "review").task_id == review_id
    moved = workflow.complete_task(v2.spec_json, moved.state_json, task_id=review_id, data={}, context="case")
    assert [t.bpmn_id for t in moved.ready_tasks] == ["legal_review"]


def test_an_instance_past_a_removed_element_is_refused_naming_it(handlers):
    v1, v3 = standard(handlers), parse(version_3(), "v3.bpmn")
    at_accept = workflow.start(v1.spec_json, data={}, context="case")
    at_decide = step(v1, step(v1, at_accept, "accept", {"acceptance": "accept"}), "review")
    # a case still at `accept` had `review` only predicted: it may move
    assert workflow.check_migration(v1.spec_json, v3.spec_json, at_accept.state_json).ok
    moved = workflow.migrate(v1.spec_json, v3.spec_json, at_accept.state_json, context="case")
    moved = workflow.complete_task(
        v3.spec_json, moved.state_json, task_id=ready(moved, "accept").task_id, data={"acceptance": "accept"},
        context="case",
    )  # fmt: skip
    assert [t.bpmn_id for t in moved.ready_tasks] == ["decide"]
    # a case that went through `review` cannot: the check names the element
    check = workflow.check_migration(v1.spec_json, v3.spec_json, at_decide.state_json)
    assert not check.ok and check.blocking == ["review（审查）"]
    with pytest.raises(workflow.MigrationRefused) as refused:
        workflow.migrate(v1.spec_json, v3.spec_json, at_decide.state_json)
    assert "review（审查）" in refused.value.message


def test_migration_keeps_a_waiting_timer_instant(handlers):
    v1, v2 = standard(handlers), parse(version_2(), "v2.bpmn")
    when = at(2026, 11, 2, 10, 0)
    snapshot = workflow.start(v1.spec_json, data={}, context="case", now=when, calendar=WorkdayCalendar())
    snapshot = step(v1, snapshot, "accept", {"acceptance": "accept"}, now=when, calendar=WorkdayCalendar())
    snapshot = step(v1, snapshot, "review", now=when, calendar=WorkdayCalendar())
    due = snapshot.next_timer_at
    assert due == at(2026, 11, 6, 0, 0)
    moved = workflow.migrate(
        v1.spec_json, v2.spec_json, snapshot.state_json, context="case", now=when + dt.timedelta(days=1),
        calendar=WorkdayCalendar(),
    )  # fmt: skip
    assert moved.next_timer_at == due


def _whole_state_without_specs(workflow_object) -> dict:
    document = serializer.to_dict(workflow_object)
    document.pop("spec")
    document.pop("subprocess_specs")
    return document


@pytest.mark.parametrize(
    "path",
    [
        *sorted(p for p in PROCESSES.glob("*.bpmn")),
        *sorted(p for p in UPSTREAM.glob("*.bpmn*") if p.is_file()),
    ],
    ids=lambda path: path.name,
)
def test_the_stored_state_is_spiffs_whole_conversion_without_the_specs(handlers, path):
    # given a bundled or an upstream process, started, and then with one more ready task completed
    from yiwang.applications.workflow import engine
    from yiwang.applications.workflow.spiff import SafeScriptEngine, workflow_state

    parsed = parse(path.read_bytes(), path.name)
    start_data = {"channel": "online", "x": 2, "skip_to_task_3": False}
    snapshot = workflow.start(parsed.spec_json, data=start_data, context="case")
    states = [snapshot.state_json]
    if snapshot.ready_tasks:
        task = snapshot.ready_tasks[0]
        states.append(
            workflow.complete_task(
                parsed.spec_json, snapshot.state_json, task_id=task.task_id,
                data={"acceptance": "accept", "decision": "approve"}, context="case",
            ).state_json
        )  # fmt: skip
    for state in states:
        loaded = engine._load(parsed.spec_json, state, SafeScriptEngine(context="case"))
        # then the state kept is exactly Spiff's own conversion less the two specs, key for key
        assert workflow_state(loaded) == _whole_state_without_specs(loaded)
        assert "spec" not in state and "subprocess_specs" not in state
