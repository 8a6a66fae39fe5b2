"""Handling processes: import a BPMN file as a new version, activate it, bind it, migrate running cases.

The command ``import_process`` and the workbench page share ``import_process``. A running case stays on
the version it started with; ``check_migration`` says which cases could move to another version (and
which cannot, naming the elements), ``migrate_cases`` moves them one transaction per case, each audited.
Managing processes is the platform administrator's (``staff.manage``): a process is platform-wide
configuration, like the staff directory and the OIDC clients, not one department's data.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import Count, Max
from django.utils.translation import gettext as _

from yiwang.audit.constants import Outcome
from yiwang.audit.services import record_event
from yiwang.catalog.models import Implementation
from yiwang.core.errors import Conflict, NotFound, PermissionDenied
from yiwang.identity.models import User
from yiwang.identity.selectors import assignment_with_permission, department_ids_with_permission

from .. import workflow
from ..constants import OPEN_STATUSES, AuditAction, ProcessStatus
from ..models import Case, ProcessDefinition, ProcessVersion
from .runtime import store_snapshot

logger = logging.getLogger(__name__)

MANAGE_PERMISSION = "staff.manage"
DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "processes"
DEFAULT_PROCESS_KEY = "standard_approval"
STAFF_ROLES = ("window_clerk", "approver", "supervisor", "license_admin", "data_admin")


@dataclass
class ImportResult:
    version: ProcessVersion
    created: bool
    warnings: list[str] = field(default_factory=list)


@dataclass
class CaseMigration:
    case_id: int
    number: str
    ok: bool
    blocking: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)


@dataclass
class MigrationReport:
    target: ProcessVersion
    cases: list[CaseMigration] = field(default_factory=list)

    @property
    def movable(self) -> list[CaseMigration]:
        return [case for case in self.cases if case.ok]

    @property
    def blocked(self) -> list[CaseMigration]:
        return [case for case in self.cases if not case.ok]


# Who may manage ---------------------------------------------------------------------------------------


def may_manage_processes(actor: User | None) -> bool:
    """Platform administrators (``staff.manage`` in any department) manage the processes."""
    return bool(department_ids_with_permission(actor, MANAGE_PERMISSION))


def _authority(actor: User | None) -> dict:
    """The actor's role that allowed it, for the audit entry; None is the system (commands, the demo)."""
    if actor is None:
        return {}
    departments = sorted(department_ids_with_permission(actor, MANAGE_PERMISSION))
    assignment = (
        assignment_with_permission(actor=actor, permission=MANAGE_PERMISSION, department_id=departments[0])
        if departments
        else None
    )
    if assignment is None:
        raise PermissionDenied(_("只有平台管理员可以管理审批流程"), code="process_manage_denied")
    return {
        "actor": actor,
        "actor_role": assignment.role,
        "actor_department": assignment.department,
        "actor_region_code": assignment.region.code if assignment.region_id else "",
    }


# Import -----------------------------------------------------------------------------------------------


def import_process(
    *,
    actor: User | None,
    xml: bytes,
    file_name: str,
    activate: bool = False,
    make_default: bool = False,
    implementations: Iterable[Implementation] = (),
) -> ImportResult:
    """Check and store a BPMN file as the next version of its process (keyed by the BPMN process id).

    Raises ``workflow.ImportProblems`` (every problem, in Chinese) and stores nothing when the file has
    an unsupported element or unsafe code; the refusal is audited. The same file again is not a new
    version. Lanes that are not staff roles are reported as warnings (their tasks would reach no one).
    """
    authority = _authority(actor)
    try:
        parsed = workflow.parse_bpmn(xml, file_name=file_name)
    except workflow.ImportProblems as problems:
        with transaction.atomic():
            record_event(
                action=AuditAction.PROCESS_IMPORT_REFUSED,
                outcome=Outcome.REFUSED,
                reason=problems.code,
                object_type="applications.processversion",
                details={"file_name": file_name[:200], "problems": [str(p) for p in problems.problems][:50]},
                **authority,
            )
        raise
    result = _store(parsed, xml=xml, file_name=file_name, authority=authority)
    if activate or make_default:
        activate_version(actor=actor, version=result.version)
    if make_default or implementations:
        bind_process(
            actor=actor,
            definition=result.version.definition,
            implementations=implementations,
            make_default=make_default,
        )
    result.version.refresh_from_db()
    return result


def _warnings(parsed: workflow.ParsedProcess) -> list[str]:
    return [
        _("环节“%(name)s”（%(id)s）的泳道“%(lane)s”不是工作人员角色，该环节不会出现在任何人的待办中")
        % {"name": task.name, "id": task.bpmn_id, "lane": task.lane or "-"}
        for task in parsed.user_tasks
        if task.lane not in STAFF_ROLES
    ]


