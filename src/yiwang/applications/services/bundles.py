"""一件事: a bundle application (the parent case) and its sub-cases, one per implementation of the bundle.

The applicant files one form and one set of materials; ``fan_out`` gives each part's department its own
sub-case (its own number, department, region and workflow), with only the answers its form asks for and
the materials its guide lists (shared by reference: the same stored file, license or vault item, never a
copy). The parts run in parallel. The parent keeps one clock (the bundle's promised limit, from
``clock``); ``critical_path`` names the open sub-case that holds it up. The parent closes only when every
sub-case has closed: approved if every part was approved, otherwise refused with each part that was not
approved explained (``close_parent_if_done``); ``ensure_parent_can_close`` refuses any attempt earlier.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiwang.audit.services import record_event
from yiwang.catalog.models import BundleItem, Implementation
from yiwang.core.errors import Conflict

from ..constants import (
    CASE_CLOSED,
    CASE_SUBMITTED,
    OPEN_STATUSES,
    AuditAction,
    CaseStatus,
    Decision,
)
from ..models import ApplicationForm, Case, CaseEvent, CaseMaterial
from . import forms, materials, numbers, runtime
from .cases.recording import record_case_action


@dataclass(frozen=True)
class CriticalPath:
    """The open sub-case with the latest planned end: the parent cannot close before it does."""

    case: Case | None
    planned_end: dt.date | None
    open_parts: int
    is_late: bool  # its planned end is after the parent's promised date


# --- fan-out ----------------------------------------------------------------------------------------


def form_field_keys(schema: Mapping[str, Any]) -> set[str]:
    """The field keys a form asks (every section's fields)."""
    return {
        field["key"]
        for section in schema.get("sections", [])
        for field in section.get("fields", [])
        if isinstance(field, Mapping) and "key" in field
    }


def _part_data(parent: Case, form: ApplicationForm | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The parent's answers and prefill records restricted to what the part's form asks."""
    keys = form_field_keys(form.schema) if form is not None else set()
    data = {key: value for key, value in (parent.data or {}).items() if key in keys}
    prefilled = {key: value for key, value in (parent.prefilled or {}).items() if key in keys}
    return data, prefilled


def _share_materials(parent_materials: Iterable[CaseMaterial], child: Case, part: Implementation) -> int:
    """Give the sub-case the parent's materials its guide lists: new rows pointing at the same file,
    license or vault item (nothing is copied)."""
    guide = list(part.materials.all())
    ids = {material.pk for material in guide}
    keys = {materials.identity(material) for material in guide}
    shared = [
        CaseMaterial(
            case=child,
            material=material.material,
            key=material.key,
            name=material.name,
            source=material.source,
            trust=material.trust,
            license=material.license,
            vault_item=material.vault_item,
            file=material.file.name,
            file_name=material.file_name,
            content_type=material.content_type,
            size=material.size,
            sha256=material.sha256,
            note=material.note,
        )
        for material in parent_materials
        if material.material_id in ids or material.key in keys
    ]
    CaseMaterial.objects.bulk_create(shared)
    return len(shared)


def _part_situation(parent: Case, part: Implementation) -> dict[str, Any]:
    """The parent's situation answers to the part's own questions (its clock and materials evaluate them,
    and an answer to another part's question is refused there)."""
    codes = set(part.questions.values_list("code", flat=True))
    return {code: answer for code, answer in (parent.situation or {}).items() if code in codes}


def _create_part(parent: Case, part: Implementation, actor: Any) -> Case:
    form = forms.active_form_for(implementation=part)
    data, prefilled = _part_data(parent, form)
    day = timezone.localdate(parent.submitted_at)
    return Case.objects.create(
        number=numbers.new_case_number(region_code=part.region_id, day=day),
        query_code_hash=parent.query_code_hash,  # one query code for the whole application
        parent=parent,
        implementation=part,
        form=form,
        department=part.department,
        region=part.region,
        applicant=parent.applicant,
        applicant_kind=parent.applicant_kind,
        holder_code=parent.holder_code,
        holder_name=parent.holder_name,
        mandate=parent.mandate,
        channel=parent.channel,
        window_clerk=parent.window_clerk,
        visits=0,  # the visit, if any, is counted once, on the parent
        situation=_part_situation(parent, part),
        data=data,
        prefilled=prefilled,
        status=CaseStatus.SUBMITTED,
        submitted_at=parent.submitted_at,
    )


@transaction.atomic
def fan_out(*, parent: Case, actor: Any = None) -> list[Case]:
    """Create one sub-case per implementation of the parent's bundle and start each one's workflow.

    Runs in the submission's transaction (all parts or none). Calling it again returns the sub-cases.
    """
    bundle = parent.bundle
    if bundle is None or parent.parent_id is not None:
        raise Conflict("只有一件事的主件可以分送各部门", code="not_a_bundle_parent")
    existing = list(parent.children.order_by("pk"))
    if existing:
        return existing
    parts = BundleItem.objects.filter(bundle=bundle).select_related(
        "implementation__department", "implementation__region"
    )
    parent_materials = list(parent.materials.filter(superseded=False).order_by("pk"))
    children = []
    for item in parts.order_by("order", "pk"):
        child = _create_part(parent, item.implementation, actor)
        shared = _share_materials(parent_materials, child, item.implementation)
        runtime.start(case=child)
        record_case_action(
            case=child,
            actor=actor,
            action=AuditAction.CASE_SUBMITTED,
            topic=CASE_SUBMITTED,
            text=f"“{bundle.name}”一件事分送{child.department.name}办理（主件 {parent.number}）",
            details={"parent": parent.number, "materials_shared": shared},
            published={"submitted_at": child.submitted_at.isoformat()},
        )
        children.append(child)
    if not children:
        raise Conflict("该一件事没有包含任何事项", code="bundle_empty")
    _fanned_out(parent, children, actor)
    return children


def _fanned_out(parent: Case, children: list[Case], actor: Any) -> None:
    user = actor if getattr(actor, "is_authenticated", False) else None
    names = "、".join(child.department.name for child in children)
    CaseEvent.objects.create(
        case=parent, kind="case.fanned_out", text=f"已分送{names}并联办理"[:500], actor=user
    )
    record_event(
        action=AuditAction.BUNDLE_FANNED_OUT,
        actor=user,
        target=parent,
        department=parent.department,
        subject=parent.holder_code,
        details={"number": parent.number, "parts": [child.number for child in children]},
    )


# --- the parent's clock -----------------------------------------------------------------------------


def _planned_end(case: Case) -> dt.date | None:
    return case.promised_due or case.statutory_due


def critical_path(*, parent: Case) -> CriticalPath:
    """Which open sub-case holds the parent up: the latest planned end (a part not yet accepted, whose
    dates are unknown, only when no open part has dates); ties go to the lower number."""
    open_parts = list(parent.children.filter(status__in=sorted(OPEN_STATUSES)).select_related("department"))
    if not open_parts:
        return CriticalPath(case=None, planned_end=None, open_parts=0, is_late=False)
    dated = [(end, part) for part in open_parts if (end := _planned_end(part)) is not None]
    if dated:
        latest = max(end for end, _part in dated)
        holding = min((part for end, part in dated if end == latest), key=lambda part: part.number)
    else:
        holding = min(open_parts, key=lambda part: part.number)
    planned_end = _planned_end(holding)
    is_late = bool(planned_end and parent.promised_due and planned_end > parent.promised_due)
    return CriticalPath(case=holding, planned_end=planned_end, open_parts=len(open_parts), is_late=is_late)


# --- closing ----------------------------------------------------------------------------------------


def _open_parts(parent: Case) -> list[Case]:
    return list(parent.children.filter(status__in=sorted(OPEN_STATUSES)).order_by("number"))


def ensure_parent_can_close(*, parent: Case) -> None:
    """Refuse to close a parent while any of its sub-cases is open (or before it has any)."""
    open_parts = _open_parts(parent)
    if open_parts:
        names = "、".join(f"{part.number}（{part.department.name}）" for part in open_parts)
        raise Conflict(
            f"一件事尚有分办件未办结，不能办结：{names}", code="bundle_parts_open", open=len(open_parts)
        )
    if not parent.children.exists():
        raise Conflict("一件事尚未分送各部门，不能办结", code="bundle_not_fanned_out")


def _part_outcome(part: Case) -> str:
    name = part.implementation.name if part.implementation is not None else part.number
    where = f"{name}（{part.department.name}，办件 {part.number}）"
    if part.status == CaseStatus.APPROVED:
        return f"{where}准予办理"
    if part.status == CaseStatus.WITHDRAWN:
        return f"{where}已撤回"
    label = "不予受理" if part.status == CaseStatus.NOT_ACCEPTED else "不予许可"
    basis = f"；依据：{part.decision_basis}" if part.decision_basis else ""
    return f"{where}{label}，理由：{part.decision_reason or '未说明'}{basis}"


def _outcome(parts: list[Case]) -> tuple[str, str, str, str]:
    """The parent's status, decision, reason and basis from its closed parts."""
    if all(part.status == CaseStatus.WITHDRAWN for part in parts):
        return CaseStatus.WITHDRAWN, "", "各部分办件均已撤回", ""
    if all(part.status == CaseStatus.APPROVED for part in parts):
        return CaseStatus.APPROVED, Decision.APPROVE, "各部门均已准予办理", ""
    failed = [part for part in parts if part.status != CaseStatus.APPROVED]
    reason = "以下部分未能办成：" + "；".join(_part_outcome(part) for part in failed)
    bases = "；".join(dict.fromkeys(part.decision_basis for part in failed if part.decision_basis))
    return CaseStatus.REFUSED, Decision.REFUSE, reason, bases


@transaction.atomic
def close_parent(*, parent: Case, actor: Any = None) -> Case:
    """Close the parent from its closed sub-cases; refused while any sub-case is open."""
    parent = (
        Case.objects.select_for_update(of=("self",), no_key=True)
        .select_related("bundle", "department")
        .get(pk=parent.pk)
    )
    if parent.status not in OPEN_STATUSES:
        raise Conflict("该一件事已办结", code="bundle_closed")
    ensure_parent_can_close(parent=parent)
    parts = list(parent.children.select_related("implementation", "department").order_by("number"))
    status, decision, reason, basis = _outcome(parts)
    now = timezone.now()
    parent.status, parent.decision, parent.decision_reason, parent.decision_basis = (
        status,
        decision,
        reason,
        basis,
    )
    parent.decided_at = parent.decided_at or now
    parent.closed_at, parent.next_timer_at = now, None
    results = "；".join(_part_outcome(part) for part in parts)
    text = ("一件事已办结：" if status == CaseStatus.APPROVED else "一件事已办结，未能全部办成：") + results
    record_case_action(
        case=parent,
        actor=actor,
        action=AuditAction.CASE_CLOSED,
        topic=CASE_CLOSED,
        text=text,
        changed=(
            "status",
            "decision",
            "decision_reason",
            "decision_basis",
            "decided_at",
            "closed_at",
            "next_timer_at",
        ),
        details={"parts": {part.number: part.status for part in parts}},
        published={"closed_at": now.isoformat(), "decision": decision},
    )
    return parent


@transaction.atomic
def close_parent_if_done(*, parent: Case, actor: Any = None) -> bool:
    """After a sub-case closed: close the parent if every sub-case has closed; whether it closed.

    Locks the parent row only (not the siblings): the last sub-case to close, waiting for that lock,
    sees every other one closed and closes the parent. The case services' ``lock_case`` has locked the
    parent before the sub-case already (a bundle's parent before its parts, never the other way).
    """
    locked = Case.objects.select_for_update(no_key=True).get(pk=parent.pk)
    if locked.status not in OPEN_STATUSES or _open_parts(locked) or not locked.children.exists():
        return False
    close_parent(parent=locked, actor=actor)
    return True
