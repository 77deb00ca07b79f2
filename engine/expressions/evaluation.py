"""Compiling, checking and running expressions, and turning every failure into ``ExpressionError``.

Expressions are evaluated on the engine's hot path (every guard, every step's parameters), so compiled
expressions are cached per source text. Whatever goes wrong inside one (an unknown name, a type error, a
sandbox refusal, a recursion or memory error) is reported as a one-line :class:`ExpressionError` naming
the expression: a definition or a field value must never crash the engine.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

from jinja2 import meta, nodes
from jinja2.environment import TemplateExpression
from jinja2.exceptions import TemplateError, TemplateSyntaxError
from jinja2.parser import Parser
from jinja2.runtime import Undefined

from engine.errors import ExpressionError
from engine.expressions.limits import MAX_RESULT, MAX_SOURCE
from engine.expressions.sandbox import SANDBOX
from engine.expressions.scan import shorten
from engine.expressions.values import normalise

#: Names Jinja gives a meaning of its own that expressions must not reach.
_FORBIDDEN_NAMES = frozenset({"self"})

_SYNTAX_WORDING = (
    ("'end of template'", "end of expression"),
    ("end of template", "end of expression"),
    ("chunk after expression", "unexpected text after the expression"),
)


class _StaticError(TemplateSyntaxError):
    """A problem found before running: a forbidden name or an over-long source."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 1)


def label(source: str, templated: bool) -> str:
    """How messages name an expression: ``${x.y}`` in a template, ``'x == 1'`` as a condition."""
    text = shorten(source)
    return f"${{{text}}}" if templated else repr(text)


@functools.lru_cache(maxsize=4096)
def parse(source: str) -> nodes.Expr:
    """The syntax tree of ``source``, after the static checks; raises Jinja's syntax error."""
    if len(source) > MAX_SOURCE:
        raise _StaticError(f"expression is longer than {MAX_SOURCE} characters")
    parser = Parser(SANDBOX, source, state="variable")
    tree = parser.parse_expression()
    if not parser.stream.eos:
        raise TemplateSyntaxError("chunk after expression", parser.stream.current.lineno)
    for name in [tree, *tree.find_all(nodes.Name)]:
        if isinstance(name, nodes.Name) and name.name in _FORBIDDEN_NAMES:
            raise _StaticError(f"{name.name!r} is not available in expressions")
    return tree


@functools.lru_cache(maxsize=4096)
def _compiled(source: str) -> TemplateExpression:
    """``source`` compiled in the sandbox (checked by :func:`parse` first)."""
    parse(source)
    return SANDBOX.compile_expression(source, undefined_to_none=False)


def compile_checked(source: str, templated: bool) -> TemplateExpression:
    """The compiled expression, or an :class:`ExpressionError` saying why it does not compile."""
    try:
        return _compiled(source)
    except Exception as exc:
        raise failure(source, templated, exc) from exc


def value_of(source: str, scope: Mapping[str, Any], templated: bool, limit: int = MAX_RESULT) -> Any:
    """The normalised (JSON-compatible, size-checked) value of ``source`` in ``scope``."""
    expression = compile_checked(source, templated)
    try:
        return normalise(_run(expression, scope), limit)
    except Exception as exc:
        raise failure(source, templated, exc) from exc


def truth_of(source: str, scope: Mapping[str, Any]) -> bool:
    """Whether ``source`` holds in ``scope``; an empty iterator (``xs | select(...)``) is false."""
    expression = compile_checked(source, False)
    try:
        result = _run(expression, scope)
        if isinstance(result, Iterator):
            return next(result, _NOTHING) is not _NOTHING
        return bool(result)
    except Exception as exc:
        raise failure(source, False, exc) from exc


_NOTHING = object()


def _run(expression: TemplateExpression, scope: Mapping[str, Any]) -> Any:
    """The raw result; an undefined result raises its error (``undefined_to_none`` is off on purpose)."""
    result = expression(scope)
    if isinstance(result, Undefined):
        result._fail_with_undefined_error()
    return result


def names_in(source: str, templated: bool) -> set[str]:
    """The top-level names ``source`` reads, found with :mod:`jinja2.meta` on its syntax tree."""
    try:
        tree = parse(source)
    except Exception as exc:
        raise failure(source, templated, exc) from exc
    template = nodes.Template([nodes.Output([tree])], lineno=1)
    template.set_environment(SANDBOX)
    return set(meta.find_undeclared_variables(template))


def failure(source: str, templated: bool, exc: BaseException) -> ExpressionError:
    """The one-line error reporting ``exc``, raised while compiling or running ``source``."""
    if isinstance(exc, ExpressionError):
        return exc
    where = label(source, templated)
    if isinstance(exc, TemplateSyntaxError):
        message = exc.message or "invalid syntax"
        for old, new in _SYNTAX_WORDING:
            message = message.replace(old, new)
        return ExpressionError(f"syntax error in {where}: {_one_line(message[:1].lower() + message[1:])}")
    return ExpressionError(f"{where}: {_one_line(_problem(exc))}")


def _problem(exc: BaseException) -> str:
    """What went wrong, in words, for an exception raised while running an expression."""
    if isinstance(exc, TemplateError):
        return exc.message or type(exc).__name__
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, RecursionError):
        return "the expression or its values are nested too deeply"
    if isinstance(exc, MemoryError):
        return "out of memory"
    if isinstance(exc, TypeError | ValueError | ArithmeticError):
        return str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _one_line(text: str) -> str:
    """``text`` collapsed to one line, without the trailing full stop Jinja puts on some messages."""
    return " ".join(text.split()).rstrip(".")
