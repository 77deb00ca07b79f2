"""Conversions of YAML values that the language reads in several places."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from engine.errors import TimeSpecError
from engine.timing import parse_duration


def coerce_duration(value: Any) -> timedelta:
    """A duration from YAML (``30s``, ``PT6H``, a number of seconds).

    Raises:
        ValueError: the value is not a duration; the message says what is accepted.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float | timedelta):
        raise ValueError(f"expected a duration such as 30s, 10m, 6h, 3d, 2w or PT6H, got {value!r}")
    try:
        return parse_duration(value)
    except TimeSpecError as exc:
        raise ValueError(str(exc)) from exc
