"""The sandbox: no Python internals, no imports, no I/O, bounded sizes, and only ExpressionError."""

from __future__ import annotations

import pytest

from engine.errors import ExpressionError
from engine.expressions import check_template, evaluate, render, truthy

SCOPE = {"x": {"a": 1}, "text": "abc", "n": 3}

_CHAINED_REPLACE = "'ab'" + "|replace('a','aa')" * 40


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("''.__class__.__mro__", "access to attribute '__class__' of 'str' object is unsafe"),
        ("x.__dict__", "'dict object' has no attribute '__dict__'"),
        ("().__class__.__base__.__subclasses__()", "attribute '__class__' of 'tuple' object is unsafe"),
        ("__import__('os')", "'__import__' is undefined"),
        ("range.__globals__", "attribute '__globals__' of 'function' object is unsafe"),
        ("lipsum.__globals__", "'lipsum' is undefined"),
        ("cycler", "'cycler' is undefined"),
        ("joiner()", "'joiner' is undefined"),
        ("namespace()", "'namespace' is undefined"),
        ("dict(a=1)", "'dict' is undefined"),
        ("config", "'config' is undefined"),
        ("'{0.__class__}'.format(1)", "calling str.format() is not allowed"),
        ("'{}'.format_map(x)", "calling str.format() is not allowed"),
        ("x.items.__self__", "unsafe"),
        ("[1].append(2)", "access to attribute 'append' of 'list' object is unsafe"),
        ("x.update({'b': 2})", "unsafe"),
    ],
)
def test_python_internals_cannot_be_reached(expression, message):
    with pytest.raises(ExpressionError) as caught:
        render("${" + expression + "}", SCOPE)
    assert message in str(caught.value)
    assert str(caught.value).startswith("${")


def test_self_is_refused_before_running():
    with pytest.raises(ExpressionError, match="'self' is not available in expressions"):
        check_template("${self}")
    with pytest.raises(ExpressionError, match="'self' is not available"):
        truthy("self._TemplateReference__context", SCOPE)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("'a' * 10**9", "result would exceed 1000000 items"),
        ("[1] * 10**9", "result would exceed 1000000 items"),
        ("[[1] * 1000] * 2000", "result would exceed 1000000 items"),
        ("10 ** (10 ** 10)", "result would exceed 4300 digits"),
        ("(10 ** 4000) * (10 ** 4000)", "result would exceed 4300 digits"),
        ("2.0 ** 10000", "result is too large for a number"),
        ("'x'.center(10**9)", "calling str.center() is not allowed"),
        ("'x'.ljust(10**9)", "calling str.ljust() is not allowed"),
        ("'x'.rjust(10**9)", "calling str.rjust() is not allowed"),
        ("'1'.zfill(10**9)", "calling str.zfill() is not allowed"),
        ("'\t'.expandtabs(10**9)", "calling str.expandtabs() is not allowed"),
        ("(1).to_bytes(10**9, 'big')", "calling int.to_bytes() is not allowed"),
        (_CHAINED_REPLACE, "result would exceed 1000000 items"),
        ("'ab'.replace('', 'x' * 999999)", "result would exceed 1000000 items"),
        ("'ab' | replace('', 'x' * 999999)", "result would exceed 1000000 items"),
        ("('x' * 100).join(range(100000) | map('string'))", "result would exceed 1000000 items"),
        ("range(100000) | join('x' * 100)", "result would exceed 1000000 items"),
        ("('x' * 999999) ~ ('y' * 999999)", "result would exceed 1000000 items"),
        ("('x' * 999999) + ('y' * 999999)", "result would exceed 1000000 items"),
        ("'%999999999d' % 1", "result would exceed 1000000 items"),
        ("'%*d' % (5, 1)", "'*' widths are not allowed"),
        ("range(10**9)", "Range too big"),
        ("[1, 2] | sum(start=[])", "start must be a number"),
        ("n | tojson(indent=10**6)", "indent must be between 0 and 8"),
    ],
)
def test_values_cannot_grow_without_bound(expression, message):
    with pytest.raises(ExpressionError) as caught:
        evaluate(expression, SCOPE)
    assert message in str(caught.value)


def test_jinja_powers_are_left_associative_so_a_tower_stays_small():
    assert evaluate("10 ** 10 ** 10", SCOPE) == 10**100


def test_text_operations_within_the_limits_still_work():
    assert len(evaluate("'a' * 999999 + 'b'", SCOPE)) == 1_000_000
    assert evaluate("'%s-%05d' % (text, n)", SCOPE) == "abc-00003"
    assert evaluate("'a-b'.replace('-', '+')", SCOPE) == "a+b"
    assert evaluate("', '.join(['a', 'b'])", SCOPE) == "a, b"
    assert evaluate("range(3) | list", SCOPE) == [0, 1, 2]


@pytest.mark.parametrize(
    "expression",
    [
        "now.now()",
        "text.encode()",
        "{}.fromkeys(range(10))",
        "range",
        "text.upper",
    ],
)
def test_only_methods_of_plain_values_can_be_called_or_returned(expression):
    scope = {**SCOPE, "now": __import__("datetime").datetime(2024, 1, 1)}
    with pytest.raises(ExpressionError):
        evaluate(expression, scope)


@pytest.mark.parametrize(
    "expression",
    [
        "(" * 3000 + "1" + ")" * 3000,
        "[" * 3000 + "]" * 3000,
        "x" * 20_000,
        "n | round(method='sideways')",
        "'x' < 1",
        "text[10**30]",
        "n % 0",
        "none.attribute",
        "x | dictsort(by='nothing')",
    ],
)
def test_no_expression_raises_anything_but_expression_error(expression):
    with pytest.raises(ExpressionError) as caught:
        evaluate(expression, SCOPE)
    assert "\n" not in str(caught.value)


def test_every_failure_is_chained_to_its_cause():
    with pytest.raises(ExpressionError) as caught:
        evaluate("1 // 0", SCOPE)
    assert isinstance(caught.value.__cause__, ZeroDivisionError)
