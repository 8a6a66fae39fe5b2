"""Reads of applications: the access gates of a case, the applicant's list, the staff queue, public status.

Who may see a case:
- the applicant side: the person who applied for themself; the holder (the person, or the enterprise's
  legal representative) at assurance level 3; an agent whose mandate is in force for the holder and
  covers the case's item (an agent whose mandate ended loses sight of the cases filed under it);
- staff holding ``application.view`` in the case's department and for its region.
Everyone else gets the same "not found" as for a number that does not exist. Reads by agents and staff
are written to the audit log with their ground (the mandate, the case).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.audit.constants import GroundKind
from yiwang.audit.services import record_read
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.pagination import DEFAULT_LIMIT, Page, check_limit, paginate
from yiwang.identity.constants import ROLE_PERMISSIONS
from yiwang.identity.models import Mandate, StaffAssignment, User
from yiwang.identity.selectors import (
    assignment_with_permission,
    list_active_mandates_received,
    own_holder_codes,
)
from yiwang.regions.selectors import region_prefix

from .constants import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    ApplicantKind,
    AuditAction,
    CaseStatus,
    TaskState,
    TrustLevel,
)
from .models import Case, CaseEvent, CaseMaterial, CaseTask, SupplementRequest
from .services.clock import ClockView, describe
from .services.numbers import is_valid_case_number, normalize_case_number, query_code_matches

VIEW_PERMISSION = "application.view"
_CASE_RELATED = ("implementation__item", "bundle", "department", "region", "mandate")


def _not_found() -> NotFound:
    return NotFound(_("未找到该办件，请核对办件编号"), code="case_not_found")


def _is_user(actor: Any) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False) and actor.is_active)


# The applicant side --------------------------------------------------------------------------------


def principal_code(mandate: Mandate) -> str:
    """The code of the holder a mandate lets its agent act for (credit code or ID number)."""
    if mandate.enterprise is not None:
        return mandate.enterprise.credit_code
    return mandate.granted_by.id_number or ""


def mandate_item_ids(mandate: Mandate) -> set[int] | None:
    """The items a mandate covers (None: every item)."""
    if mandate.covers_all_items:
        return None
    return {item.pk for item in mandate.items.all()}


def applicant_side_q(actor: Any) -> Q:
    """Cases the actor sees as applicant, holder or mandated agent (a filter on ``Case``)."""
    nothing = Q(pk__in=[])
    if not _is_user(actor):
        return nothing
    visible = Q(applicant=actor, mandate__isnull=True, applicant_kind=ApplicantKind.PERSON)
    own = own_holder_codes(actor)  # level 3: the ID number and the enterprises represented
    if own:
        visible |= Q(holder_code__in=sorted(own))
    for mandate in list_active_mandates_received(user=actor):
        code = principal_code(mandate)
        if not code or code in own:
            continue
        items = mandate_item_ids(mandate)
        if items is None:
            visible |= Q(holder_code=code)
        else:
            # A bundle parent has no item of its own: the agent who filed it (covering every part) sees it.
            in_scope = Q(implementation__item_id__in=sorted(items)) | Q(
                implementation__isnull=True, applicant=actor
            )
            visible |= Q(holder_code=code) & in_scope
    return visible


def _is_holder_or_self(actor: User, case: Case) -> bool:
    if case.applicant_id == actor.pk and case.mandate_id is None:
        return True
    return case.holder_code in own_holder_codes(actor)


def is_applicant_side(*, actor: Any, case: Case) -> bool:
    """Whether the actor may act on the case as its applicant, holder or mandated agent."""
    return _is_user(actor) and Case.objects.filter(applicant_side_q(actor), pk=case.pk).exists()


def mandate_for(*, actor: Any, case: Case) -> Mandate | None:
    """The actor's mandate in force for the case's holder and item, if the actor acts as an agent."""
    if not _is_user(actor):
        return None
    item_id = case.implementation.item_id if case.implementation is not None else None
    for mandate in list_active_mandates_received(user=actor):
        if principal_code(mandate) != case.holder_code:
            continue
        items = mandate_item_ids(mandate)
        if items is None or item_id in items or (item_id is None and case.applicant_id == actor.pk):
            return mandate
    return None


# Staff ----------------------------------------------------------------------------------------------


def staff_assignment_for(*, actor: Any, case: Case, permissions: tuple[str, ...]) -> StaffAssignment | None:
    """The actor's staff role granting one of ``permissions`` in the case's department and region."""
    for permission in permissions:
        assignment = assignment_with_permission(
            actor=actor, permission=permission, department_id=case.department_id, region_code=case.region_id
        )
        if assignment is not None:
            return assignment
    return None


def staff_facts(assignment: StaffAssignment) -> dict[str, Any]:
    """The authority a staff member acted on, as the audit log records it."""
    return {
        "actor_role": assignment.role,
        "actor_department": assignment.department,
        "actor_region_code": assignment.region_id,
    }


@transaction.atomic
def _log_read(*, actor: User, case: Case, facts: dict[str, Any], purpose: str) -> None:
    record_read(
        action=AuditAction.CASE_READ,
        actor=actor,
        subject=case.holder_code,
        fields=("case",),
        purpose=purpose,
        target=case,
        department=case.department,
        **facts,
    )


def _staff_read(actor: Any, case: Case) -> bool:
    assignment = staff_assignment_for(actor=actor, case=case, permissions=(VIEW_PERMISSION,))
    if assignment is None:
        return False
    facts = {**staff_facts(assignment), "ground_kind": GroundKind.CASE, "ground_ref": case.number}
    _log_read(actor=actor, case=case, facts=facts, purpose="办件办理")
    return True


def _get_case(number: str) -> Case:
    value = normalize_case_number(number)
    case = Case.objects.select_related(*_CASE_RELATED).filter(number=value).first() if value else None
    if case is None:
        raise _not_found()
    return case


def access_case_by_number(*, actor: Any, number: str) -> Case:
    """The case if the actor may see it (applicant side or staff in scope); else NotFound, alike."""
    case = _get_case(number)
    if not _is_user(actor):
        raise _not_found()
    if is_applicant_side(actor=actor, case=case):
        if not _is_holder_or_self(actor, case):
            mandate = mandate_for(actor=actor, case=case)
            facts: dict[str, Any] = {"ground_kind": GroundKind.MANDATE}
            if mandate is not None:
                facts |= {
                    "mandate_id": mandate.pk,
                    "on_behalf_of": mandate.principal_label,
                    "ground_ref": str(mandate.pk),
                }
            _log_read(actor=actor, case=case, facts=facts, purpose="经办人查看办件")
        return case
    if _staff_read(actor, case):
        return case
    raise _not_found()


def access_case_for_staff(
    *, actor: Any, number: str, permissions: tuple[str, ...] = (VIEW_PERMISSION,)
) -> Case:
    """The case if the actor is staff holding one of ``permissions`` for it (the read is logged)."""
    case = _get_case(number)
    assignment = staff_assignment_for(actor=actor, case=case, permissions=permissions)
    if assignment is None:
        raise _not_found()
    facts = {**staff_facts(assignment), "ground_kind": GroundKind.CASE, "ground_ref": case.number}
    _log_read(actor=actor, case=case, facts=facts, purpose="办件办理")
    return case


def list_cases_for_applicant(
    *,
    actor: Any,
    status: str | None = None,
    holder_code: str | None = None,
    include_sub_cases: bool = False,
    item_code: str | None = None,
    submitted_from: dt.date | None = None,
    submitted_to: dt.date | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Case]:
    """The actor's cases as applicant, holder or agent, newest first (``status``: a status, open, closed;
    ``item_code``: a service item's code, a bundle parent matching through its parts; submission days
    from and to, inclusive, in local time)."""
    cases = Case.objects.filter(applicant_side_q(actor)).select_related(
        "implementation", "bundle", "department"
    )
    if not include_sub_cases:
        cases = cases.filter(parent__isnull=True)
    if status == "open":
        cases = cases.filter(status__in=sorted(OPEN_STATUSES))
    elif status == "closed":
        cases = cases.filter(status__in=sorted(CLOSED_STATUSES))
    elif status:
        if status not in CaseStatus.values:
            raise InvalidInput(_("办件状态不正确"), code="invalid_status", status=status)
        cases = cases.filter(status=status)
    if holder_code:
        cases = cases.filter(holder_code=holder_code)
    if item_code:
        parts = Case.objects.filter(implementation__item__code=item_code, parent__isnull=False)
        cases = cases.filter(Q(implementation__item__code=item_code) | Q(pk__in=parts.values("parent_id")))
    if submitted_from:
        cases = cases.filter(submitted_at__gte=_local_midnight(submitted_from))
    if submitted_to:
        cases = cases.filter(submitted_at__lt=_local_midnight(submitted_to + dt.timedelta(days=1)))
    return paginate(cases, ordering=["-submitted_at", "-id"], cursor=cursor, limit=limit)


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# The staff queue ------------------------------------------------------------------------------------

_QUEUE_SALT = "yiwang.applications.queue"


def _roles_viewing_cases() -> list[str]:
    return sorted(role for role, granted in ROLE_PERMISSIONS.items() if VIEW_PERMISSION in granted)


def queue_scope_q(actor: Any) -> Q:
    """Tasks the actor works on: of the actor's role (the lane), department and region, in SQL."""
    if not _is_user(actor) or not getattr(actor, "is_staff_member", False):
        return Q(pk__in=[])
    assignments = StaffAssignment.objects.filter(user=actor, role__in=_roles_viewing_cases()).select_related(
        "region"
    )
    scope = Q(pk__in=[])
    for assignment in assignments:
        prefix = region_prefix(code=assignment.region.code, level=assignment.region.level)
        scope |= Q(
            department_id=assignment.department_id, role=assignment.role, region__code__startswith=prefix
        )
    return scope


