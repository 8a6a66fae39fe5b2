"""Data administrators of the source work their findings: fixed (re-checked) or a false positive."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from yiwang.audit.services import record_event
from yiwang.core.errors import Conflict, InvalidInput, NotFound
from yiwang.identity.selectors import assignment_with_permission

from ..constants import HANDLE_PERMISSION, TEXT_MAX_LENGTH, FindingStatus
from ..models import Finding, RuleSetting
from ..objections import check_characters
from ..rules.base import quality_rules

if TYPE_CHECKING:
    from yiwang.identity.models import StaffAssignment, User

FINDING_FIXED = "quality.finding_fixed"
FINDING_RECHECK_FAILED = "quality.finding_recheck_failed"
FINDING_DISMISSED = "quality.finding_dismissed"


def role_facts(assignment: StaffAssignment) -> dict[str, Any]:
    return {
        "actor_role": assignment.role,
        "actor_department": assignment.department,
        "actor_region_code": assignment.region_id,
    }


def _locked_finding(actor: User, finding_id: int) -> tuple[Finding, StaffAssignment]:
    finding = Finding.objects.select_for_update().filter(pk=finding_id).first()
    assignment = (
        assignment_with_permission(
            actor=actor, permission=HANDLE_PERMISSION, department_id=finding.department_id
        )
        if finding is not None
        else None
    )
    if finding is None or assignment is None:
        raise NotFound("未找到该质量问题", code="finding_not_found")
    if finding.status != FindingStatus.OPEN:
        raise Conflict("该质量问题已办结", code="finding_closed")
    return finding, assignment


def still_fails(finding: Finding) -> bool:
    """Re-check the finding's record with its rule (and the resource's parameters for it)."""
    rule = quality_rules.get(finding.rule_id)
    setting = RuleSetting.objects.filter(resource_id=finding.resource_id, rule_id=finding.rule_id).first()
    parameters = {**rule.default_parameters, **(setting.parameters if setting else {})}
    return any(
        violation.item == finding.item
        for violation in rule.check(parameters=parameters, record_ids=[finding.record_id])
    )


@transaction.atomic
def mark_finding_fixed(*, actor: User, finding_id: int, note: str = "") -> Finding:
    """The source says it fixed the record: a re-check closes the finding, or it stays open."""
    note = check_characters(note or "", label="整改说明")
    finding, assignment = _locked_finding(actor, finding_id)
    now = timezone.now()
    if still_fails(finding):
        finding.recheck_failed_at = now
        finding.save(update_fields=["recheck_failed_at"])
        action, reason = FINDING_RECHECK_FAILED, "still_failing"
    else:
        finding.status, finding.resolved_at, finding.resolved_by = FindingStatus.FIXED, now, actor
        finding.explanation = note.strip()[:TEXT_MAX_LENGTH] or "已更正源头数据，复核通过"
        finding.save(update_fields=["status", "resolved_at", "resolved_by", "explanation"])
        action, reason = FINDING_FIXED, "recheck_passed"
    record_event(
        action=action,
        actor=actor,
        target=finding,
        department=finding.department,
        reason=reason,
        details={"rule": finding.rule_id, "item": finding.item},
        **role_facts(assignment),
    )
    return finding


@transaction.atomic
def dismiss_finding(*, actor: User, finding_id: int, explanation: str) -> Finding:
    """The source explains why the finding is a false positive; later runs leave that record alone."""
    explanation = check_characters((explanation or "").strip(), label="说明")
    if not explanation:
        raise InvalidInput("说明误报须写明理由", code="explanation_required")
    if len(explanation) > TEXT_MAX_LENGTH:
        raise InvalidInput(f"说明不得超过 {TEXT_MAX_LENGTH} 字", code="explanation_too_long")
    finding, assignment = _locked_finding(actor, finding_id)
    finding.status, finding.resolved_at, finding.resolved_by = (
        FindingStatus.FALSE_POSITIVE,
        timezone.now(),
        actor,
    )
    finding.explanation = explanation
    finding.save(update_fields=["status", "resolved_at", "resolved_by", "explanation"])
    record_event(
        action=FINDING_DISMISSED,
        actor=actor,
        target=finding,
        department=finding.department,
        reason="false_positive",
        details={"rule": finding.rule_id, "item": finding.item},
        **role_facts(assignment),
    )
    return finding