@transaction.atomic
def _store(parsed: workflow.ParsedProcess, *, xml: bytes, file_name: str, authority: dict) -> ImportResult:
    digest = hashlib.sha256(xml).hexdigest()
    definition, _created = ProcessDefinition.objects.get_or_create(
        key=parsed.process_id[:100], defaults={"name": parsed.name[:200]}
    )
    definition = ProcessDefinition.objects.select_for_update().get(pk=definition.pk)
    existing = ProcessVersion.objects.filter(definition=definition, sha256=digest).first()
    if existing is not None:
        return ImportResult(version=existing, created=False, warnings=_warnings(parsed))
    number = (ProcessVersion.objects.filter(definition=definition).aggregate(n=Max("number"))["n"] or 0) + 1
    if definition.name != parsed.name[:200]:
        definition.name = parsed.name[:200]
        definition.save(update_fields=["name"])
    version = ProcessVersion.objects.create(
        definition=definition,
        number=number,
        status=ProcessStatus.DRAFT,
        bpmn_xml=xml.decode("utf-8", errors="replace"),
        sha256=digest,
        spec_json=parsed.spec_json,
        serializer_version=parsed.serializer_version,
        file_name=file_name[:200],
        imported_by=authority.get("actor"),
    )
    record_event(
        action=AuditAction.PROCESS_IMPORTED,
        target=version,
        details={"key": definition.key, "number": number, "sha256": digest, "file_name": file_name[:200]},
        **authority,
    )
    return ImportResult(version=version, created=True, warnings=_warnings(parsed))


@transaction.atomic
def activate_version(*, actor: User | None, version: ProcessVersion) -> ProcessVersion:
    """Make ``version`` the one new cases start on; the previous active version retires (running cases
    stay on theirs)."""
    authority = _authority(actor)
    ProcessDefinition.objects.select_for_update().get(pk=version.definition_id)
    version = ProcessVersion.objects.select_for_update().get(pk=version.pk)
    if version.status == ProcessStatus.ACTIVE:
        return version
    previous = list(
        ProcessVersion.objects.filter(
            definition_id=version.definition_id, status=ProcessStatus.ACTIVE
        ).values_list("number", flat=True)
    )
    ProcessVersion.objects.filter(definition_id=version.definition_id, status=ProcessStatus.ACTIVE).update(
        status=ProcessStatus.RETIRED
    )
    version.status = ProcessStatus.ACTIVE
    version.save(update_fields=["status"])
    record_event(
        action=AuditAction.PROCESS_ACTIVATED,
        target=version,
        details={"key": version.definition.key, "number": version.number, "retired": previous},
        **authority,
    )
    return version


@transaction.atomic
def bind_process(
    *,
    actor: User | None,
    definition: ProcessDefinition,
    implementations: Iterable[Implementation] = (),
    make_default: bool = False,
) -> ProcessDefinition:
    """Run ``definition`` for these implementations (moved from any other process), and/or make it the
    default for implementations bound to none."""
    authority = _authority(actor)
    definition = ProcessDefinition.objects.select_for_update().get(pk=definition.pk)
    implementations = list(implementations)
    for other in ProcessDefinition.objects.filter(implementations__in=implementations).exclude(
        pk=definition.pk
    ):
        other.implementations.remove(*implementations)
    if implementations:
        definition.implementations.add(*implementations)
    if make_default and not definition.is_default:
        ProcessDefinition.objects.filter(is_default=True).update(is_default=False)
        definition.is_default = True
        definition.save(update_fields=["is_default"])
    record_event(
        action=AuditAction.PROCESS_BOUND,
        target=definition,
        details={
            "key": definition.key,
            "implementations": [implementation.code for implementation in implementations],
            "is_default": definition.is_default,
        },
        **authority,
    )
    return definition


# Migration --------------------------------------------------------------------------------------------


def _running_cases(target: ProcessVersion):
    return (
        Case.objects.filter(
            process_version__definition_id=target.definition_id,
            status__in=list(OPEN_STATUSES),
            state_json__isnull=False,
        )
        .exclude(process_version=target)
        .select_related("process_version")
        .order_by("pk")
    )


def _outcome(case: Case, check: workflow.MigrationCheck) -> CaseMigration:
    return CaseMigration(
        case_id=case.pk, number=case.number, ok=check.ok, blocking=check.blocking, changed=check.changed
    )


def check_migration(*, actor: User | None, version: ProcessVersion, limit: int = 1000) -> MigrationReport:
    """Which running cases of the process could move to ``version``, and which cannot (and why)."""
    _authority(actor)
    report = MigrationReport(target=version)
    for case in _running_cases(version)[:limit]:
        check = workflow.check_migration(case.process_version.spec_json, version.spec_json, case.state_json)
        report.cases.append(
            CaseMigration(
                case_id=case.pk,
                number=case.number,
                ok=check.ok,
                blocking=check.blocking,
                changed=check.changed,
            )
        )
    return report


