"""The filters expressions may use: an allow-list of Jinja's, plus a few rewritten for boss.

Jinja's set includes HTML helpers and padding filters (``center``, ``indent``, ``wordwrap``, ``format``...)
that are useless for release automation and can build huge strings, so only filters that transform data
are kept. Every kept filter's result is measured (so chained filters cannot grow a value without bound), and
the filters that turn values into text (``string``, ``join``, ``tojson``) follow the same rules as
templates: ``true``, ``null`` and lists read as JSON, not as Python's ``repr``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jinja2 import pass_environment
from jinja2.environment import Environment
from jinja2.filters import make_attrgetter

from engine.expressions.limits import MAX_SIZE, check_replace, weight
from engine.expressions.values import as_text, join_texts, normalise

#: Jinja filters kept as they are (their results are still measured).
KEPT = (
    "abs", "count", "capitalize", "d", "default", "dictsort", "first", "float", "groupby", "int", "items",
    "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "reverse", "round",
    "select", "selectattr", "sort", "title", "trim", "truncate", "unique", "upper", "urlencode",
    "wordcount",
)  # fmt: skip

_MAX_INDENT = 8


def build_filters(defaults: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """The filter table of the sandbox: the kept Jinja filters and boss's own, all size-checked."""
    table = {name: _measured(defaults[name]) for name in KEPT}
    table.update(
        join=_measured(join),
        replace=_measured(replace),
        string=_measured(string),
        sum=_measured(_numeric_sum(defaults["sum"])),
        tojson=_measured(tojson),
    )
    return table


def _numeric_sum(jinja_sum: Callable[..., Any]) -> Callable[..., Any]:
    """Jinja's ``sum`` restricted to numbers: summing lists (``start=[]``) copies them quadratically."""

    @functools.wraps(jinja_sum)
    def numeric_sum(environment: Environment, value: Any, attribute: Any = None, start: Any = 0) -> Any:
        if isinstance(start, bool) or not isinstance(start, int | float):
            raise TypeError(f"sum adds numbers; start must be a number, not {type(start).__name__!r}")
        return jinja_sum(environment, value, attribute, start)

    return numeric_sum


def _measured(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` with its result's size checked; ``functools.wraps`` keeps Jinja's ``pass_*`` marker."""

    @functools.wraps(func)
    def measured(*args: Any, **kwargs: Any) -> Any:
        result = func(*args, **kwargs)
        weight(result)
        return result

    return measured


@pass_environment
def join(environment: Environment, value: Iterable[Any], d: Any = "", attribute: str | None = None) -> str:
    """Items as text joined by ``d``; ``attribute`` joins one key (``users | join(', ', 'name')``).

    Rewritten so that items read as in templates and so the total is checked while the parts are made,
    before one huge string is built.
    """
    if attribute is not None:
        value = map(make_attrgetter(environment, attribute), value)
    return join_texts(as_text(d), value)


def string(value: Any) -> str:
    """``value`` as text, the way templates render it (``true``, ``null`` as nothing, lists as JSON)."""
    return as_text(value)


def replace(value: Any, old: Any, new: Any, count: int | None = None) -> str:
    """``value`` as text with ``old`` replaced by ``new`` (at most ``count`` times), size-checked first."""
    text, old_text, new_text = as_text(value), as_text(old), as_text(new)
    check_replace(text, old_text, new_text, count)
    return text.replace(old_text, new_text, -1 if count is None else count)


def tojson(value: Any, indent: int | None = None) -> str:
    """``value`` as JSON text (not HTML-escaped: nothing here ends up in a web page)."""
    if indent is not None and not 0 <= indent <= _MAX_INDENT:
        raise ValueError(f"tojson indent must be between 0 and {_MAX_INDENT}, not {indent!r}")
    return json.dumps(normalise(value, MAX_SIZE), ensure_ascii=False, indent=indent)
