"""Process versions: import (refusals audited), activation, running cases staying on their version,
migration case by case (one moved, one refused with the element named), the bundled processes, the
``import_process`` command naming each problem without a traceback."""

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from yiwang.applications import workflow
from yiwang.applications.constants import AuditAction, ProcessStatus, TaskState
from yiwang.applications.models import CaseTask, ProcessDefinition, ProcessVersion
from yiwang.applications.services import processes, runtime
from yiwang.applications.tests.factories import CaseFactory
from yiwang.applications.tests.workflow_fixtures import (
    UPSTREAM,
    linear,
    process_file,
    recording_handlers,
    version_2,
    version_3,
)
from yiwang.audit.constants import Outcome
from yiwang.audit.models import AuditEntry
from yiwang.core.errors import PermissionDenied
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory

pytestmark = pytest.mark.django_db

STEAL = linear(
    '<bpmn:scriptTask id="steal" name="读取文件">'
    "<bpmn:script>data = open('/etc/passwd').read()</bpmn:script></bpmn:scriptTask>"
)


@pytest.fixture
def handlers():
    with recording_handlers() as calls:
        yield calls


@pytest.fixture
def platform_admin():
    return StaffAssignmentFactory(role=StaffRole.PLATFORM_ADMIN).user


def import_standard(xml=None, **options):
    xml = xml or process_file("standard_approval.bpmn")
    return processes.import_process(actor=None, xml=xml, file_name="standard_approval.bpmn", **options)


def test_import_stores_a_draft_version_once_per_file(handlers, platform_admin):
    first = processes.import_process(
        actor=platform_admin, xml=process_file("standard_approval.bpmn"), file_name="standard_approval.bpmn"
    )
    assert first.created and first.warnings == []
    version = first.version
    assert (version.definition.key, version.number, version.status) == ("standard_approval", 1, "draft")
    assert version.definition.name == "标准审批流程" and len(version.sha256) == 64
    assert version.spec_json["process_id"] == "standard_approval" and version.serializer_version == "1.5"
    entry = AuditEntry.objects.get(action=AuditAction.PROCESS_IMPORTED)
    assert entry.actor == platform_admin and entry.actor_role == StaffRole.PLATFORM_ADMIN
    again = import_standard()
    assert not again.created and again.version == version
    second = import_standard(version_2())
    assert second.created and second.version.number == 2


def test_a_refused_import_stores_nothing_and_is_audited(handlers):
    with pytest.raises(workflow.ImportProblems):
        processes.import_process(actor=None, xml=STEAL, file_name="steal.bpmn")
    assert not ProcessVersion.objects.exists()
    entry = AuditEntry.objects.get(action=AuditAction.PROCESS_IMPORT_REFUSED)
    assert entry.outcome == Outcome.REFUSED and entry.details["file_name"] == "steal.bpmn"
    assert 'scriptTask id="steal"' in entry.details["problems"][0]


def test_only_the_platform_administrator_manages_processes(handlers):
    for role in (StaffRole.WINDOW_CLERK, StaffRole.APPROVER, StaffRole.SUPERVISOR, StaffRole.DATA_ADMIN):
        clerk = StaffAssignmentFactory(role=role).user
        assert not processes.may_manage_processes(clerk)
        with pytest.raises(PermissionDenied):
            processes.import_process(actor=clerk, xml=process_file("standard_approval.bpmn"), file_name="x")
    assert not ProcessVersion.objects.exists()


def test_lanes_that_are_not_roles_are_warned_about(handlers):
    path = UPSTREAM / "lanes.bpmn"
    result = processes.import_process(actor=None, xml=path.read_bytes(), file_name=path.name)
    assert result.created and len(result.warnings) == 6
    assert any("Activity_A1" in warning and "“A”" in warning for warning in result.warnings)


def test_activation_switches_new_cases_and_leaves_running_ones(handlers):
    v1 = import_standard(activate=True, make_default=True).version
    running = CaseFactory()
    runtime.start(case=running)
    v2 = import_standard(version_2()).version
    assert v2.status == ProcessStatus.DRAFT
    processes.activate_version(actor=None, version=v2)
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == (ProcessStatus.RETIRED, ProcessStatus.ACTIVE)
    running.refresh_from_db()
    assert running.process_version == v1  # a running case stays on the version it started with
    fresh = CaseFactory()
    runtime.start(case=fresh)
    assert fresh.process_version == v2
    assert AuditEntry.objects.filter(action=AuditAction.PROCESS_ACTIVATED).count() == 2


def case_at(step: str):
    """A running case of the active version, taken to ``step`` (accept or decide)."""
    case = CaseFactory()
    runtime.start(case=case)
    if step == "decide":
        for bpmn_id, data in (("accept", {"acceptance": "accept"}), ("review", {})):
            case.refresh_from_db()
            task = CaseTask.objects.get(case=case, bpmn_id=bpmn_id, state=TaskState.READY)
            runtime.complete(case=case, task=task, actor=None, data=data)
    case.refresh_from_db()
    return case


