"""Reads of 投诉、咨询、建议 and their access gates.

Who sees a feedback: its filer (by account), an anonymous filer (by number and query code), and staff
whose supervision scope (``selectors.scope``) or ``complaint.handle`` covers its current department.
Who acts on it: ``complaint.handle`` in its current department, or a supervisor overseeing its region
(publication and FAQ offers: the department only). Everyone else gets the "not found" a missing number
gets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from yiwang.applications.services.numbers import query_code_matches
from yiwang.audit.services import record_read
from yiwang.catalog.models import Implementation
from yiwang.core.errors import NotFound, PermissionDenied
from yiwang.core.pagination import DEFAULT_LIMIT, Page, paginate
from yiwang.identity.selectors import (
    assignment_covering_region,
    assignment_with_permission,
    department_ids_with_permission,
)

from ..constants import FaqOfferStatus, FeedbackStatus
from ..models import FaqOffer, Feedback
from .scope import HANDLE_COMPLAINTS, OVERSEE, SupervisionScope, supervision_scope_for

# identity grants no catalog permission of its own; this one is held by the department's data
# administrators only (StaffRole.DATA_ADMIN), who edit its guides.
GUIDE_EDITOR_PERMISSION = "exchange.manage"
OPEN_STATES = (FeedbackStatus.OPEN, FeedbackStatus.REOPENED)
READ_ACTION = "supervision.feedback_read"


def _not_found() -> NotFound:
    return NotFound(_("未找到该投诉咨询建议"), code="feedback_not_found")


def _is_user(actor: Any) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False) and actor.is_active)


def _with_relations(queryset: QuerySet[Feedback]) -> QuerySet[Feedback]:
    return queryset.select_related("department", "region", "item", "case", "citizen")


def _by_number(number: str) -> Feedback:
    from ..services.feedback import normalize_number  # the format lives with the numbering

    feedback = _with_relations(Feedback.objects.filter(number=normalize_number(number))).first()
    if feedback is None:
        raise _not_found()
    return feedback


# Citizens -----------------------------------------------------------------------------------------------


def access_feedback_by_number(*, actor: Any, number: str) -> Feedback:
    """The actor's own feedback; NotFound alike for missing and someone else's."""
    if not _is_user(actor):
        raise _not_found()
    feedback = _by_number(number)
    if feedback.citizen_id != actor.pk:
        raise _not_found()
    return feedback


def access_feedback_by_code(*, number: str, query_code: str) -> Feedback:
    """The feedback whose number and query code match (anonymous follow-up); NotFound alike otherwise."""
    try:
        feedback = _by_number(number)
    except NotFound:
        feedback = None
    code_hash = feedback.query_code_hash if feedback is not None else "0" * 64
    matches = query_code_matches(code=query_code, code_hash=code_hash)  # same work for a missing number
    if feedback is None or not matches:
        raise _not_found()
    return feedback


def list_my_feedback(*, actor: Any, cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> Page[Feedback]:
    if not _is_user(actor):
        return Page(items=[], next_cursor=None)
    queryset = _with_relations(Feedback.objects.filter(citizen=actor))
    return paginate(queryset, ordering=["-created_at", "-id"], cursor=cursor, limit=limit)


def public_events(feedback: Feedback) -> list[Any]:
    """The history the filer sees (reminders and FAQ offers are internal)."""
    return list(feedback.events.filter(is_public=True).select_related("from_department", "to_department"))


# Staff --------------------------------------------------------------------------------------------------


def staff_scope(actor: Any) -> SupervisionScope:
    """Supervision scope (heads, supervisors) plus the departments where the actor handles complaints."""
    scope = supervision_scope_for(actor)
    handled = frozenset(department_ids_with_permission(actor, HANDLE_COMPLAINTS))
    return SupervisionScope(
        department_ids=scope.department_ids | handled, region_prefixes=scope.region_prefixes
    )


@transaction.atomic
def access_feedback_for_staff(*, actor: Any, number: str) -> Feedback:
    """The feedback if its department is in the actor's scope (the read of the filer's contact logged)."""
    if not _is_user(actor) or not getattr(actor, "is_staff_member", False):
        raise _not_found()
    feedback = _by_number(number)
    if not staff_scope(actor).covers(department_id=feedback.department_id, region_code=feedback.region_id):
        raise _not_found()
    citizen = feedback.citizen
    record_read(
        action=READ_ACTION,
        actor=actor,
        target=feedback,
        department=feedback.department,
        subject=(citizen.id_number or "") if citizen is not None else "",
        fields=["contact_name", "phone", "body"],
        purpose="办理投诉咨询建议",
    )
    return feedback


def handling_authority(*, actor: Any, feedback: Feedback, department_only: bool = False) -> Any:
    """The staff role on which the actor may answer or transfer the feedback, or None."""
    if not _is_user(actor):
        return None
    assignment = assignment_with_permission(
        actor=actor,
        permission=HANDLE_COMPLAINTS,
        department_id=feedback.department_id,
        region_code=feedback.region_id,
    )
    if assignment is None and not department_only:
        assignment = assignment_covering_region(
            actor=actor, permission=OVERSEE, region_code=feedback.region_id
        )
    return assignment


def require_handling(*, actor: Any, feedback: Feedback, department_only: bool = False) -> Any:
    assignment = handling_authority(actor=actor, feedback=feedback, department_only=department_only)
    if assignment is None:
        raise PermissionDenied(_("您无权办理该投诉咨询建议"), code="not_handler")
    return assignment


def require_guide_editor(*, actor: Any, implementation: Implementation) -> Any:
    assignment = (
        assignment_with_permission(
            actor=actor,
            permission=GUIDE_EDITOR_PERMISSION,
            department_id=implementation.department_id,
            region_code=implementation.region_id,
        )
        if _is_user(actor)
        else None
    )
    if assignment is None:
        raise PermissionDenied(_("只有办事指南的编辑人员（部门数据管理员）可以采纳"), code="not_guide_editor")
    return assignment


def authority_facts(assignment: Any) -> dict[str, Any]:
    return {
        "actor_role": assignment.role,
        "actor_department": assignment.department,
        "actor_region_code": assignment.region_id,
    }


def list_department_queue(
    *, actor: Any, include_closed: bool = False, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[Feedback]:
    """The feedback in the actor's scope, the soonest expected answer first (open ones only by default)."""
    if not _is_user(actor) or not getattr(actor, "is_staff_member", False):
        return Page(items=[], next_cursor=None)
    queryset = _with_relations(Feedback.objects.filter(staff_scope(actor).q()))
    if not include_closed:
        queryset = queryset.filter(status__in=OPEN_STATES)
    return paginate(queryset, ordering=["expected_on", "id"], cursor=cursor, limit=limit)


