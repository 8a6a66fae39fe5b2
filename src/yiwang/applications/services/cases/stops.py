"""特别程序 and 延长: the clock stops for expert review, hearings, public notice or inspection, and the
limit is extended; each with its reason and basis, and both planned end dates move."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core.errors import InvalidInput
from yiwang.core.workdays import DayUnit
from yiwang.notifications.constants import MessageTopic

from ...constants import CASE_EXTENDED, CASE_RESUMED, CASE_SUSPENDED, AuditAction, CaseStatus, ClockStopKind
from ...models import Case, ClockStop
from ...selectors import staff_facts
from .. import clock
from ..applicant_messages import tell_applicant
from .parties import require_staff
from .recording import lock_case, record_case_action
from .steps import require_status

DECIDE = "application.decide"
SUSPENSION_KINDS = (
    ClockStopKind.EXPERT_REVIEW,
    ClockStopKind.HEARING,
    ClockStopKind.PUBLIC_NOTICE,
    ClockStopKind.INSPECTION,
)
MAX_EXTENSION_DAYS = 366


def _text(value: str, *, missing: str, code: str, length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(missing, code=code)
    return text[:length]


def _unit(unit: str) -> str:
    if unit not in DayUnit.values:
        raise InvalidInput(_("计时单位须为工作日或自然日"), code="invalid_unit")
    return unit


@transaction.atomic
def suspend(
    *,
    actor: Any,
    case: Case,
    kind: str,
    reason: str,
    legal_basis: str = "",
    unit: str = DayUnit.WORKING,
    expected_revision: int | None = None,
) -> ClockStop:
    """Start a special procedure (特别程序): the clock stops until ``resume``; days counted in ``unit``."""
    if kind not in SUSPENSION_KINDS:
        raise InvalidInput(_("特别程序类型不正确"), code="invalid_suspension_kind")
    reason = _text(reason, missing=_("请填写特别程序的原因"), code="reason_required", length=500)
    case = lock_case(case, expected_revision=expected_revision)
    require_status(case, CaseStatus.ACCEPTED)
    assignment = require_staff(actor=actor, case=case, permissions=(DECIDE,))
    stop = ClockStop.objects.create(
        case=case,
        kind=kind,
        reason=reason,
        legal_basis=(legal_basis or "").strip()[:300],
        started_on=timezone.localdate(),
        unit=_unit(unit),
        created_by=actor,
    )
    case.status = CaseStatus.SUSPENDED
    clock.recompute(case=case)
    label = ClockStopKind(kind).label
    record_case_action(
        case=case,
        actor=actor,
        action=AuditAction.CASE_SUSPENDED,
        topic=CASE_SUSPENDED,
        text=f"进入特别程序（{label}），暂停计时。原因：{reason}",
        changed=("status",),
        details={"stop": stop.pk, "kind": kind, "reason": reason, "legal_basis": stop.legal_basis},
        published={"kind": kind, "started_on": stop.started_on.isoformat()},
        facts=staff_facts(assignment),
    )
    tell_applicant(case=case, topic=MessageTopic.CASE_SUSPENDED, context={"reason": reason})
    return stop


@transaction.atomic
def resume(*, actor: Any, case: Case, expected_revision: int | None = None) -> ClockStop:
    """End the special procedure: the clock runs again, the planned end dates moved by its days."""
    case = lock_case(case, expected_revision=expected_revision)
    require_status(case, CaseStatus.SUSPENDED)
    assignment = require_staff(actor=actor, case=case, permissions=(DECIDE,))
    stop = case.clock_stops.filter(kind__in=SUSPENSION_KINDS, ended_on__isnull=True).order_by("-pk").first()
    if stop is None:  # a suspended case always has its open stop; refuse rather than guess
        raise InvalidInput(_("没有进行中的特别程序"), code="no_open_suspension")
    stop.ended_on = timezone.localdate()
    stop.save(update_fields=["ended_on"])
    case.status = CaseStatus.ACCEPTED
    clock.recompute(case=case)
    label = ClockStopKind(stop.kind).label
    due = f"，承诺办结日期为 {case.promised_due:%Y-%m-%d}" if case.promised_due else ""
    record_case_action(
        case=case,
        actor=actor,
        action=AuditAction.CASE_RESUMED,
        topic=CASE_RESUMED,
        text=f"特别程序（{label}）结束，恢复计时{due}",
        changed=("status",),
        details={"stop": stop.pk},
        published={"kind": stop.kind, "ended_on": stop.ended_on.isoformat()},
        facts=staff_facts(assignment),
    )
    return stop


@transaction.atomic
def extend(
    *,
    actor: Any,
    case: Case,
    days: int,
    reason: str,
    legal_basis: str,
    unit: str = DayUnit.WORKING,
    expected_revision: int | None = None,
) -> ClockStop:
    """Extend the limit (延长办理时限, e.g. 行政许可法第四十二条) by ``days``: both planned dates move."""
    if not isinstance(days, int) or not 1 <= days <= MAX_EXTENSION_DAYS:
        raise InvalidInput(
            _("延长天数须在 1 到 %(max)d 之间") % {"max": MAX_EXTENSION_DAYS}, code="invalid_days"
        )
    reason = _text(reason, missing=_("请填写延长的理由"), code="reason_required", length=500)
    legal_basis = _text(legal_basis, missing=_("请填写延长的依据"), code="legal_basis_required", length=300)
    case = lock_case(case, expected_revision=expected_revision)
    require_status(case, CaseStatus.ACCEPTED, CaseStatus.SUSPENDED)
    assignment = require_staff(actor=actor, case=case, permissions=(DECIDE,))
    today = timezone.localdate()
    stop = ClockStop.objects.create(
        case=case,
        kind=ClockStopKind.EXTENSION,
        reason=reason,
        legal_basis=legal_basis,
        started_on=today,
        ended_on=today,
        days=days,
        unit=_unit(unit),
        created_by=actor,
    )
    clock.recompute(case=case)
    unit_label = DayUnit(stop.unit).label
    due = f"，承诺办结日期延至 {case.promised_due:%Y-%m-%d}" if case.promised_due else ""
    record_case_action(
        case=case,
        actor=actor,
        action=AuditAction.CASE_EXTENDED,
        topic=CASE_EXTENDED,
        text=f"经批准延长办理时限 {days} 个{unit_label}{due}。理由：{reason}",
        details={
            "stop": stop.pk,
            "days": days,
            "unit": stop.unit,
            "reason": reason,
            "legal_basis": legal_basis,
        },
        published={"days": days, "unit": stop.unit},
        facts=staff_facts(assignment),
    )
    new_due = f"{case.promised_due:%Y-%m-%d}" if case.promised_due else "—"
    tell_applicant(case=case, topic=MessageTopic.CASE_EXTENDED, context={"due": new_due})
    return stop
