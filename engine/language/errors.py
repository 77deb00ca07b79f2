"""Pydantic validation errors reworded for process authors (one short clause each)."""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails

_TYPE_WORDS = {
    "int": "an integer", "float": "a number", "bool": "true or false", "string": "a string",
    "list": "a list", "tuple": "a list", "dict": "a mapping", "model": "a mapping", "timedelta": "a duration",
}  # fmt: skip


def describe_validation_error(error: ErrorDetails) -> str:
    """One clause saying what is wrong with one value."""
    kind = error["type"]
    loc = error["loc"]
    given = error.get("input")
    if kind == "extra_forbidden":
        return f"unknown key {loc[-1]!r}" if loc else "unknown key"
    if kind == "missing":
        return f"missing required key {loc[-1]!r}" if loc else "missing required value"
    if kind in {"literal_error", "enum"}:
        expected = (error.get("ctx") or {}).get("expected", "")
        return f"expected {expected}, got {_show(given)}"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    for prefix, words in _TYPE_WORDS.items():
        if kind.startswith(prefix):
            return f"expected {words}, got {_show(given)}"
    if kind.startswith("greater_than") or kind.startswith("less_than"):
        return f"{str(error['msg']).lower()}, got {_show(given)}"
    return str(error["msg"])


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
