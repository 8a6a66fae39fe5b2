"""The SpiffWorkflow glue: our script engine, service tasks, working-day timers, parser and serializer.

This module (with ``engine`` and ``parsing``) is the only place that imports SpiffWorkflow (ADR 0009).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from SpiffWorkflow.bpmn.parser import BpmnParser, BpmnValidator
from SpiffWorkflow.bpmn.parser.event_parsers import BoundaryEventParser, IntermediateCatchEventParser
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import DEFAULT_CONFIG, BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, IntermediateCatchEvent, ServiceTask
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from yiwang.core.errors import DomainError

from . import expressions
from .handlers import call_handler, has_handler
from .precheck import is_timer_literal

# Spiff logs every task state change at INFO: thousands of lines per case, nothing we act on.
logging.getLogger("spiff").setLevel(logging.WARNING)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A named deadline (timeDate ``promised_due``) not known yet waits here until set_deadlines sets it.
UNSET_DEADLINE = "9999-12-31T00:00:00+00:00"


def end_of_day(day: dt.date) -> dt.datetime:
    """24:00 Asia/Shanghai of ``day`` (the first instant after it), in UTC."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), SHANGHAI).astimezone(dt.UTC)


class SafeEnvironment(BasePythonScriptEngineEnvironment):
    """Where Spiff reaches past the engine to its environment: our evaluator there too, never ``eval``."""

    def evaluate(self, expression, context, external_context=None):
        return expressions.evaluate(expression, {**(external_context or {}), **context})

    def execute(self, script, context, external_context=None):
        expressions.run_script(script, context)
        return True

    def call_service(self, context, **kwargs):
        raise expressions.ExpressionError(_("流程不能调用外部服务"))


class SafeScriptEngine(PythonScriptEngine):
    """Expressions and scripts through the allow-list evaluator; timers in working days; handlers with
    the case as context. Not serialized: a new one is set after every load, with the clock of the call."""

    def __init__(self, *, context: Any = None, now: dt.datetime | None = None, calendar: Any = None) -> None:
        super().__init__(environment=SafeEnvironment())
        self.context = context
        self._now = now
        self._calendar = calendar
        self.handler_error: BaseException | None = None
        # Migration resets the waiting branches; their timers keep the instants they had (by spec name).
        self.preserved_timers: dict[str, dict[str, Any]] = {}

    def restore_timer(self, task) -> None:
        saved = self.preserved_timers.pop(task.task_spec.name, None)
        if saved is not None and task._get_internal_data("event_value") is None:
            task.internal_data.update(saved)

    def now(self) -> dt.datetime:
        return self._now or dt.datetime.now(dt.UTC)

    @property
    def calendar(self) -> Any:
        if self._calendar is None:
            from yiwang.core.workdays import load_calendar

            self._calendar = load_calendar()
        return self._calendar

    def validate(self, expression):
        expressions.check_expression(expression)

    def evaluate(self, task, expression, external_context=None):
        return expressions.evaluate(expression, {**(external_context or {}), **task.data})

    def execute(self, task, script, external_context=None):
        expressions.run_script(script, task.data)
        return True

    def call_service(self, task, **kwargs):
        raise expressions.ExpressionError(_("流程不能调用外部服务"))

    # Timers --------------------------------------------------------------------------------------------

    def timer_value(self, task, tag: str, expression: str) -> Any:
        """A timer's text: an ISO literal as modelers write it (``P3D``), else a safe expression."""
        text = (expression or "").strip()
        if is_timer_literal(tag, text):
            return text
        data = {**task.data, **_deadlines(task.workflow.top_workflow)}
        return expressions.evaluate(text, data)

    def duration_due(self, duration: str, start: dt.datetime) -> dt.datetime:
        """When a duration started at ``start`` ends: whole days are working days (to 24:00 Shanghai of
        the Nth working day after ``start``); any other duration is calendar time, as Spiff counts it."""
        parsed = TimerEventDefinition.parse_iso_duration(duration)
        days = parsed.get("days", 0)
        if set(parsed) <= {"days"} and float(days).is_integer():
            local_day = start.astimezone(SHANGHAI).date()
            return end_of_day(self.calendar.add_working_days(local_day, int(days)))
        return start + TimerEventDefinition.get_timedelta_from_start(dict(parsed), start)


