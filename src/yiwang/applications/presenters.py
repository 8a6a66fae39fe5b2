"""Plain dicts of cases, tasks, forms and the public status, as the API answers them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from django.urls import reverse

from .constants import TaskState, TrustLevel
from .models import Case, CaseEvent, CaseMaterial, CaseTask, SupplementRequest
from .selectors import CaseDetail, PublicStatus, list_case_events
from .services.applicant_forms import ApplicantForm
from .services.clock import ClockView, describe
from .services.materials import MaterialPlanItem


def case_name(case: Case) -> str:
    if case.implementation is not None:
        return case.implementation.name
    return case.bundle.name if case.bundle is not None else ""


def detail_url(number: str) -> str:
    return reverse("api-v1:application_detail", kwargs={"number": number})


def submission_out(case: Case, *, query_code: str | None) -> dict[str, Any]:
    return {
        "number": case.number,
        "status": case.status,
        "status_label": str(case.get_status_display()),
        "submitted_at": case.submitted_at,
        "query_code": query_code,
        "detail_url": detail_url(case.number),
        "receipt_url": reverse("api-v1:application_receipt", kwargs={"number": case.number}),
    }


def case_summary(case: Case) -> dict[str, Any]:
    return {
        "number": case.number,
        "name": case_name(case),
        "implementation_code": case.implementation.code if case.implementation is not None else None,
        "bundle_code": case.bundle.code if case.bundle is not None else None,
        "department": case.department.name,
        "applicant_kind": case.applicant_kind,
        "holder_name": case.holder_name,
        "status": case.status,
        "status_label": str(case.get_status_display()),
        "channel": case.channel,
        "revision": case.revision,
        "submitted_at": case.submitted_at,
        "accepted_at": case.accepted_at,
        "statutory_due": case.statutory_due,
        "promised_due": case.promised_due,
        "closed_at": case.closed_at,
    }


def person_out(user: Any) -> dict[str, str] | None:
    if user is None:
        return None
    return {"public_id": str(user.public_id), "name": user.full_name}


def task_out(task: CaseTask) -> dict[str, Any]:
    return {
        "id": task.pk,
        "bpmn_id": task.bpmn_id,
        "name": task.name,
        "role": task.role,
        "department": task.department.name,
        "state": task.state,
        "claimed_by": person_out(task.claimed_by),
        "due_on": task.due_on,
        "is_escalation": task.is_escalation,
        "created_at": task.created_at,
        "completed_at": task.completed_at,
    }


def queue_task_out(task: CaseTask) -> dict[str, Any]:
    return {
        "id": task.pk,
        "case_number": task.case.number,
        "case_name": case_name(task.case),
        "case_status": task.case.status,
        "bpmn_id": task.bpmn_id,
        "name": task.name,
        "role": task.role,
        "department_id": task.department_id,
        "claimed_by": person_out(task.claimed_by),
        "due_on": task.due_on,
        "is_escalation": task.is_escalation,
        "created_at": task.created_at,
    }


def _event_out(event: CaseEvent) -> dict[str, Any]:
    return {"at": event.at, "kind": event.kind, "text": event.text, "is_public": event.is_public}


def _material_out(material: CaseMaterial) -> dict[str, Any]:
    return {
        "key": material.key,
        "name": material.name,
        "source": material.source,
        "source_label": str(material.get_source_display()),
        "trust": material.trust,
        "trust_label": str(TrustLevel(material.trust).label),
        "license_identifier": material.license.identifier if material.license is not None else None,
        "file_name": material.file_name,
        "content_type": material.content_type,
        "size": material.size,
        "sha256": material.sha256,
        "superseded": material.superseded,
        "note": material.note,
    }


def _supplement_out(request: SupplementRequest) -> dict[str, Any]:
    return {
        "id": request.pk,
        "items": request.items,
        "note": request.note,
        "requested_at": request.requested_at,
        "answered_at": request.answered_at,
    }


def _part_out(part: Case) -> dict[str, Any]:
    return {
        "number": part.number,
        "name": case_name(part),
        "department": part.department.name,
        "status": part.status,
        "status_label": str(part.get_status_display()),
        "promised_due": part.promised_due,
    }


def _prefill_sources(prefilled: Mapping[str, Any]) -> dict[str, str]:
    sources = {}
    for key, entry in (prefilled or {}).items():
        if isinstance(entry, Mapping):
            sources[key] = str(entry.get("label") or entry.get("source") or "")
    return sources


def _case_out(
    case: Case,
    *,
    view: str,
    clock: ClockView,
    events: Iterable[CaseEvent],
    materials: Iterable[CaseMaterial],
    supplements: Iterable[SupplementRequest],
    parts: Iterable[Case],
    tasks: Iterable[CaseTask],
) -> dict[str, Any]:
    return {
        **case_summary(case),
        "view": view,
        "holder_code": case.holder_code,
        "item_code": case.implementation.item.code if case.implementation is not None else None,
        "parent": case.parent.number if case.parent is not None else None,
        "data": case.data,
        "prefilled": _prefill_sources(case.prefilled),
        "decision": case.decision,
        "decision_reason": case.decision_reason,
        "decision_basis": case.decision_basis,
        "result_license": case.result_license.identifier if case.result_license is not None else None,
        "flagged_reason": case.flagged_reason,
        "clock": dataclasses.asdict(clock),
        "timeline": [_event_out(event) for event in events],
        "materials": [_material_out(material) for material in materials],
        "supplements": [_supplement_out(request) for request in supplements],
        "parts": [_part_out(part) for part in parts],
        "tasks": [task_out(task) for task in tasks],
    }


def applicant_case_out(case: Case) -> dict[str, Any]:
    """The case as its applicant, holder or mandated agent sees it: the public timeline, no tasks."""
    return _case_out(
        case,
        view="applicant",
        clock=describe(case=case),
        events=list_case_events(case=case),
        materials=case.materials.select_related("license").order_by("superseded", "pk"),
        supplements=case.supplements.order_by("-requested_at"),
        parts=case.children.select_related("implementation", "bundle", "department").order_by("pk"),
        tasks=(),
    )


def staff_case_out(detail: CaseDetail) -> dict[str, Any]:
    """The case as staff in its scope see it: every timeline row and the workflow's tasks."""
    return _case_out(
        detail.case,
        view="staff",
        clock=detail.clock,
        events=detail.events,
        materials=[view.material for view in detail.materials],
        supplements=detail.supplements,
        parts=detail.sub_cases,
        tasks=detail.tasks,
    )


