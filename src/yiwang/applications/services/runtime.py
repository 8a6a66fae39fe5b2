"""A case's workflow in the database: start it, complete its tasks, move its deadlines, fire its timers.

The engine (``applications.workflow``) is pure; here its state is stored in the case (``state_json``,
without the spec: ADR 0009) and its ready user tasks are projected into ``CaseTask`` rows, which the
queues read. ``start``, ``complete`` and ``set_deadlines`` run inside the caller's transaction with the
case row locked by the caller (``select_for_update``); each is also a savepoint, so an engine error
(no matching branch, a failing handler) undoes whatever the step wrote and leaves the stored state as it
was. ``fire_due_timers`` claims and locks the due cases itself.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.db.models import BigIntegerField, CharField, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.audit.services import record_event
from yiwang.core import sql
from yiwang.core.errors import Conflict
from yiwang.core.workdays import WorkdayCalendar, load_calendar
from yiwang.identity.models import User

from .. import workflow
from ..constants import AuditAction, ProcessStatus, TaskState
from ..models import Case, CaseTask, ProcessDefinition, ProcessVersion

logger = logging.getLogger(__name__)

RETRY_AFTER_FAILURE = dt.timedelta(hours=1)  # a case whose timer step fails is tried again this much later


def _active_versions(implementation_id: Any) -> QuerySet[ProcessVersion]:
    """The active version of the process bound to the implementation, else of the default one: the
    bound definition (lowest id) if there is one, else the default, then its active version (none if
    the bound definition has no active version: no falling back to the default)."""
    definitions = ProcessDefinition.objects.filter(is_default=True)
    if implementation_id is not None:
        bound = ProcessDefinition.implementations.through.objects.filter(
            processdefinition_id=OuterRef("pk"), implementation_id=implementation_id
        )
        definitions = (
            ProcessDefinition.objects.annotate(bound=Exists(bound))
            .filter(Q(bound=True) | Q(is_default=True))
            .order_by("-bound", "pk")
        )
    return ProcessVersion.objects.filter(
        definition_id=Subquery(definitions.values("pk")[:1]), status=ProcessStatus.ACTIVE
    )


def process_version_for(*, case: Case) -> ProcessVersion:
    """The active version of the process bound to the case's implementation, else of the default one
    (one statement)."""
    version = (
        _active_versions(case.implementation_id)
        .defer("bpmn_xml", "spec_json")  # the spec: _spec_json_of, kept per process
        .first()
    )
    if version is None:
        raise Conflict(_("没有启用的审批流程，请先导入并启用流程"), code="no_active_process")
    return version


ACTIVE_VERSION_PK = "submission_process_version_pk"
ACTIVE_VERSION_SHA = "submission_process_version_sha256"


# ``_active_versions`` written out on the outer row of ``catalog_implementation`` (the ORM takes milliseconds
# to compile its nested subqueries, on every submission; SQLite refuses an outer column in a nested ORDER BY,
# hence MIN/COALESCE: the lowest bound definition, else the default). ``{column}``: the version's column.
# Tested against ``process_version_for`` (bound, default, bound without an active version).
_ACTIVE_VERSION_SQL = (
    "SELECT v.{column} FROM applications_processversion v WHERE v.status = 'active' AND v.definition_id ="
    " COALESCE((SELECT MIN(t.processdefinition_id) FROM applications_processdefinition_implementations t"
    " WHERE t.implementation_id = catalog_implementation.id),"
    " (SELECT MIN(d.id) FROM applications_processdefinition d WHERE d.is_default))"
    " ORDER BY v.definition_id, v.number DESC LIMIT 1"
)


def active_version_annotations() -> dict[str, RawSQL]:
    """Annotations of an ``Implementation`` query: its active process version's id and digest, as
    ``process_version_for`` would find it (the submission reads them in the row it loads anyway)."""
    return {
        ACTIVE_VERSION_PK: RawSQL(  # noqa: S611 (a constant)
            _ACTIVE_VERSION_SQL.format(column="id"), (), output_field=BigIntegerField()
        ),
        ACTIVE_VERSION_SHA: RawSQL(  # noqa: S611
            _ACTIVE_VERSION_SQL.format(column="sha256"), (), output_field=CharField()
        ),
    }


@lru_cache(maxsize=128)
def _version_row(pk: int, sha256: str) -> ProcessVersion:
    return ProcessVersion.objects.defer("bpmn_xml", "spec_json").get(pk=pk, sha256=sha256)


def annotated_version(implementation: Any) -> ProcessVersion | None:
    """The active process version an implementation loaded with ``active_version_annotations`` names,
    kept per process (a version's row never changes once imported but for its status, which the
    annotation has just read); None if it has none (``process_version_for`` then says why)."""
    pk = getattr(implementation, ACTIVE_VERSION_PK, None)
    if pk is None:
        return None
    return _version_row(pk, getattr(implementation, ACTIVE_VERSION_SHA))


def _initial_data(case: Case) -> dict[str, Any]:
    """What a process may branch on: the channel, the applicant kind and the situation answers."""
    data: dict[str, Any] = {
        "case_number": case.number,
        "channel": case.channel,
        "applicant_kind": case.applicant_kind,
        "is_bundle_part": case.parent_id is not None,
    }
    for key, value in (case.situation or {}).items():
        if isinstance(key, str) and key.isidentifier() and not key.startswith("_") and key not in data:
            data[key] = value
    return data


def _deadlines(case: Case) -> dict[str, dt.datetime | None]:
    """The case's planned end dates as instants: 24:00 Asia/Shanghai of the day (ADR 0009)."""
    return {
        "promised_due": workflow.end_of_day(case.promised_due) if case.promised_due else None,
        "statutory_due": workflow.end_of_day(case.statutory_due) if case.statutory_due else None,
    }


