"""Size limits of the expression sandbox.

An expression comes from a process definition or, through field values, from whoever launched a process, so
it must not be able to exhaust the engine's memory or CPU. Every operation that can make a value bigger than
its inputs (``*``, ``**``, ``+``, ``%``, ``~``, ``replace``, ``join``, method calls, filters) is checked here,
before the value is built whenever the size can be predicted, and after it otherwise.

Sizes are measured as a *weight*: characters of a string plus one per container and per item, counted
through shared references, so ``[s] * 1000`` weighs a thousand times ``s`` even though Python stores it
cheaply; that is what rendering it to text would cost.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from jinja2.exceptions import SecurityError

#: Most items or characters one operation inside an expression may produce.
MAX_SIZE = 1_000_000

#: Most items or characters the final value of an expression may have (it ends up in events and messages).
MAX_RESULT = 4_000_000

#: Most decimal digits an integer may have; matches Python's own limit for converting integers to text.
MAX_DIGITS = 4300

#: Most characters in the source of one expression.
MAX_SOURCE = 10_000

_MAX_BITS = int(MAX_DIGITS * 3.33)

# A printf-style conversion: optional mapping key, flags, width and precision.
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d*))?")


class LimitError(SecurityError):
    """An operation would build a value bigger than the sandbox allows."""


def weight(value: Any, limit: int = MAX_SIZE) -> int:
    """The size of ``value``, raising :class:`LimitError` as soon as it passes ``limit``.

    Iterative and stopping early, so measuring costs at most ``limit`` steps even for values that share
    one big item many times. Iterators are not consumed (they weigh 1); whatever materialises them is
    measured in turn.
    """
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += max(1, len(item))
        elif isinstance(item, list | tuple | set | frozenset):
            total += 1 + len(item)
            _check(total, limit)
            stack.extend(item)
            total -= len(item)  # each item adds at least one when popped
        elif isinstance(item, Mapping):
            total += 1 + 2 * len(item)
            _check(total, limit)
            for key, val in item.items():
                stack.append(key)
                stack.append(val)
            total -= 2 * len(item)
        elif isinstance(item, int):
            total += max(1, item.bit_length() // 3)
        else:
            total += 1
        _check(total, limit)
    return total


def _check(total: int, limit: int) -> None:
    if total > limit:
        raise LimitError(f"result would exceed {limit} items")


def check_int(value: int) -> None:
    """Reject an integer with more than :data:`MAX_DIGITS` digits (it could not even be printed)."""
    if value.bit_length() > _MAX_BITS:
        raise LimitError(f"result would exceed {MAX_DIGITS} digits")


def check_repeat(left: Any, right: Any) -> None:
    """Before ``left * right``: refuse repetitions and products that would be too big.

    Why before: ``'a' * 10**9`` would allocate a gigabyte before any after-the-fact check could run.
    """
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > _MAX_BITS:
            raise LimitError(f"result would exceed {MAX_DIGITS} digits")
        return
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, str | list | tuple) and isinstance(count, int) and count > 0:
            if count > MAX_SIZE:
                raise LimitError(f"result would exceed {MAX_SIZE} items")
            if weight(seq) * count > MAX_SIZE:
                raise LimitError(f"result would exceed {MAX_SIZE} items")


def check_power(base: Any, exponent: Any) -> None:
    """Before ``base ** exponent``: refuse integer powers with too many digits (floats overflow anyway)."""
    if not (isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1):
        return
    if exponent > _MAX_BITS or math.log2(abs(base)) * exponent > _MAX_BITS:
        raise LimitError(f"result would exceed {MAX_DIGITS} digits")


def check_sum(left: Any, right: Any) -> None:
    """Before ``left + right`` on sequences: refuse a concatenation that would be too big."""
    if isinstance(left, str) and isinstance(right, str):
        if len(left) + len(right) > MAX_SIZE:
            raise LimitError(f"result would exceed {MAX_SIZE} items")
    elif isinstance(left, list | tuple) and isinstance(right, list | tuple):
        weight(left, MAX_SIZE - weight(right))


def check_percent(template: str) -> None:
    """Before ``template % args``: refuse widths and precisions that would pad to a huge string."""
    total = len(template)
    for match in _PERCENT_SPEC.finditer(template):
        for number in match.groups():
            if number == "*":
                raise LimitError("'*' widths are not allowed in % formatting")
            if number:
                total += int(number) if len(number) < 10 else MAX_SIZE + 1
    if total > MAX_SIZE:
        raise LimitError(f"result would exceed {MAX_SIZE} items")


def check_replace(text: str, old: str, new: str, count: int | None = None) -> None:
    """Before ``text.replace(old, new)``: refuse a replacement that would grow past :data:`MAX_SIZE`.

    Why: replacing ``''`` inserts ``new`` between every character, and chained replaces double each time.
    """
    hits = len(text) + 1 if old == "" else text.count(old)
    if count is not None and count >= 0:
        hits = min(hits, count)
    if len(text) + hits * (len(new) - len(old)) > MAX_SIZE:
        raise LimitError(f"result would exceed {MAX_SIZE} items")


def check_join(separator: str, parts: Iterable[Any]) -> list[Any]:
    """Before joining: the parts as a list, refusing a result longer than :data:`MAX_SIZE`.

    Why: a long separator between many parts (``range(10**5) | join('x' * 10**5)``) multiplies sizes.
    """
    items: list[Any] = []
    total = -len(separator)
    for item in parts:
        total += len(separator) + (len(item) if isinstance(item, str) else 0)
        if total > MAX_SIZE:
            raise LimitError(f"result would exceed {MAX_SIZE} items")
        items.append(item)
    return items
