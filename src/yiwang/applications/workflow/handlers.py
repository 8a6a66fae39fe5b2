"""Service-task handlers: what a BPMN ``serviceTask`` does, looked up by its BPMN id (ADR 0009).

A handler is called as ``handler(context, data)`` with the case (``context``) and a copy of the task's
data; a returned dict is merged into the task data. Handlers call our services inside the caller's
transaction, so an error rolls the whole step back. An id must be registered before a process using it
can be imported::

    from yiwang.applications.workflow.handlers import register_handler

    @register_handler("issue_result")
    def issue_result(case, data):
        ...
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from yiwang.core.registry import Registry

HandlerFunction = Callable[[Any, dict[str, Any]], dict[str, Any] | None]


class WorkflowHandler(abc.ABC):
    """Base of a registered handler: a class whose instances are called with (context, data)."""

    id: ClassVar[str]

    @abc.abstractmethod
    def __call__(self, context: Any, data: dict[str, Any]) -> dict[str, Any] | None:
        """Do the service task's work; a returned dict is merged into the task data."""


handlers: Registry[WorkflowHandler] = Registry("applications-workflow-handlers")


def _handler_class(handler_id: str, function: HandlerFunction) -> type[WorkflowHandler]:
    def call(self: WorkflowHandler, context: Any, data: dict[str, Any]) -> dict[str, Any] | None:
        return function(context, data)

    cls = type(f"Handler_{handler_id}", (WorkflowHandler,), {"__call__": call})
    # The registry refuses a second class under one id unless it is the same definition (a re-import).
    cls.__qualname__ = f"{function.__module__}.{function.__qualname__}"
    return cls


def register_handler(handler_id: str) -> Callable[[HandlerFunction], HandlerFunction]:
    """Function decorator: make ``function(context, data)`` the handler of service tasks ``handler_id``."""

    def decorate(function: HandlerFunction) -> HandlerFunction:
        handlers.register(handler_id)(_handler_class(handler_id, function))
        return function

    return decorate


def has_handler(handler_id: str) -> bool:
    return handler_id in handlers.ids()


def call_handler(handler_id: str, context: Any, data: dict[str, Any]) -> dict[str, Any] | None:
    return handlers.get(handler_id)(context, data)


@contextmanager
def temporary_handlers(**functions: HandlerFunction | None) -> Iterator[None]:
    """Tests: register handlers for the duration of a block, replacing any registered under those ids
    (``None`` unregisters one)."""
    handlers._load()
    saved = {key: handlers._plugins.get(key) for key in functions}
    try:
        for handler_id, function in functions.items():
            handlers._instances.pop(handler_id, None)
            if function is None:
                handlers._plugins.pop(handler_id, None)
            else:
                handlers._plugins[handler_id] = _handler_class(handler_id, function)
        yield
    finally:
        for handler_id, previous in saved.items():
            handlers._instances.pop(handler_id, None)
            if previous is None:
                handlers._plugins.pop(handler_id, None)
            else:
                handlers._plugins[handler_id] = previous