def store_snapshot(*, case: Case, snapshot: workflow.Snapshot, version: ProcessVersion | None = None) -> None:
    """Keep a step's result: the state (without spec), the next timer, the revision and the task rows."""
    _save(case, snapshot, version=version)
    _sync_tasks(case, snapshot)


STARTED_FIELDS = ("state_json", "serializer_version", "revision", "next_timer_at", "process_version")


def _save(
    case: Case, snapshot: workflow.Snapshot, *, version: ProcessVersion | None = None, save: bool = True
) -> None:
    fields = ["state_json", "serializer_version", "revision", "next_timer_at", "updated_at"]
    if version is not None:
        case.process_version = version
        fields.append("process_version")
    case.state_json = snapshot.state_json
    case.serializer_version = snapshot.serializer_version
    case.revision += 1
    case.next_timer_at = snapshot.next_timer_at
    if save:
        case.save(update_fields=fields)


def _sync_tasks(case: Case, snapshot: workflow.Snapshot, *, new: bool = False) -> None:
    """Project the ready user tasks: new ones become rows, rows no longer ready are cancelled.

    ``new``: the case's workflow has just started, it has no task rows yet (nothing to cancel or skip)."""
    ready = {task.task_id: task for task in snapshot.ready_tasks}
    known: set[str] = set()
    if not new:
        (
            CaseTask.objects.filter(case=case, state=TaskState.READY)
            .exclude(task_id__in=list(ready))
            .update(state=TaskState.CANCELLED, completed_at=timezone.now())
        )
        known = set(
            CaseTask.objects.filter(case=case, task_id__in=list(ready)).values_list("task_id", flat=True)
        )
    sql.insert_many(  # its text made once (core.sql, ADR 0014): every submission starts a task
        [
            CaseTask(
                case=case,
                task_id=task.task_id,
                bpmn_id=task.bpmn_id,
                name=task.name,
                role=task.lane,
                department_id=case.department_id,
                region_id=case.region_id,
                state=TaskState.READY,
                due_on=timezone.localdate() if task.is_escalation else case.promised_due,
                is_escalation=task.is_escalation,
            )
            for task_id, task in ready.items()
            if task_id not in known
        ]
    )


def _spec(case: Case) -> dict[str, Any]:
    version = case.process_version
    if version is None or case.state_json is None:
        raise Conflict(_("该办件尚未启动审批流程"), code="workflow_not_started")
    return version.spec_json


@lru_cache(maxsize=64)
def _cached_spec_json(key: tuple[int, str, str]) -> dict[str, Any]:
    return ProcessVersion.objects.values_list("spec_json", flat=True).get(pk=key[0])


