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


def version_2() -> bytes:
    """v2: a legal review (法制审核) between review and decide; decide renamed."""
    xml = process_file("standard_approval.bpmn").decode()
    xml = xml.replace('<bpmn:sequenceFlow id="Flow_to_decide" sourceRef="review" targetRef="decide" />', (
        '<bpmn:sequenceFlow id="Flow_to_decide" sourceRef="review" targetRef="legal_review" />'
        '<bpmn:sequenceFlow id="Flow_legal_done" sourceRef="legal_review" targetRef="decide" />'
    ))  # fmt: skip
    xml = xml.replace('<bpmn:userTask id="decide" name="决定">', (
        '<bpmn:userTask id="legal_review" name="法制审核"><bpmn:incoming>Flow_to_decide</bpmn:incoming>'
        '<bpmn:outgoing>Flow_legal_done</bpmn:outgoing></bpmn:userTask>'
        '<bpmn:userTask id="decide" name="审批决定">'
    ))  # fmt: skip
    return xml.replace("<bpmn:incoming>Flow_to_decide</bpmn:incoming>\n      <bpmn:outgoing>Flow_decided", (
        "<bpmn:incoming>Flow_legal_done</bpmn:incoming>\n      <bpmn:outgoing>Flow_decided"
    )).encode()  # fmt: skip


def version_3() -> bytes:
    """v3: no separate review any more (受理 → 决定)."""
    xml = process_file("standard_approval.bpmn").decode()
    start = xml.index('<bpmn:userTask id="review"')
    xml = xml[:start] + xml[xml.index("</bpmn:userTask>", start) + len("</bpmn:userTask>") :]
    xml = xml.replace('<bpmn:sequenceFlow id="Flow_to_decide" sourceRef="review" targetRef="decide" />', "")
    xml = xml.replace(
        'sourceRef="gateway_acceptance" targetRef="review"',
        'sourceRef="gateway_acceptance" targetRef="decide"',
    )
    xml = xml.replace(
        "<bpmn:incoming>Flow_to_decide</bpmn:incoming>", "<bpmn:incoming>Flow_accepted</bpmn:incoming>"
    )
    return xml.replace("<bpmn:flowNodeRef>review</bpmn:flowNodeRef>", "").encode()
