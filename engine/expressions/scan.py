"""Splitting a string into literal text and ``${ ... }`` expressions.

A regular expression cannot find the end of ``${ {'a': 1}['a'] }`` or ``${ "}" + x }``, so the scanner
counts braces and skips string literals (with backslash escapes, as Jinja reads them). ``$${`` stands for a
literal ``${``. Results are cached per text: definitions are rendered again and again with the same strings.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from engine.errors import ExpressionError

_SHOWN = 80


@dataclass(frozen=True, slots=True)
class Expr:
    """One ``${ ... }`` of a template; ``source`` is the text between the braces, stripped."""

    source: str


def shorten(text: str) -> str:
    """``text`` on one line and at most a few dozen characters, for error messages."""
    flat = " ".join(text.split())
    return flat if len(flat) <= _SHOWN else flat[: _SHOWN - 3] + "..."


@functools.lru_cache(maxsize=8192)
def split_template(text: str) -> tuple[str | Expr, ...]:
    """The literal parts and expressions of ``text``, in order, adjacent literals merged.

    Raises :class:`ExpressionError` for a ``${`` that is never closed or encloses nothing.
    """
    segments: list[str | Expr] = []
    literal: list[str] = []
    index = 0
    while True:
        dollar = text.find("$", index)
        if dollar == -1:
            literal.append(text[index:])
            break
        literal.append(text[index:dollar])
        if text.startswith("$${", dollar):
            literal.append("${")
            index = dollar + 3
        elif text.startswith("${", dollar):
            end = _closing_brace(text, dollar + 2)
            source = text[dollar + 2 : end].strip()
            if not source:
                raise ExpressionError(f"syntax error in {shorten(text)!r}: empty ${{}}")
            if any(literal):
                segments.append("".join(literal))
            literal = []
            segments.append(Expr(source))
            index = end + 1
        else:
            literal.append("$")
            index = dollar + 1
    if any(literal):
        segments.append("".join(literal))
    return tuple(segments)


def _closing_brace(text: str, start: int) -> int:
    """Index of the ``}`` that closes the expression starting at ``start``."""
    depth = 0
    quote = ""
    index = start
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return index
            depth -= 1
        index += 1
    raise ExpressionError(f"syntax error in {shorten(text)!r}: '${{' is never closed")