def migrate_cases(
    *, actor: User | None, version: ProcessVersion, case_ids: Iterable[int] | None = None
) -> MigrationReport:
    """Move running cases to ``version`` (active), each in its own transaction and audited; a case that
    cannot move is left as it was and reported with the elements that block it."""
    authority = _authority(actor)
    version.refresh_from_db()
    if version.status != ProcessStatus.ACTIVE:
        raise Conflict(_("只能迁移到已启用的流程版本"), code="migration_target_not_active")
    cases = _running_cases(version)
    if case_ids is not None:
        cases = cases.filter(pk__in=list(case_ids))
    report = MigrationReport(target=version)
    for case_id in list(cases.values_list("pk", flat=True)):
        outcome = _migrate_case(case_id, version=version, authority=authority)
        if outcome is not None:
            report.cases.append(outcome)
    return report


@transaction.atomic
def _migrate_case(case_id: int, *, version: ProcessVersion, authority: dict) -> CaseMigration | None:
    case = (
        Case.objects.select_for_update(of=("self",), no_key=True)
        .select_related("process_version")
        .get(pk=case_id)
    )
    old = case.process_version
    if case.state_json is None or old is None or old.pk == version.pk:
        return None
    check = workflow.check_migration(old.spec_json, version.spec_json, case.state_json)
    outcome = _outcome(case, check)
    details = {"from": old.number, "to": version.number, "key": version.definition.key}
    if not check.ok:
        record_event(
            action=AuditAction.CASE_MIGRATION_REFUSED,
            outcome=Outcome.REFUSED,
            reason="workflow_migration_refused",
            target=case,
            department=case.department,
            details={**details, "blocking": check.blocking},
            **authority,
        )
        return outcome
    snapshot = workflow.migrate(old.spec_json, version.spec_json, case.state_json, context=case)
    store_snapshot(case=case, snapshot=snapshot, version=version)
    record_event(
        action=AuditAction.CASE_MIGRATED,
        target=case,
        department=case.department,
        details={**details, "changed": check.changed},
        **authority,
    )
    return outcome


# The bundled processes --------------------------------------------------------------------------------


def load_default_processes(*, directory: Path = DATA_DIR) -> list[ProcessVersion]:
    """Import and activate the bundled processes (idempotent); ``standard_approval`` is the default.

    The service-task handlers they use (``issue_result``, ``deliver_result``, ``notify_refusal``,
    ``escalate``) must be registered first (the case services do it when the app loads).
    """
    versions = []
    for path in sorted(directory.glob("*.bpmn")):
        result = import_process(actor=None, xml=path.read_bytes(), file_name=path.name)
        version = result.version
        definition = version.definition
        if not ProcessVersion.objects.filter(definition=definition, status=ProcessStatus.ACTIVE).exists():
            version = activate_version(actor=None, version=version)
        if definition.key == DEFAULT_PROCESS_KEY and not definition.is_default:
            bind_process(actor=None, definition=definition, make_default=True)
        versions.append(version)
    return versions


# Reads of the workbench page --------------------------------------------------------------------------


def list_processes() -> list[ProcessDefinition]:
    """Every process with its versions (newest first) and, per version, how many open cases run on it."""
    definitions = list(
        ProcessDefinition.objects.prefetch_related("versions", "implementations").order_by("key")
    )
    running = dict(
        Case.objects.filter(status__in=list(OPEN_STATUSES), process_version__isnull=False)
        .values_list("process_version")
        .annotate(n=Count("pk"))
        .values_list("process_version", "n")
    )
    for definition in definitions:
        for version in definition.versions.all():
            version.running_cases = running.get(version.pk, 0)  # type: ignore[attr-defined]
    return definitions


def get_version(*, version_id: int) -> ProcessVersion:
    try:
        return ProcessVersion.objects.select_related("definition").get(pk=version_id)
    except ProcessVersion.DoesNotExist:
        raise NotFound(_("未找到该流程版本"), code="process_version_not_found") from None


def user_tasks_of(version: ProcessVersion) -> list[dict]:
    """The user tasks of a version (id, name, lane, escalation), read from the stored spec."""
    escalations = set(version.spec_json.get("escalation_tasks", ()))
    specs = [version.spec_json["spec"], *version.spec_json.get("subprocess_specs", {}).values()]
    tasks = []
    for spec in specs:
        for task in spec.get("task_specs", {}).values():
            if task.get("manual"):
                tasks.append(
                    {
                        "bpmn_id": task.get("bpmn_id") or task.get("name"),
                        "name": task.get("bpmn_name") or task.get("name"),
                        "lane": task.get("lane") or "",
                        "is_escalation": task.get("bpmn_id") in escalations,
                    }
                )
    return sorted(tasks, key=lambda task: task["bpmn_id"])