def _encode_cursor(due_on: dt.date | None, pk: int) -> str:
    signed = signing.dumps([due_on.isoformat() if due_on else None, pk], salt=_QUEUE_SALT, compress=True)
    return base64.urlsafe_b64encode(signed.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[dt.date | None, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        due, pk = signing.loads(base64.urlsafe_b64decode(padded).decode(), salt=_QUEUE_SALT)
        return (dt.date.fromisoformat(due) if due else None), int(pk)
    except (ValueError, TypeError, signing.BadSignature, UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidInput(_("分页游标无效，请从第一页重新查询"), code="invalid_cursor") from None


def _after(due_on: dt.date | None, pk: int) -> Q:
    """Tasks after (due_on, pk) in the order due date ascending, tasks without a date last, then id."""
    if due_on is None:
        return Q(due_on__isnull=True, pk__gt=pk)
    return Q(due_on__gt=due_on) | Q(due_on=due_on, pk__gt=pk) | Q(due_on__isnull=True)


# A queue row never shows the case's answers or its workflow (kilobytes of JSON a case to fetch and decode),
# nor the guide texts of its implementation or bundle
_QUEUE_DEFERRED = (
    "case__state_json",
    "case__data",
    "case__situation",
    "case__prefilled",
    "case__implementation__conditions",
    "case__implementation__process_description",
    "case__implementation__fee_basis",
    "case__implementation__missing_elements",
    "case__implementation__consistency_problems",
    "case__bundle__description",
)


def staff_queue(
    *,
    actor: Any,
    department_id: int | None = None,
    claimed: str | None = None,
    escalations_only: bool = False,
    item_id: int | None = None,
    case_status: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[CaseTask]:
    """Ready tasks in the actor's departments, roles and regions, soonest due first (keyset pages).

    ``claimed``: ``"mine"`` (claimed by the actor), ``"unclaimed"``, or None for both; ``item_id`` and
    ``case_status`` narrow by the case's service item and status. The filter is one SQL condition on
    ``CaseTask`` (index ``case_task_queue_idx``: department, state, due date).
    """
    limit = check_limit(limit)
    tasks = CaseTask.objects.filter(queue_scope_q(actor), state=TaskState.READY)
    if department_id is not None:
        tasks = tasks.filter(department_id=department_id)
    if claimed == "mine":
        tasks = tasks.filter(claimed_by=actor)
    elif claimed == "unclaimed":
        tasks = tasks.filter(claimed_by__isnull=True)
    elif claimed:
        raise InvalidInput(_("筛选条件不正确"), code="invalid_filter", claimed=claimed)
    if escalations_only:
        tasks = tasks.filter(is_escalation=True)
    if item_id is not None:
        tasks = tasks.filter(case__implementation__item_id=item_id)
    if case_status:
        if case_status not in CaseStatus.values:
            raise InvalidInput(_("办件状态不正确"), code="invalid_status", status=case_status)
        tasks = tasks.filter(case__status=case_status)
    if cursor:
        tasks = tasks.filter(_after(*_decode_cursor(cursor)))
    rows = list(
        tasks.select_related("case__implementation", "case__bundle", "claimed_by")
        .defer(*_QUEUE_DEFERRED)
        .order_by(F("due_on").asc(nulls_last=True), "pk")[: limit + 1]
    )
    items, more = rows[:limit], len(rows) > limit
    next_cursor = _encode_cursor(items[-1].due_on, items[-1].pk) if more and items else None
    return Page(items=items, next_cursor=next_cursor)


# Staff's view of one case ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MaterialView:
    material: CaseMaterial
    source_label: str
    trust_label: str


@dataclass(frozen=True)
class CaseDetail:
    """What the workbench shows of one case: form data, materials with trust, tasks, timeline, clock."""

    case: Case
    materials: list[MaterialView]
    tasks: list[CaseTask]
    events: list[CaseEvent]
    supplements: list[SupplementRequest]
    clock: ClockView
    sub_cases: list[Case] = field(default_factory=list)


def case_detail(*, actor: Any, number: str) -> CaseDetail:
    """The case for staff with ``application.view`` in its scope (the read is logged with the case)."""
    case = access_case_for_staff(actor=actor, number=number)
    materials = [
        MaterialView(
            material=material,
            source_label=material.get_source_display(),
            trust_label=str(TrustLevel(material.trust).label),
        )
        for material in case.materials.select_related("license", "material").order_by("superseded", "pk")
    ]
    return CaseDetail(
        case=case,
        materials=materials,
        tasks=list(case.tasks.select_related("claimed_by", "completed_by").order_by("pk")),
        events=list(case.events.select_related("actor", "department").order_by("at", "pk")),
        supplements=list(case.supplements.order_by("-requested_at")),
        clock=describe(case=case),
        sub_cases=list(case.children.select_related("implementation", "department").order_by("pk")),
    )


def list_case_events(*, case: Case, public_only: bool = True) -> QuerySet[CaseEvent]:
    """The case's timeline (the applicant sees the public rows)."""
    events = case.events.order_by("at", "pk")
    return events.filter(is_public=True) if public_only else events


# The public status query ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicEvent:
    at: dt.datetime
    text: str


@dataclass(frozen=True)
class PublicPart:
    name: str
    department: str
    status: str
    status_label: str


@dataclass(frozen=True)
class PublicStatus:
    """What anyone holding the number and the query code sees: no name, no ID number, no reasons."""

    number: str
    name: str
    department: str
    status: str
    status_label: str
    submitted_on: dt.date
    accepted_on: dt.date | None
    statutory_due: dt.date | None
    promised_due: dt.date | None
    closed_on: dt.date | None
    events: list[PublicEvent]
    parts: list[PublicPart]


def _local_date(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment else None


def public_status(*, number: str, query_code: str) -> PublicStatus:
    """The status of a case by its number and query code, without login; a wrong pair is "not found"."""
    value = normalize_case_number(number)
    case = None
    if is_valid_case_number(value):
        case = (
            Case.objects.select_related("implementation", "bundle", "department").filter(number=value).first()
        )
    if case is None or not query_code_matches(code=query_code, code_hash=case.query_code_hash):
        raise NotFound(_("办件编号或查询码不正确"), code="case_not_found")
    parts = [
        PublicPart(
            name=child.implementation.name if child.implementation else "",
            department=child.department.name,
            status=child.status,
            status_label=child.get_status_display(),
        )
        for child in case.children.select_related("implementation", "department").order_by("pk")
    ]
    return PublicStatus(
        number=case.number,
        name=case.implementation.name if case.implementation else (case.bundle.name if case.bundle else ""),
        department=case.department.name,
        status=case.status,
        status_label=case.get_status_display(),
        submitted_on=timezone.localdate(case.submitted_at),
        accepted_on=_local_date(case.accepted_at),
        statutory_due=case.statutory_due,
        promised_due=case.promised_due,
        closed_on=_local_date(case.closed_at),
        events=[PublicEvent(at=event.at, text=event.text) for event in list_case_events(case=case)],
        parts=parts,
    )
