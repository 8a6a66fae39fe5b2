"""Every vendored SpiffWorkflow example of user tasks, gateways and timers imports and runs on our engine;
the ones that need arbitrary Python are refused, naming the element (see data/spiff/README.md)."""

import datetime as dt
import json

import pytest

from yiwang.applications import workflow
from yiwang.applications.tests.workflow_fixtures import UPSTREAM
from yiwang.core.workdays import WorkdayCalendar

NOW = dt.datetime(2026, 9, 1, 2, 0, tzinfo=dt.UTC)
IMPORTED = sorted(path for path in UPSTREAM.iterdir() if path.suffix in {".bpmn", ".xml"})
REFUSED = sorted((UPSTREAM / "refused").iterdir())

# What the user tasks answer, per file; a file not listed completes its tasks with no data.
ANSWERS = {
    "ParallelTasksNavigation.bpmn": {"Activity_0nq2719": {"skip_to_task_3": False}},
    "lanes.bpmn": {"Activity_B1": {"NeedClarification": "Yes"}},
}
START_DATA = {
    "exclusive_gateway_default.bpmn": {"x": 2},
    "Timer-Intermediate.bpmn20.xml": {"due_time": "2026-09-03T08:00:00+08:00"},
}


def run_to_the_end(parsed, *, data, answers, order=lambda tasks: tasks):
    """Complete ready tasks (in ``order``) and fire timers when nothing is ready, until the end."""
    calendar, now = WorkdayCalendar(), NOW
    snapshot = workflow.start(parsed.spec_json, data=data, context=None, now=now, calendar=calendar)
    completed = []
    for _step in range(50):
        if snapshot.completed:
            return snapshot, completed
        state = json.loads(json.dumps(snapshot.state_json))  # what the database gives back
        assert "spec" not in state and "subprocess_specs" not in state
        if snapshot.ready_tasks:
            task = order(snapshot.ready_tasks)[0]
            completed.append(task.bpmn_id)
            snapshot = workflow.complete_task(
                parsed.spec_json, state, task_id=task.task_id, data=answers.get(task.bpmn_id, {}),
                context=None, now=now, calendar=calendar,
            )  # fmt: skip
        else:
            assert snapshot.next_timer_at is not None, "stuck: nothing ready and no timer"
            now = max(now, snapshot.next_timer_at) + dt.timedelta(seconds=1)
            snapshot = workflow.fire_timers(parsed.spec_json, state, context=None, now=now, calendar=calendar)
    raise AssertionError("did not finish")


def test_the_vendored_set_is_what_the_readme_lists():
    readme = (UPSTREAM / "README.md").read_text(encoding="utf-8")
    assert len(IMPORTED) == 6 and len(REFUSED) == 3
    for path in [*IMPORTED, *REFUSED]:
        assert f"`{path.name}`" in readme


@pytest.mark.parametrize("path", IMPORTED, ids=lambda path: path.name)
def test_every_upstream_example_imports_and_runs_to_its_end(path):
    parsed = workflow.parse_bpmn(path.read_bytes(), file_name=path.name)
    json.dumps(parsed.spec_json)  # storable as JSON
    snapshot, completed = run_to_the_end(
        parsed, data=START_DATA.get(path.name, {}), answers=ANSWERS.get(path.name, {})
    )
    assert snapshot.completed
    assert set(completed) <= {task.bpmn_id for task in parsed.user_tasks}


def test_parallel_tasks_complete_in_any_order():
    path = UPSTREAM / "ParallelTasksNavigation.bpmn"
    parsed = workflow.parse_bpmn(path.read_bytes(), file_name=path.name)
    answers = ANSWERS[path.name]
    _snapshot, forwards = run_to_the_end(parsed, data={}, answers=answers)
    _snapshot, backwards = run_to_the_end(parsed, data={}, answers=answers, order=lambda tasks: tasks[::-1])
    assert forwards[1:4] == ["Activity_1rbitoy", "Activity_1m6kgcw", "Activity_1lr0u7f"]
    assert backwards[1:4] == forwards[1:4][::-1]
    assert forwards[-1] == backwards[-1] == "Activity_0ok62n3"


def test_the_boundary_timer_example_fires_its_script_on_our_clock():
    path = UPSTREAM / "boundary_timer_on_task.bpmn"
    parsed = workflow.parse_bpmn(path.read_bytes(), file_name=path.name)
    started = workflow.start(parsed.spec_json, data={}, context=None, now=NOW)
    assert [t.bpmn_id for t in started.ready_tasks] == ["user_task"]
    assert started.next_timer_at == NOW + dt.timedelta(seconds=0.002)
    fired = workflow.fire_timers(
        parsed.spec_json, started.state_json, context=None, now=NOW + dt.timedelta(1)
    )
    assert fired.data["timer_called"] is True  # the (assign-only) script of the timer branch ran
    assert [t.bpmn_id for t in fired.ready_tasks] == ["user_task"]  # non-interrupting


def test_an_exclusive_gateway_with_no_true_condition_is_a_clean_error():
    path = UPSTREAM / "exclusive_gateway_default.bpmn"
    parsed = workflow.parse_bpmn(path.read_bytes(), file_name=path.name)
    with pytest.raises(workflow.WorkflowError) as error:
        workflow.start(parsed.spec_json, data={"x": 1}, context=None)
    assert error.value.code == "workflow_no_path"


@pytest.mark.parametrize("path", REFUSED, ids=lambda path: path.name)
def test_upstream_examples_needing_python_are_refused_naming_the_element(path):
    with pytest.raises(workflow.ImportProblems) as refused:
        workflow.parse_bpmn(path.read_bytes(), file_name=path.name)
    readme = (UPSTREAM / "README.md").read_text(encoding="utf-8")
    for problem in refused.value.problems:
        assert problem.line and problem.tag
        assert problem.element_id or problem.owner
        assert (problem.element_id or problem.owner.split('"')[1]) in path.read_text()
    assert path.name in readme
