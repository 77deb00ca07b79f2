"""Time as the process language speaks it: durations, instants, calendar rules with zones and DST."""

from engine.timing.calendar import (
    CalendarRule,
    check_time_spec,
    describe_rule,
    next_time,
    occurrences,
    parse_instant,
    parse_rule,
    parse_zone,
)  # fmt: skip
from engine.timing.durations import format_duration, parse_duration

__all__ = [
    "CalendarRule", "check_time_spec", "describe_rule", "format_duration", "next_time", "occurrences",
    "parse_duration", "parse_instant", "parse_rule", "parse_zone",
]  # fmt: skip