def _deadlines(workflow) -> dict[str, Any]:
    return dict(workflow.data.get("_deadlines", {}))


def _engine(task) -> SafeScriptEngine:
    engine = task.workflow.script_engine
    if not isinstance(engine, SafeScriptEngine):  # a workflow restored without our engine never runs
        raise expressions.ExpressionError(_("流程引擎未正确初始化"))
    return engine


def _is_due(value: str, now: dt.datetime) -> bool:
    return TimerEventDefinition.get_datetime(value) <= now


class WorkdayDurationTimerEventDefinition(DurationTimerEventDefinition):
    """``timeDuration``: ``P3D`` is three working days; the due instant is fixed when first reached."""

    def has_fired(self, my_task):
        engine = _engine(my_task)
        engine.restore_timer(my_task)
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            duration = engine.timer_value(my_task, "timeDuration", self.expression)
            event_value = engine.duration_due(str(duration), engine.now()).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if _is_due(event_value, engine.now()):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class DeadlineTimerEventDefinition(TimeDateEventDefinition):
    """``timeDate``: an ISO date, or a named deadline (``promised_due``) that ``set_deadlines`` moves."""

    def has_fired(self, my_task):
        engine = _engine(my_task)
        engine.restore_timer(my_task)
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            name = self.expression.strip()
            deadlines = _deadlines(my_task.workflow.top_workflow)
            if name.isidentifier():
                my_task._set_internal_data(deadline=name)
            if name.isidentifier() and name not in my_task.data and name not in deadlines:
                event_value = UNSET_DEADLINE
            else:
                value = engine.timer_value(my_task, "timeDate", self.expression)
                event_value = value.isoformat() if isinstance(value, dt.datetime) else str(value)
                event_value = TimerEventDefinition.get_datetime(event_value).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if _is_due(event_value, engine.now()):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class CalendarCycleTimerEventDefinition(CycleTimerEventDefinition):
    """``timeCycle`` (``R3/PT1H``): calendar time as Spiff counts it, on our clock."""

    def cycle_complete(self, my_task):
        engine = _engine(my_task)
        engine.restore_timer(my_task)
        now = engine.now()
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = engine.timer_value(my_task, "timeCycle", self.expression)
            cycles, start, duration = _recurring_interval(str(expression), now)
            event_value = {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}
        ready = False
        if event_value["cycles"] != 0:
            next_event = dt.datetime.fromisoformat(event_value["next"])
            if next_event <= now:
                event_value["next"] = (next_event + dt.timedelta(seconds=event_value["duration"])).isoformat()
                event_value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task._set_internal_data(event_value=event_value)
        return ready


def _recurring_interval(expression: str, now: dt.datetime) -> tuple[int, dt.datetime, dt.timedelta]:
    components = expression.upper().replace("--", "/").strip("R").split("/")
    cycles = int(components[0]) if components[0] else -1
    first = TimerEventDefinition.parse_time_or_duration(components[1])
    second = TimerEventDefinition.parse_time_or_duration(components[2]) if len(components) == 3 else None
    if isinstance(first, dt.datetime) and isinstance(second, dict):
        return cycles, first, TimerEventDefinition.get_timedelta_from_start(second, first)
    if isinstance(first, dict) and isinstance(second, dt.datetime):
        duration = TimerEventDefinition.get_timedelta_from_end(first, second)
        return cycles, second - duration, duration
    if isinstance(first, dict) and second is None:
        duration = TimerEventDefinition.get_timedelta_from_start(first, now)
        return cycles, now + duration, duration
    raise expressions.ExpressionError(_("无法识别的循环定时器“%(value)s”") % {"value": expression})


