"""What the staff workbench shows beyond ``selectors.case_detail``: the form's answers with the source of
each prefilled one, the actions the actor may take on a case, the colleagues a task can be handed over
to, a material's file for download (the read logged), and how near each queued task is to its deadline.

These are reads: the services in ``services.cases`` decide every action again (the page only offers what
they would allow, so a clerk is not shown buttons that can only fail).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiwang.audit.constants import GroundKind
from yiwang.audit.services import record_read
from yiwang.catalog.models import ServiceItem
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.workdays import WorkdayCalendar, load_calendar
from yiwang.identity.models import StaffAssignment, User
from yiwang.identity.selectors import (
    department_ids_with_permission,
    has_permission_in,
    list_holders_of_permission,
)
from yiwang.licenses.models import LicenseType

from .. import selectors
from ..constants import AuditAction, CaseStatus, TaskState
from ..models import Case, CaseMaterial, CaseTask
from . import results
from .cases.steps import task_permission
from .form_schema import iter_fields
from .forms import bundle_form

ACCEPT = "application.accept"
DECIDE = "application.decide"
VIEW = "application.view"
# A task whose deadline is this many working days away or fewer is shown as near its deadline.
NEAR_DUE_WORKING_DAYS = 2
BOOLEAN, CHOICE_TYPES = "boolean", ("choice", "multi_choice")  # field types (docs/applications-forms.md)
# Steps with their own action on the page (受理 and 决定); the others are completed with an opinion.
OWN_ACTION_STEPS = frozenset({"accept", "decide"})


# The form's answers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One answered field as staff read it; ``source`` names where a prefilled value came from."""

    key: str
    section: str
    label: str
    value: str
    source: str = ""


def _schema_of(case: Case) -> Mapping[str, Any]:
    if case.form is not None:
        return case.form.schema
    if case.bundle is not None:
        try:
            return bundle_form(bundle=case.bundle)
        except Exception:
            return {}
    return {}


def _option_labels(item: Mapping[str, Any]) -> dict[str, str]:
    return {str(option["value"]): str(option["label"]["zh"]) for option in item.get("options") or []}


def _shown(item: Mapping[str, Any], value: Any) -> str:
    if item.get("type") == BOOLEAN:
        return "是" if value in (True, "true", "1", 1) else "否"
    if item.get("type") in CHOICE_TYPES:
        labels = _option_labels(item)
        values = value if isinstance(value, list) else [value]
        return "、".join(labels.get(str(one), str(one)) for one in values)
    if isinstance(value, list):
        return "、".join(str(one) for one in value)
    return "" if value is None else str(value)


def form_answers(*, case: Case) -> list[Answer]:
    """The case's answers in the form's order, labelled; the keys the form no longer names come last."""
    data, prefilled = case.data or {}, case.prefilled or {}
    answers, seen = [], set()
    for section, item in iter_fields(_schema_of(case)):
        key = item["key"]
        if key not in data or key in seen:
            continue
        seen.add(key)
        source = prefilled.get(key, {}).get("label", "") if key in prefilled else ""
        answers.append(
            Answer(
                key=key,
                section=str(section.get("label", {}).get("zh", "")),
                label=str(item.get("label", {}).get("zh", key)),
                value=_shown(item, data[key]),
                source=str(source or ""),
            )
        )
    for key in sorted(set(data) - seen):
        source = str(prefilled.get(key, {}).get("label", "")) if key in prefilled else ""
        answers.append(Answer(key=key, section="", label=key, value=_shown({}, data[key]), source=source))
    return answers


# What the actor may do -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskActions:
    """One ready task and what the actor may do with it."""

    task: CaseTask
    may_work: bool  # the actor holds the task's lane permission in its department and region
    may_claim: bool
    may_hand_over: bool
    may_complete: bool  # a step completed with an opinion (审查, 会签 …), not 受理 or 决定
    claimed_by_other: bool


@dataclass(frozen=True)
class CaseActions:
    """The actions the page offers the actor on one case (the services check each again)."""

    accept: bool = False
    refuse_to_accept: bool = False
    request_supplement: bool = False
    suspend: bool = False
    resume: bool = False
    extend: bool = False
    decide: bool = False
    tasks: list[TaskActions] = field(default_factory=list)

    @property
    def any(self) -> bool:
        flags = (self.accept, self.refuse_to_accept, self.request_supplement, self.suspend, self.resume)
        return any(flags) or self.extend or self.decide or any(t.may_work for t in self.tasks)


