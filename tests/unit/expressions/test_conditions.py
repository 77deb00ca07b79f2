"""Conditions: bare expressions for ``if``, ``when``, ``unless``, ``until`` and ``switch``."""

from __future__ import annotations

import pytest

from engine.errors import ExpressionError
from engine.expressions import check_condition, evaluate, truthy

SCOPE = {
    "jenkins": {"result": "FAILURE"},
    "dry_run": False,
    "stages": ["prechecks", "build"],
    "notes": ["first"],
    "gate": {"approved": True},
    "i": 4,
    "n": 21,
    "env": "production",
    "items": [1, 2, 3],
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ('jenkins.result != "SUCCESS" and not dry_run', True),
        ('"prechecks" in stages', True),
        ('"deploy" in stages', False),
        ("notes | length > 0", True),
        ("gate.approved", True),
        ("env == 'production' and not dry_run", True),
        ("i > 10 or n < 0", False),
        ("jenkins.missing is defined", False),
        ("build.status is defined", False),
        ("items | select('gt', 5)", False),
        ("items | select('gt', 2)", True),
        ("[]", False),
    ],
)
def test_conditions_from_the_language_examples_hold_or_not(condition, expected):
    assert truthy(condition, SCOPE) is expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("i + 1", 5),
        ("n * 2", 42),
        ("env", "production"),
        ("stages | first", "prechecks"),
        ("items | map('string') | list", ["1", "2", "3"]),
        ("{'a': i}", {"a": 4}),
    ],
)
def test_evaluate_gives_the_normalised_value(expression, expected):
    assert evaluate(expression, SCOPE) == expected


def test_an_unknown_name_in_a_condition_is_an_error_naming_it():
    with pytest.raises(ExpressionError, match=r"^'build\.ok and true': 'build' is undefined$"):
        truthy("build.ok and true", SCOPE)


def test_an_unknown_key_in_a_condition_is_an_error_naming_the_key():
    with pytest.raises(ExpressionError, match="no key 'status'"):
        truthy("jenkins.status == 'ok'", SCOPE)


def test_a_syntax_error_in_a_condition_is_reported_by_the_static_check():
    with pytest.raises(ExpressionError, match=r"^syntax error in 'a ==': unexpected end of expression$"):
        check_condition("a ==")


def test_a_condition_written_as_a_template_gets_a_hint():
    with pytest.raises(ExpressionError, match=r"conditions are written without \$\{ \.\.\. \}"):
        check_condition("${gate.approved}")


def test_a_valid_condition_passes_the_static_check():
    check_condition('jenkins.result != "SUCCESS" and not dry_run')
    check_condition("unknown_names_are_only_found_when_running")


def test_evaluation_errors_of_a_condition_are_expression_errors():
    with pytest.raises(ExpressionError, match="division by zero"):
        truthy("n / 0 > 1", SCOPE)
    with pytest.raises(ExpressionError, match="not supported"):
        truthy("env > 3", SCOPE)
