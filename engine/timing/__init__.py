"""Time as the process language speaks it: durations, instants, calendar rules with zones and DST.

Callers use only the names below; the submodules are one concept each (durations, zones, instants, the
words grammar, RRULE strings, the rule evaluator, and the spec-level functions in :mod:`.calendar`).
"""

from __future__ import annotations

from engine.timing.calendar import check_time_spec, describe_rule, next_time, occurrences, parse_rule
from engine.timing.durations import format_duration, parse_duration
from engine.timing.instants import parse_instant
from engine.timing.rule import CalendarRule
from engine.timing.zones import parse_zone

__all__ = [
    "CalendarRule",
    "check_time_spec",
    "describe_rule",
    "format_duration",
    "next_time",
    "occurrences",
    "parse_duration",
    "parse_instant",
    "parse_rule",
    "parse_zone",
]