def _holds(actor: User, case: Case, permission: str) -> bool:
    return has_permission_in(
        actor=actor, permission=permission, department_id=case.department_id, region_code=case.region_id
    )


def _task_actions(actor: User, case: Case, task: CaseTask) -> TaskActions:
    may_work = has_permission_in(
        actor=actor,
        permission=task_permission(task.role),
        department_id=task.department_id,
        region_code=task.region_id or case.region_id,
    )
    mine_or_free = task.claimed_by_id in (None, actor.pk)
    is_open = case.status in (CaseStatus.SUBMITTED, CaseStatus.SUPPLEMENT, CaseStatus.ACCEPTED)
    is_open = is_open or case.status == CaseStatus.SUSPENDED
    return TaskActions(
        task=task,
        may_work=may_work,
        may_claim=may_work and is_open and task.claimed_by_id is None,
        may_hand_over=may_work and is_open and mine_or_free,
        may_complete=may_work
        and mine_or_free
        and case.status == CaseStatus.ACCEPTED
        and task.bpmn_id not in OWN_ACTION_STEPS,
        claimed_by_other=not mine_or_free,
    )


def _decide_task_free(tasks: Iterable[TaskActions]) -> bool:
    return any(t.may_work and not t.claimed_by_other for t in tasks if t.task.bpmn_id == "decide")


def case_actions(*, actor: User, case: Case, tasks: Iterable[CaseTask]) -> CaseActions:
    """What the page offers: by the case's status, the actor's permissions and the ready tasks."""
    ready = [task for task in tasks if task.state == TaskState.READY]
    task_actions = [_task_actions(actor, case, task) for task in ready]
    accepts, decides = _holds(actor, case, ACCEPT), _holds(actor, case, DECIDE)
    status = case.status
    return CaseActions(
        accept=accepts and status == CaseStatus.SUBMITTED,
        refuse_to_accept=accepts and status in (CaseStatus.SUBMITTED, CaseStatus.SUPPLEMENT),
        request_supplement=(accepts and status == CaseStatus.SUBMITTED)
        or ((accepts or decides) and status == CaseStatus.ACCEPTED),
        suspend=decides and status == CaseStatus.ACCEPTED,
        resume=decides and status == CaseStatus.SUSPENDED,
        extend=decides and status in (CaseStatus.ACCEPTED, CaseStatus.SUSPENDED),
        decide=decides and status == CaseStatus.ACCEPTED and _decide_task_free(task_actions),
        tasks=task_actions,
    )


# The result e-license's surface -------------------------------------------------------------------


@dataclass(frozen=True)
class SurfaceField:
    """A surface field of the result e-license that the approver enters with the decision."""

    key: str
    label: str
    kind: str  # the schema's type: string, number, integer
    is_required: bool


def _recorded_surface(case: Case) -> dict[str, Any]:
    recorded: dict[str, Any] = {}
    done = CaseTask.objects.filter(case=case, state=TaskState.COMPLETED).order_by("completed_at", "pk")
    for outcome in done.values_list("outcome", flat=True):
        earlier = outcome.get("result_surface") if isinstance(outcome, dict) else None
        if isinstance(earlier, dict):
            recorded.update(earlier)
    return recorded


def result_surface_fields(*, case: Case) -> tuple[LicenseType | None, list[SurfaceField]]:
    """The result e-license's type and the surface fields that neither the answers, the earlier steps nor
    the case itself give (holder, number, date): the approver enters them (``decide(result_surface=…)``)."""
    code = case.implementation.result_license_type if case.implementation is not None else ""
    license_type = LicenseType.objects.filter(code=code).first() if code else None
    if license_type is None:
        return None, []
    properties: Mapping[str, Mapping[str, Any]] = license_type.field_schema.get("properties", {})
    required = set(license_type.field_schema.get("required", []))
    given = {**results.form_answers_for_result(case), **_recorded_surface(case)}
    # What the case fills, with only the types checked (the real schema's rules apply when it is issued).
    loose = LicenseType(
        code=license_type.code,
        name=license_type.name,
        holder_kind=license_type.holder_kind,
        field_schema={
            "type": "object",
            "properties": {key: {"type": spec.get("type", "string")} for key, spec in properties.items()},
        },
    )
    try:
        filled = results.result_surface(case=case, license_type=loose, given=given)
    except InvalidInput:
        filled = {}
    fields = [
        SurfaceField(
            key=key,
            label=str(spec.get("title") or key),
            kind=str(spec.get("type", "string")),
            is_required=key in required,
        )
        for key, spec in properties.items()
        if key not in filled
    ]
    return license_type, fields


