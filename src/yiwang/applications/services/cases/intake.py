"""Acceptance (受理): accept, refuse to accept (不予受理), ask for every supplement at once (一次性告知)
and take the applicant's answer (补正), which restarts the clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.catalog.models import Implementation
from yiwang.core.errors import InvalidInput
from yiwang.notifications.constants import MessageTopic

from ...constants import (
    CASE_ACCEPTED,
    CASE_NOT_ACCEPTED,
    CASE_RESUBMITTED,
    CASE_SUPPLEMENT_REQUESTED,
    AuditAction,
    CaseStatus,
    Channel,
    ClockStopKind,
    MaterialSource,
    TrustLevel,
)
from ...models import Case, CaseMaterial, ClockStop, SupplementRequest
from ...selectors import staff_facts
from .. import bundle_clock, clock, forms, materials, runtime
from ..applicant_messages import tell_applicant
from .parties import require_applicant_side, require_staff
from .recording import lock_case, record_case_action
from .steps import parent_closes_when_done, ready_task, refund, require_status

ACCEPT = "application.accept"
DECIDE = "application.decide"
SUPPLEMENT_KINDS = ("material", "field")


def _required(value: str, *, missing: str, code: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(missing, code=code)
    return text


def _complete_accept_task(case: Case, actor: Any, data: dict[str, Any]) -> None:
    if case.state_json is None:  # a bundle parent: its parts run the workflows
        return
    task = ready_task(case, bpmn_id="accept", role="window_clerk")
    runtime.complete(case=case, task=task, actor=actor, data=data)


@transaction.atomic
def accept(*, actor: Any, case: Case, expected_revision: int | None = None) -> Case:
    """Accept the application (受理): the clock starts with the limits copied now."""
    case = lock_case(case, expected_revision=expected_revision)
    require_status(case, CaseStatus.SUBMITTED)
    assignment = require_staff(actor=actor, case=case, permissions=(ACCEPT,))
    _complete_accept_task(case, actor, {"acceptance": "accept"})
    limits = clock.limits_for(case=case)
    case.statutory_limit_days, case.statutory_limit_unit = limits.statutory_days, limits.statutory_unit
    case.promised_limit_days, case.promised_limit_unit = limits.promised_days, limits.promised_unit
    case.status, case.accepted_at = CaseStatus.ACCEPTED, timezone.now()
    case.save(
        update_fields=[
            "statutory_limit_days",
            "statutory_limit_unit",
            "promised_limit_days",
            "promised_limit_unit",
            "status",
            "accepted_at",
            "updated_at",
        ]
    )
    clock.recompute(case=case)
    text = "已受理"
    if case.promised_due:
        text += f"，承诺于 {case.promised_due:%Y-%m-%d} 前办结"
    record_case_action(
        case=case,
        actor=actor,
        action=AuditAction.CASE_ACCEPTED,
        topic=CASE_ACCEPTED,
        text=text,
        published={"accepted_at": case.accepted_at.isoformat()},
        facts=staff_facts(assignment),
    )
    due = f"{case.promised_due:%Y-%m-%d}" if case.promised_due else "—"
    tell_applicant(case=case, topic=MessageTopic.CASE_ACCEPTED, context={"due": due})
    bundle_clock.start_parent_clock(part=case, actor=actor)  # a bundle's one clock starts with its first part
    return case


def _close_open_stop(case: Case, *, kinds: Sequence[str]) -> ClockStop | None:
    stop = case.clock_stops.filter(kind__in=kinds, ended_on__isnull=True).order_by("-pk").first()
    if stop is not None:
        stop.ended_on = timezone.localdate()
        stop.save(update_fields=["ended_on"])
    return stop


@transaction.atomic
def refuse_to_accept(
    *, actor: Any, case: Case, reason: str, legal_basis: str, expected_revision: int | None = None
) -> Case:
    """Refuse to accept (不予受理) with the reason and the legal basis; the case closes."""
    reason = _required(reason, missing=_("请填写不予受理的理由"), code="reason_required")
    legal_basis = _required(legal_basis, missing=_("请填写不予受理的法律依据"), code="legal_basis_required")
    case = lock_case(case, expected_revision=expected_revision)
    require_status(case, CaseStatus.SUBMITTED, CaseStatus.SUPPLEMENT)
    assignment = require_staff(actor=actor, case=case, permissions=(ACCEPT,))
    if case.status == CaseStatus.SUPPLEMENT:  # the applicant did not answer the supplement request
        _close_open_stop(case, kinds=[ClockStopKind.SUPPLEMENT])
    _complete_accept_task(case, actor, {"acceptance": "refuse", "reason": reason})
    now = timezone.now()
    case.status, case.decided_at, case.closed_at, case.decided_by = CaseStatus.NOT_ACCEPTED, now, now, actor
    case.decision_reason, case.decision_basis, case.next_timer_at = reason, legal_basis, None
    record_case_action(
        case=case,
        actor=actor,
        action=AuditAction.CASE_NOT_ACCEPTED,
        topic=CASE_NOT_ACCEPTED,
        text=f"不予受理。理由：{reason}；依据：{legal_basis}",
        changed=(
            "status",
            "decided_at",
            "closed_at",
            "decided_by",
            "decision_reason",
            "decision_basis",
            "next_timer_at",
        ),
        details={"reason": reason, "legal_basis": legal_basis},
        published={"closed_at": now.isoformat()},
        facts=staff_facts(assignment),
    )
    tell_applicant(case=case, topic=MessageTopic.CASE_NOT_ACCEPTED, context={"reason": reason})
    refund(case, actor=actor, reason="不予受理")
    bundle_clock.release_parent_clock(part=case, actor=actor)
    parent_closes_when_done(case, actor=actor)
    return case


def _clean_items(items: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Every item once: kind (material or field), key and what is wrong with it."""
    cleaned: dict[tuple[str, str], dict[str, str]] = {}
    for item in items or ():
        kind = str(item.get("kind", "")).strip()
        key = str(item.get("key", "")).strip()
        problem = str(item.get("problem", "")).strip()
        if kind not in SUPPLEMENT_KINDS or not key or not problem:
            raise InvalidInput(
                _("每一项补正须写明类型（材料或字段）、编码和问题"), code="invalid_supplement_item"
            )
        cleaned[(kind, key)] = {"kind": kind, "key": key, "problem": problem[:300]}
    if not cleaned:
        raise InvalidInput(_("请列出需要补正的全部事项"), code="supplement_items_required")
    return list(cleaned.values())


