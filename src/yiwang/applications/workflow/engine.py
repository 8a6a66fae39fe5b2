"""Running a process instance: pure functions from (spec, state) to a new ``Snapshot`` (ADR 0009).

Every call restores the workflow from the version's ``spec_json`` and the case's ``state_json`` (stored
without its spec), sets a fresh ``SafeScriptEngine`` with the call's clock and context, acts, runs the
engine steps and serializes again. Nothing here touches the database except the holiday calendar that
working-day timers read; the caller owns the transaction and the row lock.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from uuid import UUID

from django.utils.translation import gettext as _
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.util.task import TaskState

from yiwang.core.errors import DomainError

from .errors import MigrationRefused, TaskNotReady, WorkflowError
from .spiff import (
    PREDICTED,
    SERIALIZER_VERSION,
    UNSET_DEADLINE,
    DeadlineTimerEventDefinition,
    SafeScriptEngine,
    serializer,
    workflow_state,
)


@dataclass(frozen=True)
class ReadyTask:
    task_id: str
    bpmn_id: str
    name: str
    lane: str
    is_escalation: bool


@dataclass(frozen=True)
class Snapshot:
    state_json: dict[str, Any]
    serializer_version: str
    ready_tasks: list[ReadyTask]
    completed: bool
    next_timer_at: dt.datetime | None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MigrationCheck:
    ok: bool
    blocking: list[str]
    changed: list[str]


# Loading and saving -----------------------------------------------------------------------------------


def _specs(spec_json: dict[str, Any]):
    spec = serializer.from_dict(copy.deepcopy(spec_json["spec"]))
    subprocess_specs = {
        name: serializer.from_dict(copy.deepcopy(sub))
        for name, sub in spec_json.get("subprocess_specs", {}).items()
    }
    return spec, subprocess_specs


@lru_cache(maxsize=64)
def _cached_specs(key: Hashable, spec_json_holder: _SpecJson):
    return _specs(spec_json_holder.value)


class _SpecJson:
    """The spec document passed through the cache without being part of its key (dicts are unhashable;
    the caller's key names an immutable version, e.g. its primary key and file digest)."""

    __slots__ = ("value",)

    def __init__(self, value: dict[str, Any]) -> None:
        self.value = value

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _SpecJson)


def _tree_order(tasks: dict[str, Any], root: str) -> dict[str, Any]:
    """The tasks, parents before children. Spiff rebuilds a task's data from its parent's (it stores only
    the changes), so a child restored before its parent loses what it inherited; PostgreSQL's ``jsonb``
    does not keep the order of keys, and UUID keys come back sorted."""
    ordered: dict[str, Any] = {}
    queue = [root]
    while queue:
        task_id = queue.pop(0)
        if task_id in tasks and task_id not in ordered:
            ordered[task_id] = tasks[task_id]
            queue.extend(tasks[task_id].get("children", ()))
    ordered.update((task_id, task) for task_id, task in tasks.items() if task_id not in ordered)
    return ordered


def _load(spec_json: dict[str, Any], state_json: dict[str, Any], engine: SafeScriptEngine) -> BpmnWorkflow:
    document = copy.deepcopy(state_json)
    document["tasks"] = _tree_order(document["tasks"], document["root"])
    for subprocess in document.get("subprocesses", {}).values():
        subprocess["tasks"] = _tree_order(subprocess["tasks"], subprocess["root"])
    document["spec"] = copy.deepcopy(spec_json["spec"])
    document["subprocess_specs"] = copy.deepcopy(spec_json.get("subprocess_specs", {}))
    workflow = serializer.from_dict(document)
    workflow.script_engine = engine  # the engine is never serialized
    return workflow


def _state(workflow: BpmnWorkflow) -> dict[str, Any]:
    return workflow_state(workflow)  # the specs stay with the process version


def _snapshot(workflow: BpmnWorkflow, spec_json: dict[str, Any]) -> Snapshot:
    escalations = set(spec_json.get("escalation_tasks", ()))
    ready = [
        ReadyTask(
            task_id=str(task.id),
            bpmn_id=task.task_spec.bpmn_id,
            name=task.task_spec.bpmn_name or task.task_spec.bpmn_id,
            lane=task.task_spec.lane or "",
            is_escalation=task.task_spec.bpmn_id in escalations,
        )
        for task in workflow.get_tasks(state=TaskState.READY, manual=True)
    ]
    data = dict(workflow.data)
    if workflow.last_task is not None:
        data.update(workflow.last_task.data)
    data = {key: value for key, value in data.items() if not key.startswith("_") and key != "data_objects"}
    return Snapshot(
        state_json=_state(workflow),
        serializer_version=SERIALIZER_VERSION,
        ready_tasks=ready,
        completed=workflow.is_completed(),
        next_timer_at=_next_timer_at(workflow),
        data=data,
    )


