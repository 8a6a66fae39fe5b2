"""Reads of data quality: findings and objections as each actor may see them, scores per resource.

Findings: the data administrators (``exchange.manage``) of the department that must fix them and of the
resource's provider; a record's key is masked except to the department holding the record. Objections:
the citizen sees their own; the holding department's data administrators theirs. Missing and forbidden
answer alike (NotFound).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.audit.constants import GroundKind
from yiwang.audit.services import record_read
from yiwang.core.errors import NotFound
from yiwang.exchange.models import Resource
from yiwang.identity.constants import AssuranceLevel
from yiwang.identity.selectors import department_ids_with_permission, list_enterprises_represented
from yiwang.registers.constants import RegisterCode

from .constants import HANDLE_PERMISSION, FindingStatus, ObjectionStatus
from .models import Finding, Objection, QualityRun
from .rules.base import rules_for

if TYPE_CHECKING:
    from yiwang.identity.models import User

FINDING_RECORD_READ = "quality.finding_record_read"


def mask_key(key: str) -> str:
    """An ID number, credit code or account number with its middle starred: 511***********1234."""
    if len(key) <= 7:
        return "*" * len(key)
    return key[:3] + "*" * (len(key) - 7) + key[-4:]


def handled_department_ids(actor: User | None) -> set[int]:
    """The departments whose findings and objections the actor handles (as data administrator)."""
    return department_ids_with_permission(actor, HANDLE_PERMISSION)


# Findings ------------------------------------------------------------------------------------------


def list_findings_for(
    *, actor: User | None, status: str | None = None, overdue_only: bool = False, today: dt.date | None = None
) -> QuerySet[Finding]:
    departments = handled_department_ids(actor)
    findings = Finding.objects.filter(
        Q(department_id__in=departments) | Q(resource__provider_id__in=departments)
    ).select_related("resource", "department")
    if status:
        findings = findings.filter(status=status)
    if overdue_only:
        findings = findings.filter(status=FindingStatus.OPEN, due_on__lt=today or timezone.localdate())
    return findings


def access_finding_by_id(*, actor: User | None, finding_id: int) -> Finding:
    finding = list_findings_for(actor=actor).filter(pk=finding_id).first()
    if finding is None:
        raise NotFound("未找到该质量问题", code="finding_not_found")
    return finding


def is_overdue(due_on: dt.date, status: str, *, today: dt.date | None = None) -> bool:
    """Still waiting after its deadline (a finding still open, an objection still undecided)."""
    waiting = status in {FindingStatus.OPEN, ObjectionStatus.SUBMITTED}
    return waiting and due_on < (today or timezone.localdate())


def finding_record_key(*, actor: User | None, finding: Finding) -> str:
    """The flagged record's key: in full (and the read logged) to its holder's administrators, else masked."""
    if finding.department_id not in handled_department_ids(actor):
        return mask_key(finding.record_key)
    record_read(
        action=FINDING_RECORD_READ,
        subject=finding.record_key,
        fields=[finding.item],
        purpose="数据质量问题整改",
        actor=actor,
        object_type=f"registers.{finding.register}",
        object_id=str(finding.record_id),
        department=finding.department,
        ground_kind=GroundKind.LEGAL_BASIS,
        ground_ref=f"quality.finding:{finding.pk}",
    )
    return finding.record_key


def latest_runs() -> list[tuple[Resource, QualityRun | None]]:
    """Each resource that has quality rules, with its latest run (its current score), in code order."""
    resources = [
        resource
        for resource in Resource.objects.exclude(source="").select_related("provider").order_by("code")
        if rules_for(resource.source)
    ]
    latest: dict[int, QualityRun] = {}
    for run in QualityRun.objects.filter(resource__in=resources).order_by(
        "resource_id", "-started_at", "-pk"
    ):
        latest.setdefault(run.resource_id, run)
    return [(resource, latest.get(resource.pk)) for resource in resources]


# Objections -----------------------------------------------------------------------------------------


def objectable_records(*, citizen: User | None) -> list[tuple[str, str, str]]:
    """(register, key, label) of the records the citizen may object to: their own, their enterprises'."""
    if citizen is None or not citizen.is_authenticated:
        return []
    records = []
    if citizen.id_number and citizen.assurance_level >= AssuranceLevel.REGISTER_VERIFIED:
        records.append((str(RegisterCode.POPULATION), citizen.id_number, _("人口库（本人户籍信息）")))
    for enterprise in list_enterprises_represented(user=citizen).order_by("credit_code"):
        records.append(
            (
                str(RegisterCode.LEGAL_PERSON),
                enterprise.credit_code,
                _("%(name)s（法人库）") % {"name": enterprise.name},
            )
        )
    return records


def list_own_objections(*, citizen: User | None) -> QuerySet[Objection]:
    if citizen is None or not citizen.is_authenticated:
        return Objection.objects.none()
    return Objection.objects.filter(citizen=citizen).select_related("department")


def access_own_objection(*, citizen: User | None, objection_id: int) -> Objection:
    objection = list_own_objections(citizen=citizen).filter(pk=objection_id).first()
    if objection is None:
        raise NotFound("未找到该数据异议", code="objection_not_found")
    return objection


def list_objections_to_handle(*, actor: User | None, status: str | None = None) -> QuerySet[Objection]:
    objections = Objection.objects.filter(department_id__in=handled_department_ids(actor))
    if status:
        objections = objections.filter(status=status)
    return objections.select_related("department", "citizen")


def access_objection_to_handle(*, actor: User | None, objection_id: int) -> Objection:
    objection = list_objections_to_handle(actor=actor).filter(pk=objection_id).first()
    if objection is None:
        raise NotFound("未找到该数据异议", code="objection_not_found")
    return objection


def access_objection_evidence(*, actor: User | None, objection_id: int) -> Objection:
    """The objection whose evidence file the actor may open: the citizen's own, or the handling side's."""
    objection = list_own_objections(citizen=actor).filter(pk=objection_id).first()
    if objection is None:
        objection = list_objections_to_handle(actor=actor).filter(pk=objection_id).first()
    if objection is None or not objection.evidence_file:
        raise NotFound("未找到该证明材料", code="evidence_not_found")
    return objection
