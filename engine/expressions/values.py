"""Turning what an expression produced into a JSON value, and JSON values into text.

Results are stored in process state, sent to participants and written to event logs, all as JSON, so an
expression's value must be one: Python-only types are converted where the meaning is obvious (dates to ISO
8601, tuples and iterators to lists, sets to sorted lists, ``Markup`` to plain text) and refused otherwise,
instead of failing later, far from the expression that caused it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, Set, ValuesView
from typing import Any

from jinja2.runtime import Undefined

from engine.expressions.limits import MAX_RESULT, MAX_SIZE, LimitError, check_int

_PLAIN = (bool, type(None))


def normalise(value: Any, limit: int = MAX_RESULT) -> Any:
    """``value`` as fresh JSON-compatible data no bigger than ``limit`` items and characters.

    Containers are always copied, so callers may change the result without touching the scope the value
    came from. Raises :class:`LimitError` or :class:`TypeError`/``ValueError`` (turned into
    ``ExpressionError`` by the caller, which knows the expression's text).
    """
    kind = type(value)
    if kind is str:
        if len(value) > limit:
            raise LimitError(f"result would exceed {limit} items")
        return value
    if kind in _PLAIN:
        return value
    return _convert(value, [0], limit)


def _convert(value: Any, spent: list[int], limit: int) -> Any:
    """One step of :func:`normalise`; ``spent`` is the size used so far, shared by the whole walk."""
    spent[0] += len(value) if isinstance(value, str) else 1
    if spent[0] > limit:
        raise LimitError(f"result would exceed {limit} items")
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    if value is None or isinstance(value, bool | str):
        return value if type(value) in (bool, str, type(None)) else str(value)
    if isinstance(value, int):
        check_int(value)
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"result {value} is not a finite number")
        return float(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {_key(key): _convert(item, spent, limit) for key, item in value.items()}
    if isinstance(value, list | tuple | range | KeysView | ValuesView | ItemsView | Iterator):
        return [_convert(item, spent, limit) for item in value]
    if isinstance(value, Set):
        return [_convert(item, spent, limit) for item in _ordered(value)]
    raise TypeError(f"a value of type {type(value).__name__!r} cannot be a result")


def _key(key: Any) -> str:
    """A mapping key, which JSON requires to be text."""
    if isinstance(key, Undefined):
        key._fail_with_undefined_error()
    if not isinstance(key, str):
        raise TypeError(f"mapping keys must be strings, not {type(key).__name__!r} ({key!r})")
    return str(key)


def _ordered(items: Set[Any]) -> list[Any]:
    """The items of a set in a stable order: sorted if they compare, by their repr otherwise."""
    try:
        return sorted(items)
    except TypeError:
        return sorted(items, key=repr)


def as_text(value: Any, limit: int = MAX_SIZE) -> str:
    """How ``value`` reads inside a text: strings as is, ``None`` as nothing, other values as JSON.

    JSON rather than Python's ``str()`` so that ``true``, ``null`` and lists read the same in a message
    as in the YAML definition (``None`` becomes the empty string, like an unset variable in a shell).
    """
    if type(value) is str:
        return value
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    value = normalise(value, limit)
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def join_texts(separator: str, values: Iterable[Any], limit: int = MAX_SIZE) -> str:
    """``values`` as text joined by ``separator``, refusing a total longer than ``limit`` before joining.

    Used by ``~`` and the ``join`` filter, whose parts are each bounded but whose number is not.
    """
    parts: list[str] = []
    total = -len(separator)
    for value in values:
        text = as_text(value, limit)
        total += len(separator) + len(text)
        if total > limit:
            raise LimitError(f"result would exceed {limit} items")
        parts.append(text)
    return separator.join(parts)
