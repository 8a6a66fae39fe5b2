"""Importing a BPMN file: every problem named (line, element, id), unsafe code refused, nothing run."""

import pytest

from yiwang.applications import workflow
from yiwang.applications.tests.workflow_fixtures import bpmn, linear, process_file, recording_handlers
from yiwang.applications.workflow.handlers import temporary_handlers


def problems_of(xml: bytes) -> list[str]:
    with pytest.raises(workflow.ImportProblems) as refused:
        workflow.parse_bpmn(xml, file_name="test.bpmn")
    assert refused.value.code == "process_invalid"
    return [str(problem) for problem in refused.value.problems]


def test_a_script_reading_a_file_is_refused_and_never_runs(tmp_path, monkeypatch):
    # given a process whose script task tries to read /etc/passwd
    xml = linear(
        '<bpmn:scriptTask id="steal" name="读取文件">'
        "<bpmn:script>data = open('/etc/passwd').read()</bpmn:script></bpmn:scriptTask>"
    )
    opened = []
    monkeypatch.setattr("builtins.open", lambda *args, **kwargs: opened.append(args))
    # when it is imported, then it is refused naming the task and the line, and nothing was opened
    problems = problems_of(xml)
    assert len(problems) == 1
    assert 'scriptTask id="steal"' in problems[0]
    assert "data = open('/etc/passwd').read()" in problems[0]
    assert "第 1 行" in problems[0]
    assert opened == []


def test_a_condition_opening_a_socket_is_refused():
    # given an exclusive gateway whose condition imports socket
    xml = bpmn(
        """
        <bpmn:startEvent id="start"/>
        <bpmn:exclusiveGateway id="gw" default="f_default"/>
        <bpmn:endEvent id="end_a"/><bpmn:endEvent id="end_b"/>
        <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw"/>
        <bpmn:sequenceFlow id="f_evil" sourceRef="gw" targetRef="end_a">
          <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">
            __import__('socket').create_connection(('example.org', 80))
          </bpmn:conditionExpression>
        </bpmn:sequenceFlow>
        <bpmn:sequenceFlow id="f_default" sourceRef="gw" targetRef="end_b"/>
        """
    )
    problems = problems_of(xml)
    assert len(problems) == 1
    assert "conditionExpression" in problems[0]
    assert 'sequenceFlow id="f_evil"' in problems[0]
    assert "函数调用" in problems[0]


def test_every_unsupported_element_is_named_with_line_tag_and_id():
    # given a file with a message start, a send task, a complex gateway, a DMN task and an unknown element
    xml = bpmn(
        """
<bpmn:startEvent id="start"><bpmn:messageEventDefinition id="msg_def"/></bpmn:startEvent>
<bpmn:sendTask id="send"/>
<bpmn:complexGateway id="complex"/>
<bpmn:businessRuleTask id="rules"/>
<bpmn:fooTask id="foo"/>
<bpmn:userTask id="ok_task" name="正常"/>
<bpmn:endEvent id="end"><bpmn:signalEventDefinition id="sig_def"/></bpmn:endEvent>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ok_task"/>
<bpmn:sequenceFlow id="f2" sourceRef="ok_task" targetRef="end"/>
        """,
        extra='<bpmn:message id="Message_1" name="m"/>\n',
    )
    problems = problems_of(xml)
    text = "\n".join(problems)
    for tag, element_id in [
        ("messageEventDefinition", "msg_def"),
        ("sendTask", "send"),
        ("complexGateway", "complex"),
        ("businessRuleTask", "rules"),
        ("fooTask", "foo"),
        ("signalEventDefinition", "sig_def"),
        ("message", "Message_1"),
    ]:
        assert f'<{tag} id="{element_id}">' in text, tag
    assert all(problem.startswith("第 ") for problem in problems)  # each with its line
    assert "ok_task" not in text


def test_dangling_references_are_named_before_spiff_misreports_them():
    xml = linear(
        '<bpmn:userTask id="task" name="审查"/>',
        flows='<bpmn:sequenceFlow id="f_dangling" sourceRef="task" targetRef="nowhere"/>'
        '<bpmn:boundaryEvent id="b" attachedToRef="ghost"><bpmn:timerEventDefinition>'
        "<bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>",
    )
    text = "\n".join(problems_of(xml))
    assert "targetRef 指向不存在的元素“nowhere”" in text
    assert "attachedToRef 指向不存在的元素“ghost”" in text


def test_a_service_task_needs_a_registered_handler():
    xml = linear('<bpmn:serviceTask id="call_the_mainframe" name="调用"/>')
    (problem,) = problems_of(xml)
    assert "call_the_mainframe" in problem and "处理程序" in problem


def test_timers_accept_iso_literals_and_safe_names_only():
    ok = linear(
        '<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
        "<bpmn:timeDuration>P3D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>",
        '<bpmn:intermediateCatchEvent id="until"><bpmn:timerEventDefinition>'
        "<bpmn:timeDate>promised_due</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>",
    )
    assert workflow.parse_bpmn(ok, file_name="ok.bpmn").process_id == "test_process"
    evil = linear(
        '<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
        "<bpmn:timeDuration>__import__('os').system('id')</bpmn:timeDuration>"
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )
    (problem,) = problems_of(evil)
    assert "timeDuration" in problem and 'intermediateCatchEvent id="wait"' in problem


def test_entities_dtds_and_non_bpmn_files_are_refused():
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>'
    )
    assert "DOCTYPE" in problems_of(xxe)[0]
    assert "XML" in problems_of(b"not xml at all")[0]
    assert "definitions" in problems_of(b"<html/>")[0]


def test_no_executable_process_and_schema_errors_are_problems_not_tracebacks():
    assert "isExecutable" in problems_of(bpmn("").replace(b'isExecutable="true"', b'isExecutable="false"'))[0]
    # an attribute the BPMN schema does not allow (Spiff's validator finds it)
    broken = linear('<bpmn:userTask id="t" name="x" cancelActivity="maybe"/>')
    assert "BPMN 2.0" in problems_of(broken)[0]


def test_the_bundled_processes_import(settings):
    with recording_handlers():
        standard = workflow.parse_bpmn(
            process_file("standard_approval.bpmn"), file_name="standard_approval.bpmn"
        )
        joint = workflow.parse_bpmn(process_file("joint_review.bpmn"), file_name="joint_review.bpmn")
    assert standard.process_id == "standard_approval"
    assert [(t.bpmn_id, t.lane) for t in standard.user_tasks] == [
        ("accept", "window_clerk"),
        ("decide", "approver"),
        ("review", "approver"),
        ("supervise", "supervisor"),
    ]
    assert standard.spec_json["escalation_tasks"] == ["supervise"]
    assert {t.bpmn_id for t in joint.user_tasks} >= {"review_housing", "review_tax", "review_land"}
    assert {t.lane for t in joint.user_tasks if t.bpmn_id.startswith("review_")} == {"approver"}


def test_the_bundled_processes_name_their_missing_handlers():
    with temporary_handlers(issue_result=None, deliver_result=None, notify_refusal=None, escalate=None):
        text = "\n".join(problems_of(process_file("standard_approval.bpmn")))
    for handler_id in ("issue_result", "deliver_result", "notify_refusal", "escalate"):
        assert f"服务任务“{handler_id}”没有已登记的处理程序" in text