@transaction.atomic
def request_supplement(
    *,
    actor: Any,
    case: Case,
    items: Sequence[Mapping[str, Any]],
    note: str = "",
    expected_revision: int | None = None,
) -> SupplementRequest:
    """Ask for every missing or wrong item in one notice (一次性告知); the clock stops until answered."""
    cleaned = _clean_items(items)
    case = lock_case(case, expected_revision=expected_revision)
    require_status(case, CaseStatus.SUBMITTED, CaseStatus.ACCEPTED)
    permissions = (ACCEPT,) if case.status == CaseStatus.SUBMITTED else (ACCEPT, DECIDE)
    assignment = require_staff(actor=actor, case=case, permissions=permissions)
    request = SupplementRequest.objects.create(
        case=case, items=cleaned, note=note.strip(), requested_by=actor
    )
    ClockStop.objects.create(
        case=case,
        kind=ClockStopKind.SUPPLEMENT,
        reason=f"一次性告知补正 {len(cleaned)} 项",
        started_on=timezone.localdate(),
        created_by=actor,
    )
    case.status = CaseStatus.SUPPLEMENT
    clock.recompute(case=case)
    listing = "；".join(f"{n}. {item['problem']}" for n, item in enumerate(cleaned, start=1))
    record_case_action(
        case=case,
        actor=actor,
        action=AuditAction.SUPPLEMENT_REQUESTED,
        topic=CASE_SUPPLEMENT_REQUESTED,
        text=f"请一次性补正以下 {len(cleaned)} 项（补正期间暂停计时）：{listing}",
        changed=("status",),
        details={"items": cleaned},
        published={
            "supplement": request.pk,
            "items": [{"kind": i["kind"], "key": i["key"]} for i in cleaned],
        },
        facts=staff_facts(assignment),
    )
    tell_applicant(
        case=case,
        topic=MessageTopic.CASE_SUPPLEMENT_REQUESTED,
        context={"count": len(cleaned), "listing": listing},
    )
    bundle_clock.hold_parent_clock(part=case, actor=actor)  # the bundle's one clock stops with its part
    return request