def _next_timer_at(workflow: BpmnWorkflow) -> dt.datetime | None:
    due = []
    for event in workflow.waiting_events():
        is_timer = event.event_type.endswith("TimerEventDefinition")
        if is_timer and isinstance(event.value, str) and event.value != UNSET_DEADLINE:
            due.append(dt.datetime.fromisoformat(event.value))
    return min(due) if due else None


def _run(engine: SafeScriptEngine, action) -> Any:
    """Run a Spiff action; a Spiff failure becomes a ``WorkflowError``, a handler's own error stays itself."""
    try:
        return action()
    except DomainError:
        raise
    except SpiffWorkflowException as error:
        if engine.handler_error is not None:
            raise engine.handler_error from None
        cause = getattr(error, "exception", None)
        if isinstance(cause, DomainError):
            raise cause from None
        if isinstance(error, WorkflowException) and "No conditions satisfied" in str(error):
            message = _("没有满足条件的流程分支，请检查办理结果")
            raise WorkflowError(message, code="workflow_no_path") from None
        raise WorkflowError(_("流程无法继续：%(error)s") % {"error": error}) from None


def _clean_data(data: dict[str, Any]) -> dict[str, Any]:
    for key in data:
        if not isinstance(key, str) or key.startswith("_") or not key.isidentifier():
            raise WorkflowError(_("办理数据的字段名“%(key)s”不合法") % {"key": key}, code="workflow_bad_data")
    return dict(data)


# The API ----------------------------------------------------------------------------------------------


def start(
    spec_json: dict[str, Any],
    *,
    data: dict[str, Any],
    context: Any,
    now: dt.datetime | None = None,
    calendar: Any = None,
    spec_key: Hashable | None = None,
    deadlines: dict[str, dt.datetime | None] | None = None,
) -> Snapshot:
    """A new instance with ``data``, run to its first waiting point (user tasks, timers).

    With ``spec_key`` (naming an immutable spec: a process version's primary key and digest) the parsed
    spec is kept in this process and shared by the instances started from it (Spiff does not change a
    spec while running a workflow). ``deadlines``, if given, are set as ``set_deadlines`` would do right
    after the start."""
    engine = SafeScriptEngine(context=context, now=now, calendar=calendar)
    if spec_key is None:
        spec, subprocess_specs = _specs(spec_json)
    else:
        spec, subprocess_specs = _cached_specs(spec_key, _SpecJson(spec_json))
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=engine)
    workflow.task_tree.data.update(_clean_data(data))
    _run(engine, workflow.do_engine_steps)
    if deadlines:
        _apply_deadlines(workflow, deadlines)
    return _snapshot(workflow, spec_json)


def complete_task(
    spec_json: dict[str, Any],
    state_json: dict[str, Any],
    *,
    task_id: str,
    data: dict[str, Any],
    context: Any,
    now: dt.datetime | None = None,
    calendar: Any = None,
) -> Snapshot:
    """Complete one ready user task with ``data`` and run on; in any order after a parallel split."""
    engine = SafeScriptEngine(context=context, now=now, calendar=calendar)
    workflow = _load(spec_json, state_json, engine)
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except (ValueError, SpiffWorkflowException):
        task = None
    if task is None or task.state != TaskState.READY or not task.task_spec.manual:
        raise TaskNotReady()
    task.set_data(**_clean_data(data))

    def act() -> None:
        task.run()
        workflow.do_engine_steps()

    _run(engine, act)
    return _snapshot(workflow, spec_json)


def fire_timers(
    spec_json: dict[str, Any],
    state_json: dict[str, Any],
    *,
    context: Any,
    now: dt.datetime | None = None,
    calendar: Any = None,
) -> Snapshot:
    """Fire every timer due at ``now`` (default: the current time) and run on."""
    engine = SafeScriptEngine(context=context, now=now, calendar=calendar)
    workflow = _load(spec_json, state_json, engine)

    def act() -> None:
        workflow.refresh_timers()
        workflow.do_engine_steps()

    _run(engine, act)
    return _snapshot(workflow, spec_json)


def set_deadlines(
    spec_json: dict[str, Any],
    state_json: dict[str, Any],
    *,
    deadlines: dict[str, dt.datetime | None],
) -> Snapshot:
    """Set named deadlines (``promised_due``...) and move the waiting timers that use them.

    Spiff evaluates a timer's expression once, so a waiting timer's cached instant is rewritten here.
    A deadline of None unsets it (its timers wait until it is set again). Nothing runs: a deadline moved
    into the past fires at the next ``fire_timers``.
    """
    engine = SafeScriptEngine()
    workflow = _load(spec_json, state_json, engine)
    _apply_deadlines(workflow, deadlines)
    return _snapshot(workflow, spec_json)