_OUR_TIMERS = {
    TimeDateEventDefinition: DeadlineTimerEventDefinition,
    DurationTimerEventDefinition: WorkdayDurationTimerEventDefinition,
    CycleTimerEventDefinition: CalendarCycleTimerEventDefinition,
}


class _OurTimersMixin:
    def parse_timer_event(self, event):
        definition = super().parse_timer_event(event)
        ours = _OUR_TIMERS[type(definition)]
        return ours(definition.name, definition.expression, description=definition.description)


class OurBoundaryEventParser(_OurTimersMixin, BoundaryEventParser):
    pass


class OurIntermediateCatchEventParser(_OurTimersMixin, IntermediateCatchEventParser):
    pass


class HandlerServiceTask(ServiceTask):
    """A ``serviceTask`` calls the handler registered under its BPMN id, with the case as context."""

    def _execute(self, task):
        engine = _engine(task)
        if not has_handler(self.bpmn_id):
            message = _("服务任务“%(id)s”没有已登记的处理程序") % {"id": self.bpmn_id}
            raise expressions.ExpressionError(message)
        try:
            result = call_handler(self.bpmn_id, engine.context, dict(task.data))
        except DomainError as error:
            engine.handler_error = error  # re-raised as itself once Spiff has unwound
            raise
        if result:
            task.data.update(result)
        return True


class Parser(BpmnParser):
    """Spiff's parser with our service tasks and timers (never ``SpiffBpmnParser``: it refuses plain
    service tasks drawn in Camunda Modeler)."""

    OVERRIDE_PARSER_CLASSES = {
        full_tag("serviceTask"): (TaskParser, HandlerServiceTask),
        full_tag("boundaryEvent"): (OurBoundaryEventParser, BoundaryEvent),
        full_tag("intermediateCatchEvent"): (OurIntermediateCatchEventParser, IntermediateCatchEvent),
    }


_validator_lock = threading.Lock()
_validator: BpmnValidator | None = None


def validate_schema(tree, file_name: str) -> None:
    """BPMN 2.0 XSD validation (one shared validator: the XSD takes a while to load)."""
    global _validator
    with _validator_lock:
        if _validator is None:
            _validator = BpmnValidator()
        _validator.validate(tree, file_name)


def new_parser() -> Parser:
    return Parser()


_CONFIG = {
    **DEFAULT_CONFIG,
    HandlerServiceTask: BpmnTaskSpecConverter,
    DeadlineTimerEventDefinition: TimerConditionalEventDefinitionConverter,
    WorkdayDurationTimerEventDefinition: TimerConditionalEventDefinitionConverter,
    CalendarCycleTimerEventDefinition: TimerConditionalEventDefinitionConverter,
}
serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_CONFIG))
SERIALIZER_VERSION: str = serializer.VERSION


def _state_converter() -> BpmnWorkflowConverter:
    # The registry's own conversions, without registering another converter for BpmnWorkflow.
    converter = object.__new__(BpmnWorkflowConverter)
    converter.target_class = BpmnWorkflow
    converter.registry = serializer.registry
    converter.typename = serializer.registry.typenames[BpmnWorkflow]
    return converter


_STATE_CONVERTER = _state_converter()


def workflow_state(workflow: BpmnWorkflow) -> dict[str, Any]:
    """``serializer.to_dict(workflow)`` without ``spec`` and ``subprocess_specs``: a case's state never
    keeps them (its process version does, once), and converting them only to drop them was a third of a
    start's CPU. Tested equal to the whole conversion with those two keys removed."""
    converter = _STATE_CONVERTER
    document = WorkflowConverter.to_dict(converter, workflow)
    document["subprocesses"] = converter.mapping_to_dict(workflow.subprocesses)
    document["bpmn_events"] = converter.registry.convert(workflow.bpmn_events)
    document["typename"] = converter.typename
    return document


PREDICTED = TaskState.FUTURE | TaskState.LIKELY | TaskState.MAYBE