def _spec_json_of(version: ProcessVersion) -> tuple[dict[str, Any], tuple[int, str, str]]:
    """The version's spec (read-only: shared by the calls of this process) and its cache key. A version
    never changes once imported (a new file is a new version), so its id and digest name its spec."""
    key = (version.pk, version.sha256, version.serializer_version)
    return _cached_spec_json(key), key


@transaction.atomic
def start(*, case: Case, now: dt.datetime | None = None) -> workflow.Snapshot:
    """Start the case's process (bound to its implementation, else the default) on its active version."""
    return start_unsaved(case=case, now=now, save=True)


def start_unsaved(
    *,
    case: Case,
    now: dt.datetime | None = None,
    save: bool = False,
    version: ProcessVersion | None = None,
) -> workflow.Snapshot:
    """``start`` without its savepoint, for a caller that holds one around it; with ``save=False`` the
    case's ``STARTED_FIELDS`` are set (the revision bumped) but not saved: the caller saves them in its
    own next ``UPDATE`` of the case (a new case's task rows are written at once either way). ``version``:
    the active version, when the caller read it in this transaction (``annotated_version``)."""
    if case.state_json is not None:
        raise Conflict(_("该办件的审批流程已启动"), code="workflow_already_started")
    version = version or process_version_for(case=case)
    deadlines = _deadlines(case)
    spec_json, spec_key = _spec_json_of(version)
    snapshot = workflow.start(
        spec_json,
        data=_initial_data(case),
        context=case,
        now=now,
        spec_key=spec_key,
        deadlines=deadlines if any(deadlines.values()) else None,
    )
    _save(case, snapshot, version=version, save=save)
    _sync_tasks(case, snapshot, new=True)  # not started before (checked above): no task rows yet
    return snapshot


_RAN = 32 | 64 | 128  # Spiff's TaskState STARTED, COMPLETED, ERROR: the task's code was run


@lru_cache(maxsize=64)
def _service_task_names(spec_key: tuple[int, str, str]) -> frozenset[str]:
    spec_json = _cached_spec_json(spec_key)
    specs = [spec_json["spec"], *(spec_json.get("subprocess_specs") or {}).values()]
    return frozenset(
        name
        for spec in specs
        for name, task_spec in spec["task_specs"].items()
        if task_spec.get("typename") == "HandlerServiceTask"
    )


# What a process's start cannot run past (a person's task waits) and what may run code of its own.
_WAITS = frozenset({"UserTask", "ManualTask"})
_RUNS_INNER_PROCESS = frozenset({"SubWorkflowTask", "CallActivity", "TransactionSubprocess"})


@lru_cache(maxsize=64)
def _start_reaches_handlers(spec_key: tuple[int, str, str]) -> bool:
    """Whether the start can run a service task before it waits: one is reachable from ``Start`` along
    the flows without passing a user or manual task. A sub-process reached so counts (its own start may
    run one); so does every branch of a gateway, and a timer or message event is walked through, which
    errs toward a savepoint that was not needed."""
    spec = _cached_spec_json(spec_key)["spec"]
    task_specs = spec["task_specs"]
    handlers = _service_task_names(spec_key)
    seen: set[str] = set()
    pending = ["Start"]
    while pending:
        name = pending.pop()
        if name in seen or name not in task_specs:
            continue
        seen.add(name)
        task_spec = task_specs[name]
        typename = task_spec.get("typename", "")
        if name in handlers or typename in _RUNS_INNER_PROCESS:
            return True
        if typename in _WAITS or task_spec.get("manual"):
            continue
        pending.extend(task_spec.get("outputs") or ())
    return False


def start_may_run_handlers(version: ProcessVersion) -> bool:
    """Whether starting the version's process may run a service task before its first user task (False:
    no handler can run at the start, so nothing of it would need undoing)."""
    _spec_json, spec_key = _spec_json_of(version)
    return _start_reaches_handlers(spec_key)


