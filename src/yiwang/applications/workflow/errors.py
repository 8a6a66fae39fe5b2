"""What the workflow package raises: ``core.errors`` exceptions with stable codes, never a Spiff object."""

from __future__ import annotations

from django.utils.translation import gettext as _

from yiwang.core.errors import Conflict, InvalidInput

from .precheck import Problem


class WorkflowError(Conflict):
    """The process could not take the step (no branch matched, a handler failed...); nothing was saved."""

    code = "workflow_error"
    default_message = "流程无法继续"


class TaskNotReady(Conflict):
    code = "workflow_task_not_ready"
    default_message = "该环节当前不可办理"


class MigrationRefused(Conflict):
    code = "workflow_migration_refused"
    default_message = "该办件不能迁移到新版本流程"


class ImportProblems(InvalidInput):
    """A BPMN file that cannot be imported, with every problem found (line, element, reason)."""

    code = "process_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        summary = _("流程文件有 %(n)d 处问题，未导入") % {"n": len(self.problems)}
        super().__init__(summary, problems=[str(problem) for problem in self.problems])

    def __str__(self) -> str:
        return "\n".join([self.message, *(str(problem) for problem in self.problems)])
