"""Import a BPMN file: our pre-check, then Spiff's schema validation and parser (ADR 0009, steps 1–4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException

from .errors import ImportProblems
from .precheck import Problem, local_name, read_xml, walk_problems
from .spiff import SERIALIZER_VERSION, new_parser, serializer, validate_schema


@dataclass(frozen=True)
class UserTaskInfo:
    bpmn_id: str
    name: str
    lane: str

    def __iter__(self):  # unpacks as (bpmn_id, name, lane)
        return iter((self.bpmn_id, self.name, self.lane))


@dataclass(frozen=True)
class ParsedProcess:
    process_id: str
    name: str
    spec_json: dict[str, Any]
    serializer_version: str
    user_tasks: list[UserTaskInfo] = field(default_factory=list)


def parse_bpmn(xml: bytes, *, file_name: str) -> ParsedProcess:
    """Check and parse one BPMN file holding one executable process (and the processes it calls).

    Raises ``ImportProblems`` listing every problem; never lets a parser exception escape.
    """
    tree, problems = read_xml(xml)
    if tree is None:
        raise ImportProblems(problems)
    root = tree.getroot()
    problems = walk_problems(root)
    if problems:
        raise ImportProblems(problems)
    try:
        validate_schema(tree, file_name)
        parser = new_parser()
        parser.add_bpmn_xml(tree, filename=file_name)
        process_id = _top_process(parser, root)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ImportProblems:
        raise
    except ValidationException as error:
        raise ImportProblems([_spiff_problem(error)]) from None
    except (SpiffWorkflowException, etree.LxmlError, NotImplementedError, KeyError, ValueError) as error:
        raise ImportProblems([Problem(_("流程无法解析：%(error)s") % {"error": error})]) from None
    spec_json = {
        "process_id": process_id,
        "spec": serializer.to_dict(spec),
        "subprocess_specs": {name: serializer.to_dict(sub) for name, sub in subprocess_specs.items()},
        "escalation_tasks": sorted(_escalation_tasks([spec, *subprocess_specs.values()])),
    }
    return ParsedProcess(
        process_id=process_id,
        name=spec.description or process_id,
        spec_json=spec_json,
        serializer_version=SERIALIZER_VERSION,
        user_tasks=_user_tasks([spec, *subprocess_specs.values()]),
    )


def _top_process(parser, root) -> str:
    """The one executable process no call activity calls."""
    executable = parser.get_process_ids()
    called = {
        element.get("calledElement")
        for element in root.iter()
        if isinstance(element.tag, str) and local_name(element) == "callActivity"
    }
    tops = [process_id for process_id in executable if process_id not in called]
    if not tops:
        raise ImportProblems([Problem(_("文件中没有可执行的流程（isExecutable）"))])
    if len(tops) > 1:
        raise ImportProblems(
            [Problem(_("一个文件只能有一个主流程，发现：%(ids)s") % {"ids": "、".join(tops)})]
        )
    return tops[0]


def _spiff_problem(error: ValidationException) -> Problem:
    line = error.line_number if isinstance(error.line_number, int) else None
    message = str(error.args[0]) if error.args else str(error)
    return Problem(
        message=_("不符合 BPMN 2.0 规范：%(error)s") % {"error": message},
        line=line,
        tag=getattr(error, "tag", "") or "",
        element_id=getattr(error, "id", "") or "",
    )


def _user_tasks(specs) -> list[UserTaskInfo]:
    found = []
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "manual", False):
                found.append(
                    UserTaskInfo(
                        bpmn_id=task_spec.bpmn_id,
                        name=task_spec.bpmn_name or task_spec.bpmn_id,
                        lane=task_spec.lane or "",
                    )
                )
    return sorted(found, key=lambda info: info.bpmn_id)


def _is_timer_boundary(task_spec) -> bool:
    definition = getattr(task_spec, "event_definition", None)
    return isinstance(task_spec, BoundaryEvent) and isinstance(definition, TimerEventDefinition)


def _reachable(starts, *, skip) -> set[str]:
    seen: set[str] = set()
    stack = list(starts)
    while stack:
        task_spec = stack.pop()
        if task_spec.name in seen or skip(task_spec):
            continue
        seen.add(task_spec.name)
        stack.extend(task_spec.outputs)
    return seen


def _escalation_tasks(specs) -> set[str]:
    """User tasks reached only through a timer boundary event (督办): the branch a timer starts."""
    escalations: set[str] = set()
    for spec in specs:
        main = _reachable([spec.start], skip=_is_timer_boundary)
        timers = [ts for ts in spec.task_specs.values() if _is_timer_boundary(ts)]

        def on_main_path(task_spec, main=main) -> bool:
            return task_spec.name in main or task_spec.name.endswith(".BoundaryEventJoin")

        branch = _reachable([output for timer in timers for output in timer.outputs], skip=on_main_path)
        escalations |= {
            spec.task_specs[name].bpmn_id
            for name in branch
            if getattr(spec.task_specs[name], "manual", False)
        }
    return escalations
