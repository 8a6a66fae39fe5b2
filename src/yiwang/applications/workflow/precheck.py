"""Our own reading of an uploaded BPMN file before SpiffWorkflow sees it (ADR 0009, import steps 1–3).

Spiff drops unknown elements silently and its validator reports one error only, so this walk lists
*every* problem: each BPMN element outside the allow-list (line, tag, id), dangling references, and each
expression, timer, script and service task that is not in our safe language or has no handler.
Vendor extensions (``camunda:``, ``spiffworkflow:``, Signavio...) and the diagram (``bpmndi``) are ignored.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from lxml import etree

from .expressions import ExpressionError, check_expression, check_script
from .handlers import has_handler

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
MAX_FILE_BYTES = 2 * 1024 * 1024

# Elements we run (or that only describe the diagram's structure).
SUPPORTED = frozenset(
    {
        "definitions", "process", "collaboration", "participant", "documentation", "extensionElements",
        "laneSet", "lane", "childLaneSet", "flowNodeRef",
        "startEvent", "endEvent", "intermediateCatchEvent", "boundaryEvent",
        "userTask", "manualTask", "task", "serviceTask", "scriptTask", "script",
        "exclusiveGateway", "parallelGateway", "inclusiveGateway",
        "subProcess", "callActivity", "sequenceFlow", "conditionExpression", "incoming", "outgoing",
        "timerEventDefinition", "timeDate", "timeDuration", "timeCycle", "terminateEventDefinition",
        "textAnnotation", "text", "association", "group", "category", "categoryValue",
    }
)  # fmt: skip
FLOW_NODES = frozenset(
    {
        "startEvent", "endEvent", "intermediateCatchEvent", "boundaryEvent", "userTask", "manualTask",
        "task", "serviceTask", "scriptTask", "exclusiveGateway", "parallelGateway", "inclusiveGateway",
        "subProcess", "callActivity",
    }
)  # fmt: skip
_OWNERS = FLOW_NODES | {"sequenceFlow", "process", "lane"}
# Which element may hold which event definition (and must hold one, for the catch events).
_DEFINITION_PARENTS = {"timerEventDefinition": {"intermediateCatchEvent", "boundaryEvent"},
                       "terminateEventDefinition": {"endEvent"}}  # fmt: skip

ISO_DURATION = re.compile(
    r"^P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
    r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$"
)
ISO_CYCLE = re.compile(r"^R\d*/[^/\s]+(/[^/\s]+)?$")


@dataclass(frozen=True)
class Problem:
    """One reason a file cannot be imported, located as a modeler would look for it."""

    message: str
    line: int | None = None
    tag: str = ""
    element_id: str = ""
    owner: str = ""  # for an element without an id (a timer's text): the element it belongs to

    def __str__(self) -> str:
        where = []
        if self.line:
            where.append(_("第 %(line)d 行") % {"line": self.line})
        if self.tag:
            where.append(f"<{self.tag}" + (f' id="{self.element_id}"' if self.element_id else "") + ">")
        elif self.element_id:
            where.append(self.element_id)
        if self.owner:
            where.append(_("（属于 %(owner)s）") % {"owner": self.owner})
        return ("".join(f"{part} " for part in where) + self.message) if where else self.message


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname


def is_bpmn(element: etree._Element) -> bool:
    return isinstance(element.tag, str) and etree.QName(element).namespace == BPMN_NS


def _problem(element: etree._Element, message: str) -> Problem:
    owner = ""
    if not element.get("id"):
        ancestor = element.getparent()
        while ancestor is not None and not (is_bpmn(ancestor) and local_name(ancestor) in _OWNERS):
            ancestor = ancestor.getparent()
        if ancestor is not None:
            owner = f'<{local_name(ancestor)} id="{ancestor.get("id", "")}">'
    return Problem(
        message=message,
        line=element.sourceline,
        tag=local_name(element),
        element_id=element.get("id", ""),
        owner=owner,
    )


def read_xml(xml: bytes) -> tuple[etree._ElementTree | None, list[Problem]]:
    """Parse without entities, network or DTDs; the tree or the reason it is not a BPMN 2.0 file."""
    if len(xml) > MAX_FILE_BYTES:
        return None, [Problem(_("文件过大（不超过 %(n)d KB）") % {"n": MAX_FILE_BYTES // 1024})]
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as error:
        return None, [Problem(_("不是格式正确的 XML：%(error)s") % {"error": error.msg}, line=error.lineno)]
    tree = root.getroottree()
    if tree.docinfo.doctype:
        return None, [Problem(_("不接受含 DOCTYPE 声明的文件"), line=1)]
    if not is_bpmn(root) or local_name(root) != "definitions":
        return None, [Problem(_("根元素不是 BPMN 2.0 的 definitions"), line=root.sourceline)]
    return tree, []


def walk_problems(root: etree._Element) -> list[Problem]:
    """Every unsupported element, dangling reference, unsafe expression and unhandled service task."""
    problems: list[Problem] = []
    ids: dict[str, etree._Element] = {}
    for element in _bpmn_elements(root):
        element_id = element.get("id")
        if element_id:
            if element_id in ids:
                problems.append(_problem(element, _("标识“%(id)s”重复") % {"id": element_id}))
            ids[element_id] = element
    for element in _bpmn_elements(root):
        problems.extend(_element_problems(element, ids))
    return problems


def _bpmn_elements(root: etree._Element):
    """The BPMN-namespace elements, not descending into vendor extensions."""
    stack = [root]
    while stack:
        element = stack.pop()
        if not is_bpmn(element):
            continue
        yield element
        if local_name(element) != "extensionElements":
            stack.extend(reversed(list(element)))


def _element_problems(element: etree._Element, ids: dict[str, etree._Element]) -> list[Problem]:
    tag = local_name(element)
    if tag not in SUPPORTED:
        return [_problem(element, _("不支持的 BPMN 元素 %(tag)s") % {"tag": tag})]
    problems: list[Problem] = []
    parent = element.getparent()
    parent_tag = local_name(parent) if parent is not None and is_bpmn(parent) else ""
    if tag in _DEFINITION_PARENTS and parent_tag not in _DEFINITION_PARENTS[tag]:
        problems.append(
            _problem(element, _("不支持在 %(parent)s 中使用 %(tag)s") % {"parent": parent_tag, "tag": tag})
        )
    checks = {
        "sequenceFlow": _flow_problems,
        "boundaryEvent": _boundary_problems,
        "intermediateCatchEvent": _catch_problems,
        "scriptTask": _script_problems,
        "serviceTask": _service_problems,
        "callActivity": _call_problems,
        "subProcess": _subprocess_problems,
        "timeDate": _timer_problems,
        "timeDuration": _timer_problems,
        "timeCycle": _timer_problems,
        "conditionExpression": _condition_problems,
        "flowNodeRef": _reference_text_problems,
        "incoming": _reference_text_problems,
        "outgoing": _reference_text_problems,
    }
    if tag in checks:
        problems.extend(checks[tag](element, ids))
    if tag in {"exclusiveGateway", "inclusiveGateway"} and element.get("default"):
        problems.extend(_reference(element, "default", ids, {"sequenceFlow"}))
    return problems


def _reference(element, attribute: str, ids, tags: set[str] | frozenset[str]) -> list[Problem]:
    target = element.get(attribute)
    if not target:
        return [_problem(element, _("缺少属性 %(attribute)s") % {"attribute": attribute})]
    found = ids.get(target)
    if found is None or local_name(found) not in tags:
        return [
            _problem(
                element,
                _("%(attribute)s 指向不存在的元素“%(target)s”") % {"attribute": attribute, "target": target},
            )
        ]
    return []


def _flow_problems(element, ids) -> list[Problem]:
    source = _reference(element, "sourceRef", ids, FLOW_NODES)
    return source + _reference(element, "targetRef", ids, FLOW_NODES)


def _reference_text_problems(element, ids) -> list[Problem]:
    target = (element.text or "").strip()
    if target and target not in ids:
        return [_problem(element, _("引用了不存在的元素“%(target)s”") % {"target": target})]
    return []


def _boundary_problems(element, ids) -> list[Problem]:
    problems = _reference(element, "attachedToRef", ids, FLOW_NODES)
    if not any(is_bpmn(child) and local_name(child) == "timerEventDefinition" for child in element):
        problems.append(_problem(element, _("边界事件只支持定时器")))
    return problems


def _catch_problems(element, ids) -> list[Problem]:
    if not any(is_bpmn(child) and local_name(child) == "timerEventDefinition" for child in element):
        return [_problem(element, _("中间捕获事件只支持定时器"))]
    return []


def _script_problems(element, ids) -> list[Problem]:
    scripts = [child for child in element if is_bpmn(child) and local_name(child) == "script"]
    if not scripts or not (scripts[0].text or "").strip():
        return [_problem(element, _("脚本任务没有脚本"))]
    try:
        check_script(scripts[0].text or "")
    except ExpressionError as error:
        return [_problem(element, error.message)]
    return []


def _service_problems(element, ids) -> list[Problem]:
    handler_id = element.get("id", "")
    if not has_handler(handler_id):
        return [_problem(element, _("服务任务“%(id)s”没有已登记的处理程序") % {"id": handler_id})]
    return []


def _call_problems(element, ids) -> list[Problem]:
    called = element.get("calledElement", "")
    found = ids.get(called)
    if found is None or local_name(found) != "process":
        return [_problem(element, _("调用的流程“%(id)s”不在本文件中") % {"id": called})]
    return []


def _subprocess_problems(element, ids) -> list[Problem]:
    if element.get("triggeredByEvent") == "true":
        return [_problem(element, _("不支持事件子流程"))]
    return []


def _condition_problems(element, ids) -> list[Problem]:
    try:
        check_expression(element.text or "")
    except ExpressionError as error:
        return [_problem(element, _("条件表达式不安全或有误：%(error)s") % {"error": error.message})]
    return []


def _timer_problems(element, ids) -> list[Problem]:
    text = (element.text or "").strip()
    tag = local_name(element)
    if is_timer_literal(tag, text):
        return []
    try:
        check_expression(text)
    except ExpressionError as error:
        return [_problem(element, _("定时器表达式不安全或有误：%(error)s") % {"error": error.message})]
    return []


def is_timer_literal(tag: str, text: str) -> bool:
    """Whether a timer's text is an ISO literal as modelers write it (``P3D``, a date, ``R3/PT1H``)."""
    if tag == "timeDuration":
        return bool(ISO_DURATION.match(text))
    if tag == "timeCycle":
        return bool(ISO_CYCLE.match(text))
    if tag == "timeDate" and re.match(r"^\d{4}-\d{2}-\d{2}", text):
        try:
            dt.datetime.fromisoformat(text)
        except ValueError:
            return False
        return True
    return False