def start_ran_handlers(*, case: Case) -> bool:
    """Whether starting the case's workflow ran a service task (a handler saw the case, and may have
    written what it saw elsewhere). A process drawn with its user tasks first, as the 办件 processes are,
    runs none before the first user task."""
    version = case.process_version
    if version is None or case.state_json is None:
        return False
    _spec_json, spec_key = _spec_json_of(version)
    names = _service_task_names(spec_key)
    if not names:
        return False
    trees = [case.state_json.get("tasks") or {}]
    trees += [sub.get("tasks") or {} for sub in (case.state_json.get("subprocesses") or {}).values()]
    return any(
        task.get("task_spec") in names and int(task.get("state") or 0) & _RAN
        for tree in trees
        for task in tree.values()
    )


@transaction.atomic
def complete(
    *, case: Case, task: CaseTask, actor: User | None, data: dict[str, Any], now: dt.datetime | None = None
) -> workflow.Snapshot:
    """Complete a ready task of this case with ``data`` (its outcome) and run the process on."""
    if task.case_id != case.pk or task.state != TaskState.READY:
        raise Conflict(_("该环节当前不可办理"), code="task_not_ready")
    snapshot = workflow.complete_task(
        _spec(case), case.state_json or {}, task_id=task.task_id, data=data, context=case, now=now
    )
    task.state = TaskState.COMPLETED
    task.completed_at = timezone.now()
    task.completed_by = actor if actor is not None and actor.is_authenticated else None
    task.outcome = data
    task.save(update_fields=["state", "completed_at", "completed_by", "outcome"])
    store_snapshot(case=case, snapshot=snapshot)
    return snapshot


@transaction.atomic
def set_deadlines(*, case: Case) -> workflow.Snapshot | None:
    """Move the waiting deadline timers to the case's current ``promised_due``/``statutory_due``.

    Spiff evaluates a timer once; after the clock moves the dates (a suspension, an extension) the
    cached instants are rewritten here. None when the case has no workflow (not started).
    """
    if case.process_version_id is None or case.state_json is None:
        return None
    snapshot = workflow.set_deadlines(_spec(case), case.state_json, deadlines=_deadlines(case))
    _save(case, snapshot)
    CaseTask.objects.filter(case=case, state=TaskState.READY, is_escalation=False).update(
        due_on=case.promised_due
    )
    return snapshot


def fire_due_timers(*, now: dt.datetime | None = None, limit: int = 100) -> int:
    """Fire the timers of up to ``limit`` cases whose next timer is due; each case in its own transaction.

    A case locked by someone else is skipped (``SKIP LOCKED``) and found again on the next run. A case
    whose step fails is logged and retried an hour later instead of blocking the others.
    """
    now = now or timezone.now()
    due_ids = list(
        Case.objects.filter(next_timer_at__lte=now, process_version__isnull=False)
        .order_by("next_timer_at")
        .values_list("pk", flat=True)[:limit]
    )
    calendar = load_calendar()
    fired = 0
    for case_id in due_ids:
        try:
            fired += _fire_case(case_id, now=now, calendar=calendar)
        except Exception:
            logger.exception("firing the timers of case %s failed; retrying later", case_id)
            Case.objects.filter(pk=case_id, next_timer_at__lte=now).update(
                next_timer_at=now + RETRY_AFTER_FAILURE
            )
    return fired


@transaction.atomic
def _fire_case(case_id: int, *, now: dt.datetime, calendar: WorkdayCalendar) -> int:
    case = (
        Case.objects.select_for_update(skip_locked=True, of=("self",), no_key=True)
        .select_related("process_version")
        .filter(Q(pk=case_id) & Q(next_timer_at__lte=now))
        .first()
    )
    if case is None or case.state_json is None:
        return 0
    before = {task.task_id for task in workflow_ready(case)}
    snapshot = workflow.fire_timers(_spec(case), case.state_json, context=case, now=now, calendar=calendar)
    store_snapshot(case=case, snapshot=snapshot)
    record_event(
        action=AuditAction.TIMERS_FIRED,
        target=case,
        department=case.department,
        details={
            "due_at": now.isoformat(),
            "new_tasks": [t.bpmn_id for t in snapshot.ready_tasks if t.task_id not in before],
            "next_timer_at": snapshot.next_timer_at.isoformat() if snapshot.next_timer_at else None,
        },
    )
    return 1


def workflow_ready(case: Case) -> list[CaseTask]:
    """The case's ready task rows (the projection; no workflow is loaded)."""
    return list(CaseTask.objects.filter(case=case, state=TaskState.READY))