def case_state_out(case: Case) -> dict[str, Any]:
    ready = case.tasks.filter(state=TaskState.READY).select_related("department", "claimed_by").order_by("pk")
    return {
        "number": case.number,
        "status": case.status,
        "status_label": str(case.get_status_display()),
        "revision": case.revision,
        "statutory_due": case.statutory_due,
        "promised_due": case.promised_due,
        "ready_tasks": [task_out(task) for task in ready],
    }


def _options(item: Mapping[str, Any]) -> list[dict[str, str]]:
    return [
        {"value": str(option.get("value", "")), "label": _zh(option.get("label"))}
        for option in item.get("options") or []
    ]


def _zh(value: Any) -> str:
    if isinstance(value, Mapping):
        return str(value.get("zh") or "")
    return str(value or "")


def form_field_out(item: Mapping[str, Any], prefilled: Mapping[str, Any] | None) -> dict[str, Any]:
    return {
        "key": item["key"],
        "section": item.get("section", ""),
        "label": _zh(item.get("label")),
        "type": item.get("type", "text"),
        "required": bool(item.get("is_required", item.get("required", False))),
        "help": _zh(item.get("help")),
        "placeholder": _zh(item.get("placeholder")),
        "options": _options(item),
        "validation": dict(item.get("validation") or {}),
        "material": item.get("material"),
        "locked": prefilled is not None,
        "prefill": (
            {
                "value": prefilled.get("value"),
                "source": str(prefilled.get("source", "")),
                "label": str(prefilled.get("label", "")),
            }
            if prefilled is not None
            else None
        ),
    }


def planned_material_out(item: MaterialPlanItem) -> dict[str, Any]:
    return {
        "key": item.key,
        "name": item.name,
        "requirement": item.requirement,
        "satisfied_by": item.satisfied_by,
        "needs_upload": item.needs_upload,
        "why": item.why,
    }


def form_out(form: ApplicantForm) -> dict[str, Any]:
    return {
        "kind": form.kind,
        "code": form.code,
        "name": form.name,
        "form_version": form.form_version,
        "department": form.department,
        "holder_code": form.holder_code,
        "applicant_kind": form.applicant_kind,
        "fields": [form_field_out(item, form.prefilled.get(item["key"])) for item in form.fields],
        "materials": [planned_material_out(item) for item in form.plan],
    }


def public_status_out(status: PublicStatus) -> dict[str, Any]:
    return dataclasses.asdict(status)
