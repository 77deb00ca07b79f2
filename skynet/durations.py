"""Durations in participant configuration and params, written the way process definitions write them.

``timeout: 10m``, ``poll_interval: 2s``, ``PT6H`` or a number of seconds all become a ``timedelta``, so a
release engineer writes one duration syntax everywhere (see ``engine.timing``). Participants annotate
their pydantic fields with :data:`Duration` (strictly positive) or :data:`NonNegativeDuration`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema

from engine.errors import TimeSpecError
from engine.timing import parse_duration

_SCHEMA = WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "number"}],
                          "description": "a duration: 30s, 10m, 1h30m, PT6H, or a number of seconds"})


def to_duration(value: Any) -> Any:
    """``10s``, ``2h`` or a number of seconds as a ``timedelta``; anything else is left to pydantic."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            return parse_duration(value)
        except TimeSpecError as exc:
            raise ValueError(str(exc)) from exc
    return value


Duration = Annotated[timedelta, BeforeValidator(to_duration), Field(gt=timedelta(0)), _SCHEMA]
NonNegativeDuration = Annotated[timedelta, BeforeValidator(to_duration), Field(ge=timedelta(0)), _SCHEMA]
