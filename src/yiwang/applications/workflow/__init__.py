"""The workflow engine of case handling: BPMN 2.0 processes on SpiffWorkflow, behind a pure API (ADR 0009).

This package is the only place that imports SpiffWorkflow (an import-linter contract says so). Callers
get plain data: ``ParsedProcess`` from an import, ``Snapshot`` after each step, ``MigrationCheck``.
The persistence (cases, tasks, versions) is ``applications.services.runtime`` and ``.processes``.
"""

from .engine import (
    MigrationCheck,
    ReadyTask,
    Snapshot,
    check_migration,
    complete_task,
    fire_timers,
    migrate,
    set_deadlines,
    start,
)
from .errors import ImportProblems, MigrationRefused, TaskNotReady, WorkflowError
from .expressions import ExpressionError
from .handlers import handlers, register_handler
from .parsing import ParsedProcess, UserTaskInfo, parse_bpmn
from .precheck import Problem
from .spiff import SERIALIZER_VERSION, end_of_day

__all__ = [
    "SERIALIZER_VERSION",
    "ExpressionError",
    "ImportProblems",
    "MigrationCheck",
    "MigrationRefused",
    "ParsedProcess",
    "Problem",
    "ReadyTask",
    "Snapshot",
    "TaskNotReady",
    "UserTaskInfo",
    "WorkflowError",
    "check_migration",
    "complete_task",
    "end_of_day",
    "fire_timers",
    "handlers",
    "migrate",
    "parse_bpmn",
    "register_handler",
    "set_deadlines",
    "start",
]
