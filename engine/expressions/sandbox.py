"""The Jinja environment expressions run in: immutable sandbox, strict names, bounded sizes.

Jinja's :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` already refuses private attributes and
mutating methods. This module narrows it further for boss: the only callables are ``range`` and the
methods of plain data (strings, numbers, lists, mappings, dates), minus the ones that pad or re-encode text;
every operator, call and ``~`` that can grow a value is size-checked; and attribute syntax on a mapping
reads its keys (``pr.items`` is the ``items`` field of a pull request, not ``dict.items``).
"""

from __future__ import annotations

import datetime as dt
import types
from typing import Any, NoReturn

from jinja2 import StrictUndefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range

from engine.expressions.filters import build_filters
from engine.expressions.limits import (
    check_join,
    check_percent,
    check_power,
    check_repeat,
    check_replace,
    check_sum,
    weight,
)
from engine.expressions.values import join_texts

#: Types whose (instance) methods expressions may call.
_CALLABLE_OWNERS = (str, int, float, list, tuple, dict, range, dt.date, dt.time, dt.timedelta)

#: Methods refused even on those types: they pad, re-encode or build values from sizes.
_DENIED_METHODS = frozenset({
    "center", "ljust", "rjust", "zfill", "expandtabs", "translate", "maketrans", "encode",
    "format", "format_map", "to_bytes", "from_bytes",
})  # fmt: skip

_MAX_KEYS_SHOWN = 10


def _refuse_format(*args: Any, **kwargs: Any) -> NoReturn:
    """Stands in for ``str.format``: its field syntax reaches attributes and its widths pad without bound."""
    raise SecurityError("calling str.format() is not allowed in expressions; join texts with ~")


class Missing(StrictUndefined):
    """A missing name or key: any use of it is an error, but reading further into it is not.

    ``release_notes.markdown | default('none')`` then works when the step that saves ``release_notes``
    was skipped, while ``release_notes.markdown`` alone still fails, naming ``release_notes``.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__":
            raise AttributeError(name)
        return self

    def __getitem__(self, key: Any) -> Any:
        return self


class _Generator(CodeGenerator):
    """Compiles ``a ~ b`` to a size-checked join that renders values the way templates do."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.join_text((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class Sandbox(ImmutableSandboxedEnvironment):
    """The environment every boss expression is compiled and run in (one shared instance).

    ``optimized=False`` turns off Jinja's compile-time constant folding, so that nothing runs while a
    definition is merely checked and ``~`` always goes through :meth:`join_text`.
    """

    code_generator_class = _Generator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self) -> None:
        super().__init__(undefined=Missing, optimized=False, autoescape=False)
        self.globals.clear()
        self.globals["range"] = safe_range
        self.filters = build_filters(self.filters)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Run an arithmetic operator after checking that its result cannot be too big."""
        if operator == "*":
            check_repeat(left, right)
        elif operator == "**":
            check_power(left, right)
        elif operator == "+":
            check_sum(left, right)
        elif operator == "%" and isinstance(left, str):
            check_percent(left)
        try:
            result = self.binop_table[operator](left, right)
        except OverflowError as exc:
            raise OverflowError("result is too large for a number") from exc
        weight(result)
        return result

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``obj.attribute``, reading a mapping's key first and naming the missing key otherwise."""
        if isinstance(obj, dict):
            try:
                return obj[attribute]
            except KeyError:
                if not (attribute.startswith("_") or hasattr(obj, attribute)):
                    return self._missing_key(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """``obj[argument]``; on a mapping only keys count (``pr['items']`` never finds ``dict.items``)."""
        if isinstance(obj, dict):
            try:
                return obj[argument]
            except (KeyError, TypeError):
                return self._missing_key(obj, argument)
        return super().getitem(obj, argument)

    def _missing_key(self, obj: dict[Any, Any], key: Any) -> Undefined:
        """An undefined value whose error names the missing key and the keys there are."""
        keys = sorted(str(name) for name in obj)
        shown = ", ".join(keys[:_MAX_KEYS_SHOWN]) + (", ..." if len(keys) > _MAX_KEYS_SHOWN else "")
        hint = f"no key {key!r} (keys: {shown})" if keys else f"no key {key!r} (the mapping is empty)"
        return self.undefined(hint=hint, obj=obj, name=str(key))

    def wrap_str_format(self, value: Any) -> Any:
        """Replace ``str.format``/``format_map`` by a function that refuses to run."""
        is_str_method = isinstance(value, types.BuiltinMethodType) and isinstance(value.__self__, str)
        return _refuse_format if is_str_method and value.__name__ in ("format", "format_map") else None

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Call ``obj`` if it is ``range`` or an allowed method of plain data, and measure the result."""
        if isinstance(obj, Undefined):
            obj._fail_with_undefined_error()
        if obj is _refuse_format:
            _refuse_format()
        if obj is not safe_range:
            owner = getattr(obj, "__self__", None)
            name = getattr(obj, "__name__", type(obj).__name__)
            if (
                not isinstance(obj, types.BuiltinMethodType)
                or not isinstance(owner, _CALLABLE_OWNERS)
                or name in _DENIED_METHODS
            ):
                raise SecurityError(f"calling {_qualified(owner, name)}() is not allowed in expressions")
            if isinstance(owner, str):
                args = _precheck_str(owner, name, args)
        result = context.call(obj, *args, **kwargs)
        weight(result)
        return result

    def join_text(self, values: tuple[Any, ...]) -> str:
        """What ``a ~ b ~ c`` compiles to: the values as template text, concatenated."""
        return join_texts("", values)


def _qualified(owner: Any, name: str) -> str:
    """``str.center`` for a method of a string, ``datetime.now`` for a class method, else just the name."""
    if isinstance(owner, type):
        return f"{owner.__name__}.{name}"
    if owner is None or isinstance(owner, types.ModuleType):
        return name
    return f"{type(owner).__name__}.{name}"


def _precheck_str(text: str, name: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Size checks of string methods that can grow text; returns the arguments to call with."""
    if name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        count = args[2] if len(args) > 2 and isinstance(args[2], int) else None
        check_replace(text, args[0], args[1], count)
    elif name == "join" and len(args) == 1:
        return (check_join(text, args[0]),)
    return args


#: The one environment all expressions share (compiled expressions are cached per source text).
SANDBOX = Sandbox()