def _apply_deadlines(workflow: BpmnWorkflow, deadlines: dict[str, dt.datetime | None]) -> None:
    known = dict(workflow.data.get("_deadlines", {}))
    values = {}
    for name, when in deadlines.items():
        if when is None:
            known.pop(name, None)
            values[name] = UNSET_DEADLINE
        else:
            if when.tzinfo is None:
                raise WorkflowError(_("期限必须带时区"), code="workflow_bad_data")
            values[name] = known[name] = when.astimezone(dt.UTC).isoformat()
    workflow.data["_deadlines"] = known
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, DeadlineTimerEventDefinition):
            continue
        name = task.internal_data.get("deadline") or definition.expression.strip()
        if name in values:
            task.internal_data["deadline"] = name
            task.internal_data["event_value"] = values[name]
            task.internal_data.pop("event_fired", None)


def _label(task_spec) -> str:
    name = getattr(task_spec, "bpmn_name", None)
    bpmn_id = getattr(task_spec, "bpmn_id", None) or task_spec.name
    return f"{bpmn_id}（{name}）" if name else bpmn_id


def _diff(old_spec_json, new_spec_json, state_json):
    engine = SafeScriptEngine()
    workflow = _load(old_spec_json, state_json, engine)
    new_spec, new_subprocess_specs = _specs(new_spec_json)
    top_diff, subprocess_diffs = diff_workflow(serializer.registry, workflow, new_spec, new_subprocess_specs)
    blocking = [_label(task.task_spec) for task in top_diff.removed if not task.has_state(PREDICTED)]
    changed = {_label(task.task_spec) for task in top_diff.changed}
    for sub_id, sub_diff in subprocess_diffs.items():
        subprocess = workflow.subprocesses[sub_id]
        if sub_diff is None:
            if subprocess.get_tasks(state=TaskState.NOT_FINISHED_MASK & ~PREDICTED):
                blocking.append(subprocess.spec.name)
            continue
        blocking += [_label(task.task_spec) for task in sub_diff.removed if not task.has_state(PREDICTED)]
        changed |= {_label(task.task_spec) for task in sub_diff.changed}
    return workflow, engine, (new_spec, new_subprocess_specs), (top_diff, subprocess_diffs), blocking, changed


def check_migration(
    old_spec: dict[str, Any], new_spec: dict[str, Any], state_json: dict[str, Any]
) -> MigrationCheck:
    """Whether an instance can move to ``new_spec``: refused when a started or finished element (not one
    merely predicted) is gone from the new version; ``blocking`` names those elements."""
    try:
        *_rest, blocking, changed = _diff(old_spec, new_spec, state_json)
    except SpiffWorkflowException as error:
        return MigrationCheck(ok=False, blocking=[str(error)], changed=[])
    return MigrationCheck(ok=not blocking, blocking=sorted(set(blocking)), changed=sorted(changed))


def migrate(
    old_spec: dict[str, Any],
    new_spec: dict[str, Any],
    state_json: dict[str, Any],
    *,
    context: Any = None,
    now: dt.datetime | None = None,
    calendar: Any = None,
) -> Snapshot:
    """Move an instance to ``new_spec``; ready tasks keep their ids, waiting timers keep their instants."""
    workflow, engine, (spec, subprocess_specs), (top_diff, subprocess_diffs), blocking, _changed = _diff(
        old_spec, new_spec, state_json
    )
    if blocking:
        elements = sorted(set(blocking))
        raise MigrationRefused(
            _("流程环节 %(elements)s 已开始或已办结，在新版本中不存在") % {"elements": "、".join(elements)},
            blocking=elements,
        )
    engine.context, engine._now, engine._calendar = context, now, calendar
    engine.preserved_timers = {
        task.task_spec.name: {key: task.internal_data[key] for key in ("event_value", "deadline")
                              if key in task.internal_data}
        for task in workflow.get_tasks(state=TaskState.WAITING)
        if "event_value" in task.internal_data
    }  # fmt: skip

    def act() -> None:
        migrate_workflow(top_diff, workflow, spec)
        for sub_id, sub_diff in subprocess_diffs.items():
            if sub_diff is not None and sub_id in workflow.subprocesses:
                subprocess = workflow.subprocesses[sub_id]
                migrate_workflow(sub_diff, subprocess, subprocess_specs[subprocess.spec.name])
        workflow.subprocess_specs = subprocess_specs
        workflow.do_engine_steps()

    _run(engine, act)
    return _snapshot(workflow, new_spec)
