"""Helpers of the workflow tests: small BPMN documents, the bundled processes, recording handlers."""

from __future__ import annotations

import itertools
import re
from contextlib import contextmanager
from pathlib import Path

from yiwang.applications.workflow.handlers import temporary_handlers

PROCESSES = Path(__file__).resolve().parents[1] / "data" / "processes"
UPSTREAM = Path(__file__).resolve().parent / "data" / "spiff"
HANDLER_IDS = ("issue_result", "deliver_result", "notify_refusal", "escalate")

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_test" '
    'targetNamespace="http://bpmn.io/schema/bpmn">\n'
)


def bpmn(body: str, *, process_id: str = "test_process", extra: str = "") -> bytes:
    """A definitions document with one executable process whose content is ``body``."""
    return (
        f'{HEADER}{extra}<bpmn:process id="{process_id}" name="测试流程" isExecutable="true">\n'
        f"{body}\n</bpmn:process>\n</bpmn:definitions>\n"
    ).encode()


def linear(*middle: str, flows: str = "") -> bytes:
    """start → the given elements (in order, by their ids) → end, wired by sequence flows f0, f1, …"""
    ids = ["start", *[re.search(r'id="([^"]+)"', element).group(1) for element in middle], "end"]
    elements = ['<bpmn:startEvent id="start"/>']
    elements += list(middle)
    elements.append('<bpmn:endEvent id="end"/>')
    wires = [
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
        for i, (a, b) in enumerate(itertools.pairwise(ids))
    ]
    return bpmn("\n".join(elements + wires) + flows)


def process_file(name: str) -> bytes:
    return (PROCESSES / name).read_bytes()


class Calls(list):
    """The handler calls a test saw, as (handler id, case, data)."""

    def ids(self) -> list[str]:
        return [call[0] for call in self]


@contextmanager
def recording_handlers(**overrides):
    """Register the four case handlers (recording their calls), plus any ``overrides``."""
    calls = Calls()

    def recorder(handler_id):
        def handle(context, data):
            calls.append((handler_id, context, dict(data)))
            return {f"{handler_id}_done": True}

        return handle

    functions = {handler_id: recorder(handler_id) for handler_id in HANDLER_IDS}
    functions.update(overrides)
    with temporary_handlers(**functions):
        yield calls