def test_migration_moves_what_can_move_and_names_what_blocks_the_rest(handlers, platform_admin):
    # given two running cases on v1: one still at `accept`, one already past `review`
    v1 = import_standard(activate=True, make_default=True).version
    at_accept, at_decide = case_at("accept"), case_at("decide")
    accept_task = CaseTask.objects.get(case=at_accept, state=TaskState.READY)
    # and v3, which no longer has a `review` step
    v3 = import_standard(version_3()).version
    # when checked, then the report names the blocking element of the one that cannot move
    report = processes.check_migration(actor=platform_admin, version=v3)
    by_number = {case.number: case for case in report.cases}
    assert by_number[at_accept.number].ok
    assert not by_number[at_decide.number].ok
    assert by_number[at_decide.number].blocking == ["review（审查）"]
    # a draft version is not a migration target
    with pytest.raises(processes.Conflict):
        processes.migrate_cases(actor=platform_admin, version=v3)
    # when activated and migrated
    processes.activate_version(actor=platform_admin, version=v3)
    report = processes.migrate_cases(actor=platform_admin, version=v3)
    assert [case.number for case in report.movable] == [at_accept.number]
    assert [case.number for case in report.blocked] == [at_decide.number]
    # then the movable case is on v3 with its task row still valid, the other stays on v1
    at_accept.refresh_from_db()
    at_decide.refresh_from_db()
    assert at_accept.process_version == v3 and at_decide.process_version == v1
    accept_task.refresh_from_db()
    assert accept_task.state == TaskState.READY
    runtime.complete(case=at_accept, task=accept_task, actor=None, data={"acceptance": "accept"})
    assert CaseTask.objects.get(case=at_accept, state=TaskState.READY).bpmn_id == "decide"
    # and each case's outcome is in the audit log
    moved = AuditEntry.objects.get(action=AuditAction.CASE_MIGRATED)
    refused = AuditEntry.objects.get(action=AuditAction.CASE_MIGRATION_REFUSED)
    assert moved.object_id == str(at_accept.pk) and moved.details["from"] == 1 and moved.details["to"] == 2
    assert refused.object_id == str(at_decide.pk) and refused.details["blocking"] == ["review（审查）"]
    assert refused.outcome == Outcome.REFUSED and refused.actor == platform_admin


def test_the_bundled_processes_load_once(handlers):
    first = processes.load_default_processes()
    second = processes.load_default_processes()
    assert [v.pk for v in first] == [v.pk for v in second]
    assert ProcessVersion.objects.count() == 2
    assert set(ProcessVersion.objects.values_list("status", flat=True)) == {ProcessStatus.ACTIVE}
    assert ProcessDefinition.objects.get(is_default=True).key == "standard_approval"


def test_binding_moves_an_implementation_between_processes(handlers):
    processes.load_default_processes()
    case = CaseFactory()
    standard = ProcessDefinition.objects.get(key="standard_approval")
    joint = ProcessDefinition.objects.get(key="joint_review")
    processes.bind_process(actor=None, definition=standard, implementations=[case.implementation])
    processes.bind_process(actor=None, definition=joint, implementations=[case.implementation])
    assert list(joint.implementations.all()) == [case.implementation]
    assert not standard.implementations.exists()


# The command -------------------------------------------------------------------------------------------


def test_the_command_imports_activates_and_makes_default(handlers, tmp_path):
    out = StringIO()
    path = Path(processes.DATA_DIR) / "standard_approval.bpmn"
    call_command("import_process", str(path), "--activate", "--default", stdout=out)
    assert "已导入：标准审批流程（standard_approval）第 1 版，状态：启用" in out.getvalue()
    assert ProcessDefinition.objects.get(key="standard_approval").is_default


def test_the_command_names_every_problem_and_fails(handlers, tmp_path):
    bad = tmp_path / "bad.bpmn"
    bad.write_bytes(STEAL.replace(b"</bpmn:process>", b'<bpmn:complexGateway id="cg"/></bpmn:process>'))
    err = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("import_process", str(bad), stderr=err)
    assert "流程文件有 2 处问题，未导入" in str(failed.value)
    assert 'scriptTask id="steal"' in err.getvalue() and 'complexGateway id="cg"' in err.getvalue()
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("import_process", str(tmp_path / "missing.bpmn"))
    with pytest.raises(CommandError, match="未找到实施清单"):
        call_command("import_process", str(bad), "--implementation", "NO-SUCH-CODE")


def test_the_command_exits_non_zero_without_a_traceback(tmp_path):
    # a real process (manage.py), as an operator runs it: a file that is not there and one that is no XML
    not_xml = tmp_path / "notes.bpmn"
    not_xml.write_text("这不是 BPMN", encoding="utf-8")
    manage = Path(__file__).resolve().parents[4] / "manage.py"
    for target in (tmp_path / "missing.bpmn", tmp_path):
        result = subprocess.run(  # noqa: S603  (our interpreter, our manage.py)
            [sys.executable, str(manage), "import_process", str(target)],
            capture_output=True,
            text=True,
            env={"DJANGO_SETTINGS_MODULE": "yiwang.settings.test", "PATH": "/usr/bin:/bin"},
            check=False,
        )
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        assert "找不到文件" in result.stderr or "不是文件" in result.stderr