def list_pending_faq_offers(*, actor: Any) -> list[FaqOffer]:
    """The FAQ offers waiting for this guide editor (their departments' items)."""
    departments = department_ids_with_permission(actor, GUIDE_EDITOR_PERMISSION) if _is_user(actor) else set()
    return list(
        FaqOffer.objects.filter(
            status=FaqOfferStatus.PENDING, feedback__department_id__in=sorted(departments)
        )
        .select_related("feedback", "item")
        .order_by("created_at", "pk")
    )


def access_faq_offer(*, actor: Any, offer_id: int) -> FaqOffer:
    departments = department_ids_with_permission(actor, GUIDE_EDITOR_PERMISSION) if _is_user(actor) else set()
    offer = FaqOffer.objects.filter(pk=offer_id, feedback__department_id__in=sorted(departments)).first()
    if offer is None:
        raise NotFound(_("未找到该推荐"), code="offer_not_found")
    return offer


# Public and the dashboards ---------------------------------------------------------------------------------


def list_published_answers(
    *, item_id: int, region_code: str | None = None, limit: int = 10
) -> list[Feedback]:
    """Published, anonymized consultation answers of an item (of the guide's region when given)."""
    queryset = Feedback.objects.filter(item_id=item_id, published_at__isnull=False)
    if region_code:
        queryset = queryset.filter(region_id=region_code)
    return list(
        queryset.only("number", "published_question", "published_answer", "published_at").order_by(
            "-published_at", "-pk"
        )[:limit]
    )


@dataclass(frozen=True)
class TopicCount:
    kind: str
    key: str  # the item code, or the department's credit code
    name: str
    count: int


def count_feedback_by_topic(
    *,
    scope: SupervisionScope | None,
    group_by: str = "item",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> list[TopicCount]:
    """Feedback filed in [date_from, date_to] counted by kind × item (or × department), most first.

    ``scope`` None counts everything (public figures); otherwise only what the scope covers.
    """
    queryset = Feedback.objects.all() if scope is None else Feedback.objects.filter(scope.q())
    if date_from is not None:
        queryset = queryset.filter(created_at__date__gte=date_from)
    if date_to is not None:
        queryset = queryset.filter(created_at__date__lte=date_to)
    if group_by == "department":
        fields = ("kind", "department__credit_code", "department__name")
    elif group_by == "item":
        queryset = queryset.filter(item__isnull=False)
        fields = ("kind", "item__code", "item__name")
    else:
        raise ValueError(f"unknown group_by {group_by!r}")
    rows = queryset.values(*fields).annotate(n=Count("id")).order_by("-n", *fields)
    return [
        TopicCount(kind=row[fields[0]], key=row[fields[1]], name=row[fields[2]], count=row["n"])
        for row in rows
    ]


__all__ = [
    "GUIDE_EDITOR_PERMISSION",
    "HANDLE_COMPLAINTS",
    "TopicCount",
    "access_faq_offer",
    "access_feedback_by_code",
    "access_feedback_by_number",
    "access_feedback_for_staff",
    "authority_facts",
    "count_feedback_by_topic",
    "handling_authority",
    "list_department_queue",
    "list_my_feedback",
    "list_pending_faq_offers",
    "list_published_answers",
    "public_events",
    "require_guide_editor",
    "require_handling",
    "staff_scope",
]
