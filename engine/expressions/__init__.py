"""Expressions of the process language: ``${ ... }`` templates and conditions, run in a Jinja sandbox.

A string that is exactly one ``${ ... }`` (no text around it; spaces inside the braces are fine) keeps the
value's type; any other string with templates is text, each ``${ ... }`` rendered as text (strings as is,
``None`` as nothing, other values as JSON). ``$${`` is a literal ``${``. Conditions (``if``, ``when``,
``until``...) are bare expressions. Unknown names are errors, results are JSON values, and every failure,
including the sandbox refusing something, is an :class:`~engine.errors.ExpressionError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.errors import ExpressionError
from engine.expressions.evaluation import compile_checked, names_in, truth_of, value_of
from engine.expressions.limits import MAX_RESULT, MAX_SIZE
from engine.expressions.scan import Expr, shorten, split_template
from engine.expressions.values import join_texts

__all__ = [
    "MAX_RESULT",
    "MAX_SIZE",
    "check_condition",
    "check_template",
    "evaluate",
    "has_template",
    "render",
    "template_names",
    "truthy",
]


def has_template(text: str) -> bool:
    """Whether ``text`` contains an unescaped ``${``.

    Callers use it to skip parsing values that are only known at run time (a ``duration`` of
    ``${timeout}``), so a malformed template counts too: it was meant as one and
    :func:`check_template` reports it.

    Args:
        text: Any string of a definition.

    Returns:
        True if ``text`` has at least one ``${`` that is not written ``$${``.
    """
    if "${" not in text:
        return False
    try:
        return any(isinstance(part, Expr) for part in split_template(text))
    except ExpressionError:
        return True


def check_template(text: str) -> None:
    """Check the syntax of every ``${ ... }`` in ``text`` without running anything.

    Meant for loading a definition: mistakes surface before a process starts. Names are not checked
    (they only exist at run time).

    Args:
        text: Any string of a definition.

    Raises:
        ExpressionError: A ``${`` is unclosed or empty, an expression does not parse, or it uses a
            filter, test or name the sandbox does not offer.
    """
    if "${" in text:
        for part in split_template(text):
            if isinstance(part, Expr):
                compile_checked(part.source, True)


def check_condition(source: str) -> None:
    """Check the syntax of a condition without running it.

    Args:
        source: The text of an ``if``, ``when``, ``unless``, ``until`` or ``switch``.

    Raises:
        ExpressionError: The condition does not parse, uses an unknown filter or test, or is written as a
            template (``${ ... }``), which is a common slip and gets a hint of its own.
    """
    if has_template(source):
        hint = "conditions are written without ${ ... }"
        raise ExpressionError(f"syntax error in {shorten(source)!r}: {hint}")
    compile_checked(source, False)


def render(value: Any, scope: Mapping[str, Any]) -> Any:
    """``value`` with every template in its strings rendered.

    Mappings and lists are always copied (tuples become lists), so the result can be changed freely
    without touching the definition or the scope. Mapping keys are not templates.

    Args:
        value: Step parameters, a ``set`` value, a message...: JSON-like data from the definition.
        scope: Names the expressions may read; never modified.

    Returns:
        The rendered copy: a lone ``${ ... }`` gives its value's type, other strings give text, and
        non-string scalars are returned as they are.

    Raises:
        ExpressionError: Any template fails to parse or to evaluate, or its result is not JSON data.
    """
    if isinstance(value, str):
        return _render_text(value, scope)
    if isinstance(value, Mapping):
        return {key: render(item, scope) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [render(item, scope) for item in value]
    return value


def _render_text(text: str, scope: Mapping[str, Any]) -> Any:
    """One string: as is without templates, typed if it is one lone ``${ ... }``, text otherwise."""
    if "${" not in text:
        return text
    parts = split_template(text)
    if len(parts) == 1 and isinstance(parts[0], Expr):
        return value_of(parts[0].source, scope, True)
    values = (part if isinstance(part, str) else value_of(part.source, scope, True) for part in parts)
    try:
        return join_texts("", values, MAX_RESULT)
    except ExpressionError:
        raise
    except Exception as exc:
        raise ExpressionError(f"{shorten(text)!r}: {exc}") from exc


def evaluate(source: str, scope: Mapping[str, Any]) -> Any:
    """The value of a bare expression (``switch``, ``foreach`` items...).

    Args:
        source: The expression, without ``${ }``.
        scope: Names the expression may read; never modified.

    Returns:
        The value as fresh JSON data (dates as ISO 8601 text, tuples and iterators as lists).

    Raises:
        ExpressionError: The expression fails to parse or evaluate, or its value is not JSON data.
    """
    return value_of(source, scope, False)


def truthy(source: str, scope: Mapping[str, Any]) -> bool:
    """Whether a condition holds.

    The value is only tested, not normalised (cheaper on the engine's hot path); an empty iterator, such
    as ``items | select('odd')`` selecting nothing, is false.

    Args:
        source: The condition, without ``${ }``.
        scope: Names the condition may read; never modified.

    Returns:
        The condition's truth.

    Raises:
        ExpressionError: The condition fails to parse or evaluate (an unknown name is an error, not false;
            test it with ``x is defined``).
    """
    return truth_of(source, scope)


def template_names(text: str, *, condition: bool = False) -> set[str]:
    """The top-level names ``text`` reads (``pr.title`` reads ``pr``), for static hints.

    Args:
        text: A template (only its ``${ ... }`` count) or, with ``condition``, a bare expression.
        condition: Read ``text`` as a condition rather than a template.

    Returns:
        The names, including ones that turn out to be unknown at run time.

    Raises:
        ExpressionError: ``text`` does not parse.
    """
    if condition:
        return names_in(text, False)
    if "${" not in text:
        return set()
    names: set[str] = set()
    for part in split_template(text):
        if isinstance(part, Expr):
            names |= names_in(part.source, True)
    return names
