"""The safe expression language of imported processes: read with ``ast``, walked by an allow-list, never
``eval``'d (ADR 0009).

Allowed: constants, names from the task data that do not start with ``_``, ``and``/``or``/``not``,
comparisons (including ``in``, ``not in``, ``is``, ``is not``), lists and tuples, and a minus sign in front
of a number. Everything else (calls, attributes, subscripts, arithmetic, comprehensions, lambdas...) is
refused, at import and again at run time, so a stored spec cannot smuggle code in either.

A script (``scriptTask``) is accepted only when every statement is ``name = <safe expression>``.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from yiwang.core.errors import InvalidInput

MAX_EXPRESSION_LENGTH = 2000
MAX_NODES = 200

_COMPARISONS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda left, right: left in right,
    ast.NotIn: lambda left, right: left not in right,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_CONSTANT_TYPES = (str, int, float, bool, type(None))


class ExpressionError(InvalidInput):
    """An expression or script of a process that is not in the safe language, or fails on its data."""

    code = "workflow_expression"

    def __init__(self, message: str, *, expression: str = "", line: int | None = None) -> None:
        super().__init__(message, expression=expression, line=line)
        self.expression = expression
        self.line = line


def _describe(node: ast.AST) -> str:
    names = {
        ast.Call: _("函数调用"),
        ast.Attribute: _("属性访问"),
        ast.Subscript: _("下标访问"),
        ast.BinOp: _("算术运算"),
        ast.Lambda: _("lambda 表达式"),
        ast.ListComp: _("推导式"),
        ast.SetComp: _("推导式"),
        ast.DictComp: _("推导式"),
        ast.GeneratorExp: _("推导式"),
        ast.Dict: _("字典"),
        ast.Set: _("集合"),
        ast.IfExp: _("条件表达式"),
        ast.NamedExpr: _("赋值表达式"),
        ast.JoinedStr: _("格式化字符串"),
    }
    return names.get(type(node), type(node).__name__)


def _check_node(node: ast.AST, expression: str) -> None:
    """Raise ``ExpressionError`` unless ``node`` (recursively) is in the allow-list."""
    if isinstance(node, ast.Expression):
        _check_node(node.body, expression)
    elif isinstance(node, ast.Constant):
        if not isinstance(node.value, _CONSTANT_TYPES):
            raise ExpressionError(_("表达式中不允许此类常量"), expression=expression)
    elif isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise ExpressionError(
                _("表达式不能使用以下划线开头的名称“%(name)s”") % {"name": node.id}, expression=expression
            )
        if not isinstance(node.ctx, ast.Load):
            raise ExpressionError(_("表达式不能赋值"), expression=expression)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            _check_node(value, expression)
    elif isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            _check_node(node.operand, expression)
        elif isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            if isinstance(node.operand.value, bool) or not isinstance(node.operand.value, int | float):
                raise ExpressionError(_("负号只能用在数字前"), expression=expression)
        else:
            raise ExpressionError(_("表达式中不允许算术运算"), expression=expression)
    elif isinstance(node, ast.Compare):
        _check_node(node.left, expression)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if type(op) not in _COMPARISONS:
                raise ExpressionError(_("表达式中不允许此比较运算"), expression=expression)
            _check_node(comparator, expression)
    elif isinstance(node, ast.List | ast.Tuple):
        if not isinstance(node.ctx, ast.Load):
            raise ExpressionError(_("表达式不能赋值"), expression=expression)
        for element in node.elts:
            _check_node(element, expression)
    else:
        raise ExpressionError(
            _("表达式中不允许%(what)s（只允许常量、数据中的名称、and/or/not、比较、列表）")
            % {"what": _describe(node)},
            expression=expression,
        )


def parse_expression(expression: str) -> ast.Expression:
    """Parse and check one expression; raise ``ExpressionError`` naming what is not allowed."""
    text = (expression or "").strip()
    if not text:
        raise ExpressionError(_("表达式为空"), expression=expression)
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(
            _("表达式过长（不超过 %(n)d 个字符）") % {"n": MAX_EXPRESSION_LENGTH}, expression=text
        )
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        raise ExpressionError(
            _("表达式语法错误：%(error)s") % {"error": error.msg}, expression=text
        ) from None
    if sum(1 for _node in ast.walk(tree)) > MAX_NODES:
        raise ExpressionError(_("表达式过于复杂"), expression=text)
    _check_node(tree, text)
    return tree


def check_expression(expression: str) -> None:
    """Raise ``ExpressionError`` if ``expression`` is not in the safe language (used at import)."""
    parse_expression(expression)


def _value(node: ast.AST, data: Mapping[str, Any], expression: str) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in data:
            raise ExpressionError(
                _("表达式引用了不存在的数据“%(name)s”") % {"name": node.id}, expression=expression
            )
        return data[node.id]
    if isinstance(node, ast.BoolOp):
        result: Any = None
        for value_node in node.values:
            result = _value(value_node, data, expression)
            if isinstance(node.op, ast.And) and not result:
                return result
            if isinstance(node.op, ast.Or) and result:
                return result
        return result
    if isinstance(node, ast.UnaryOp):
        operand = _value(node.operand, data, expression)
        return (not operand) if isinstance(node.op, ast.Not) else -operand
    if isinstance(node, ast.Compare):
        left = _value(node.left, data, expression)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _value(comparator, data, expression)
            if not _COMPARISONS[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.List):
        return [_value(element, data, expression) for element in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_value(element, data, expression) for element in node.elts)
    raise ExpressionError(_("表达式中不允许%(what)s") % {"what": _describe(node)}, expression=expression)


def evaluate(expression: str, data: Mapping[str, Any]) -> Any:
    """The value of ``expression`` over ``data``; checked again here, so a stored spec is never trusted."""
    tree = parse_expression(expression)
    try:
        return _value(tree.body, data, expression.strip())
    except ExpressionError:
        raise
    except (TypeError, ValueError) as error:
        text = expression.strip()
        raise ExpressionError(
            _("表达式“%(expression)s”无法计算：%(error)s") % {"expression": text, "error": error},
            expression=text,
        ) from None


def parse_script(script: str) -> list[tuple[str, ast.Expression, int]]:
    """The assignments of a script as (name, checked expression, line); raise naming the first bad line."""
    text = script or ""
    try:
        module = ast.parse(text, mode="exec")
    except SyntaxError as error:
        raise ExpressionError(
            _("脚本第 %(line)s 行语法错误：%(error)s") % {"line": error.lineno, "error": error.msg},
            expression=text,
            line=error.lineno,
        ) from None
    lines = text.splitlines()
    assignments = []
    for statement in module.body:
        source = lines[statement.lineno - 1].strip() if statement.lineno <= len(lines) else ""
        if not (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            raise ExpressionError(
                _("脚本第 %(line)d 行“%(source)s”不是“名称 = 表达式”形式的赋值")
                % {"line": statement.lineno, "source": source},
                expression=source,
                line=statement.lineno,
            )
        name = statement.targets[0].id
        if name.startswith("_"):
            raise ExpressionError(
                _("脚本第 %(line)d 行不能给以下划线开头的名称赋值") % {"line": statement.lineno},
                expression=source,
                line=statement.lineno,
            )
        expression = ast.Expression(body=statement.value)
        try:
            if sum(1 for _node in ast.walk(expression)) > MAX_NODES:
                raise ExpressionError(_("表达式过于复杂"), expression=source)
            _check_node(expression, source)
        except ExpressionError as error:
            raise ExpressionError(
                _("脚本第 %(line)d 行“%(source)s”：%(error)s")
                % {"line": statement.lineno, "source": source, "error": error.message},
                expression=source,
                line=statement.lineno,
            ) from None
        assignments.append((name, expression, statement.lineno))
    return assignments


def check_script(script: str) -> None:
    """Raise ``ExpressionError`` unless every statement of ``script`` is ``name = <safe expression>``."""
    parse_script(script)


def run_script(script: str, data: dict[str, Any]) -> None:
    """Run an assign-only script over ``data`` (updated in place), checked again before it runs."""
    for name, expression, line in parse_script(script):
        try:
            data[name] = _value(expression.body, data, name)
        except ExpressionError as error:
            raise ExpressionError(
                _("脚本第 %(line)d 行：%(error)s") % {"line": line, "error": error.message},
                expression=error.expression,
                line=line,
            ) from None
        except (TypeError, ValueError) as error:
            raise ExpressionError(
                _("脚本第 %(line)d 行无法计算：%(error)s") % {"line": line, "error": error}, line=line
            ) from None
