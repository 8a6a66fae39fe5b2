"""The safe expression language: what it allows, and that everything else is refused without running."""

import pytest

from yiwang.applications.workflow.expressions import (
    ExpressionError,
    check_expression,
    check_script,
    evaluate,
    run_script,
)


@pytest.mark.parametrize(
    ("expression", "data", "expected"),
    [
        ("decision == 'approve'", {"decision": "approve"}, True),
        ("decision == 'approve'", {"decision": "refuse"}, False),
        ("amount >= 100 and kind in ['a', 'b']", {"amount": 120, "kind": "b"}, True),
        ("not urgent or level > -1", {"urgent": True, "level": 0}, True),
        ("kind not in ('x', 'y')", {"kind": "z"}, True),
        ("note is None", {"note": None}, True),
        ("1 < n < 3", {"n": 2}, True),
        ("'PT0.25S'", {}, "PT0.25S"),
        ("[1, 2]", {}, [1, 2]),
    ],
)
def test_allowed_expressions_evaluate(expression, data, expected):
    assert evaluate(expression, data) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('socket').socket()",
        "open('/etc/passwd').read()",
        "data.__class__",
        "x[0]",
        "a + b",
        "'a' * 10**9",
        "[c for c in 'abc']",
        "(lambda: 1)()",
        "{'a': 1}",
        "_secret == 1",
        "x if y else z",
        "f'{x}'",
        "(y := 1)",
        "-x",
    ],
)
def test_everything_else_is_refused_before_it_runs(expression):
    with pytest.raises(ExpressionError) as refused:
        check_expression(expression)
    assert refused.value.code == "workflow_expression"
    with pytest.raises(ExpressionError):
        evaluate(expression, {"x": [1], "y": 1, "z": 2, "a": 1, "b": 2, "data": {}, "_secret": 1})


def test_a_type_error_names_the_expression():
    with pytest.raises(ExpressionError) as error:
        evaluate("fee <= 100", {"fee": "cheap"})
    assert "fee <= 100" in error.value.message


def test_a_missing_name_is_an_error_not_a_default():
    with pytest.raises(ExpressionError) as error:
        evaluate("decision == 'approve'", {})
    assert "decision" in error.value.message


def test_huge_or_deep_expressions_are_refused():
    with pytest.raises(ExpressionError):
        check_expression("x == 1 and " * 400 + "x == 1")
    with pytest.raises(ExpressionError):
        check_expression("[" * 100 + "]" * 100)


def test_scripts_may_only_assign_safe_expressions():
    data = {"a": 2}
    run_script("approved = a > 1\nlabel = 'ok'\n\nflags = [approved, False]", data)
    assert data == {"a": 2, "approved": True, "label": "ok", "flags": [True, False]}


@pytest.mark.parametrize(
    ("script", "line"),
    [
        ("data = open('/etc/passwd').read()", 1),
        ("x = 1\nimport os", 2),
        ("v += 1", 1),
        ("a, b = 1, 2", 1),
        ("x = 1\nprint(x)", 2),
        ("_hidden = 1", 1),
        ("x.y = 1", 1),
        ("def f():\n    pass", 1),
    ],
)
def test_anything_but_assignment_is_refused_naming_the_line(script, line):
    with pytest.raises(ExpressionError) as refused:
        check_script(script)
    assert refused.value.line == line
    assert f"第 {line} 行" in refused.value.message