def _answered(request: SupplementRequest, data: Mapping[str, Any], uploads: Mapping[str, Any]) -> None:
    """Every item of the notice answered, and nothing else changed."""
    fields = {item["key"] for item in request.items if item["kind"] == "field"}
    materials = {item["key"] for item in request.items if item["kind"] == "material"}
    if set(data) - fields or set(uploads) - materials:
        raise InvalidInput(
            _("只能补正告知书所列的事项"), code="unexpected_supplement", fields=sorted(set(data) - fields)
        )
    missing = sorted((fields - set(data)) | (materials - set(uploads)))
    if missing:
        raise InvalidInput(_("请补正告知书所列的全部事项"), code="supplement_incomplete", missing=missing)


def _bundle_parts(case: Case) -> list[Implementation]:
    if case.bundle is None:
        return []
    return [part.implementation for part in case.bundle.bundle_items.select_related("implementation")]


def _replace_materials(case: Case, actor: Any, uploads: Mapping[str, Any]) -> None:
    if not uploads:
        return
    CaseMaterial.objects.filter(case=case, key__in=list(uploads), superseded=False).update(superseded=True)
    parts = [case.implementation] if case.implementation else _bundle_parts(case)
    plan = materials.plan(
        implementations=parts, situation=case.situation, actor=actor, holder_code=case.holder_code
    )
    wanted = [item for item in plan if item.key in uploads]
    for item in wanted:  # asked to supplement it: the new upload replaces whatever satisfied it before
        item.satisfied_by, item.license, item.vault_item, item.why = MaterialSource.UPLOAD, None, None, ""
    materials.attach(
        case=case, plan=wanted, uploads={item.key: uploads[item.key] for item in wanted}, actor=actor
    )
    planned = {item.key for item in wanted}
    source = MaterialSource.PAPER_SCAN if case.channel == Channel.WINDOW else MaterialSource.UPLOAD
    CaseMaterial.objects.bulk_create(  # a document the notice asked for that is not on the guide's list
        CaseMaterial(
            case=case,
            key=key[:64],
            name=(getattr(stored, "original_name", "") or key)[:200],
            source=source,
            trust=TrustLevel.DECLARED,
            file=stored.name,
            file_name=getattr(stored, "original_name", "")[:200],
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            note="补正材料",
        )
        for key, stored in uploads.items()
        if key not in planned
    )


def _recheck_data(case: Case, actor: Any, data: Mapping[str, Any]) -> None:
    if not data:
        return
    if case.form is not None:
        schema = case.form.schema
    elif case.bundle is not None:
        schema = forms.bundle_form(bundle=case.bundle)
    else:
        raise InvalidInput(_("该办件没有申请表，不能补正字段"), code="no_form")
    checked = forms.check_submission(
        form_schema=schema,
        situation=case.situation,
        data={**case.data, **data},
        prefilled_claims=case.prefilled,
        actor=actor,
        holder_code=case.holder_code,
        applicant_kind=case.applicant_kind,
        department=case.department,
    )
    case.data, case.prefilled = checked.data, checked.prefilled


@transaction.atomic
def resubmit(
    *,
    actor: Any,
    case: Case,
    data: Mapping[str, Any],
    uploads: Mapping[str, Any],
    expected_revision: int | None = None,
) -> Case:
    """The applicant answers the supplement request: fields and materials replaced, the clock restarts."""
    case = lock_case(case, expected_revision=expected_revision)
    facts = require_applicant_side(actor=actor, case=case)
    require_status(case, CaseStatus.SUPPLEMENT)
    request = case.supplements.filter(answered_at__isnull=True).order_by("-requested_at").first()
    if request is None:
        raise InvalidInput(_("没有待答复的补正告知"), code="no_open_supplement")
    _answered(request, data, uploads)
    _recheck_data(case, actor, data)
    _replace_materials(case, actor, uploads)
    request.answered_at = timezone.now()
    request.save(update_fields=["answered_at"])
    _close_open_stop(case, kinds=[ClockStopKind.SUPPLEMENT])
    case.status = CaseStatus.ACCEPTED if case.accepted_at else CaseStatus.SUBMITTED
    clock.recompute(case=case)
    record_case_action(
        case=case,
        actor=actor,
        action=AuditAction.CASE_RESUBMITTED,
        topic=CASE_RESUBMITTED,
        text="申请人已补正，恢复计时" if case.accepted_at else "申请人已补正，等待受理",
        changed=("status", "data", "prefilled"),
        details={"supplement": request.pk, "fields": sorted(data), "materials": sorted(uploads)},
        published={"supplement": request.pk},
        facts=facts,
    )
    bundle_clock.release_parent_clock(part=case, actor=actor)
    return case