# Handing over ----------------------------------------------------------------------------------------


def handover_candidates(*, actor: User, case: Case, task: CaseTask) -> list[StaffAssignment]:
    """Colleagues who could take the task over: the task's lane permission in its department and region."""
    holders = list_holders_of_permission(
        permission=task_permission(task.role), region_code=task.region_id or case.region_id
    )
    seen: set[int] = set()
    found = []
    for assignment in holders:
        if assignment.department_id != task.department_id or assignment.user_id in seen:
            continue
        if assignment.user_id == actor.pk:
            continue
        seen.add(assignment.user_id)
        found.append(assignment)
    return found


# A material's file -----------------------------------------------------------------------------------


@transaction.atomic
def open_case_material(*, actor: Any, number: str, material_id: int) -> CaseMaterial:
    """A material of a case for staff who may see the case; the download is logged with the case as its
    ground. Anyone else, and a material without a file, gets "not found"."""
    case = selectors.access_case_for_staff(actor=actor, number=number)
    material = (
        CaseMaterial.objects.filter(case=case, pk=material_id).exclude(file="").select_related("case").first()
    )
    assignment = selectors.staff_assignment_for(actor=actor, case=case, permissions=(VIEW,))
    if material is None or assignment is None:
        raise NotFound("未找到该材料", code="material_not_found")
    record_read(
        action=AuditAction.CASE_READ,
        actor=actor,
        subject=case.holder_code,
        fields=("material",),
        purpose="办件办理：查阅申请材料",
        target=case,
        department=case.department,
        ground_kind=GroundKind.CASE,
        ground_ref=case.number,
        details={"material": material.key, "sha256": material.sha256, "source": material.source},
        **selectors.staff_facts(assignment),
    )
    return material


@transaction.atomic
def open_decision_document(*, actor: Any, number: str) -> Case:
    """The case's decision document (决定书) for staff who may see the case; the download is logged."""
    case = selectors.access_case_for_staff(actor=actor, number=number)
    assignment = selectors.staff_assignment_for(actor=actor, case=case, permissions=(VIEW,))
    if not case.decision_document or assignment is None:
        raise NotFound("该办件尚无决定书", code="decision_document_not_found")
    record_read(
        action=AuditAction.CASE_READ,
        actor=actor,
        subject=case.holder_code,
        fields=("decision_document",),
        purpose="办件办理：查阅决定书",
        target=case,
        department=case.department,
        ground_kind=GroundKind.CASE,
        ground_ref=case.number,
        **selectors.staff_facts(assignment),
    )
    return case


# The queue ---------------------------------------------------------------------------------------------


def queue_item_choices(*, actor: Any, limit: int = 300) -> list[tuple[int, str]]:
    """The service items of the departments whose cases the actor sees (the queue's item filter)."""
    departments = sorted(department_ids_with_permission(actor, VIEW))
    items = (
        ServiceItem.objects.filter(implementations__department_id__in=departments)
        .distinct()
        .order_by("name", "pk")
        .values_list("pk", "name")
    )
    return list(items[:limit])


# Deadlines in the queue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Urgency:
    """How near a task is to its deadline: overdue, near (a few working days), or neither."""

    is_overdue: bool
    is_near: bool
    working_days_left: int | None

    @property
    def days_overdue(self) -> int:
        return -self.working_days_left if self.is_overdue and self.working_days_left else 0


def calendar_for_queue(*, days: Iterable[dt.date | None], today: dt.date | None = None) -> WorkdayCalendar:
    today = today or timezone.localdate()
    years = {today.year, today.year + 1} | {day.year for day in days if day is not None}
    return load_calendar(sorted(years))


def urgency(*, due_on: dt.date | None, calendar: WorkdayCalendar, today: dt.date | None = None) -> Urgency:
    """Overdue past ``due_on``; near when at most ``NEAR_DUE_WORKING_DAYS`` working days are left."""
    today = today or timezone.localdate()
    if due_on is None:
        return Urgency(is_overdue=False, is_near=False, working_days_left=None)
    if due_on < today:
        return Urgency(
            is_overdue=True, is_near=False, working_days_left=-calendar.working_days_between(due_on, today)
        )
    left = calendar.working_days_between(today, due_on)
    return Urgency(is_overdue=False, is_near=left <= NEAR_DUE_WORKING_DAYS, working_days_left=left)
