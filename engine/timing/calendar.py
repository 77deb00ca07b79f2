"""Instants and calendar rules in a time zone: when a ``wait`` ends and when a schedule fires.

A spec is an ISO 8601 timestamp (with an offset: exact; without: wall time in the zone), a date, a rule
in words (``second friday 09:00``, ``last weekday``, ``every monday 08:00``, ``every day 06:00``) or an
RFC 5545 ``RRULE:`` string. Rules are evaluated in the zone's wall time with :mod:`dateutil.rrule`, then
turned into instants: a wall time in a spring-forward gap moves forward by the gap, a wall time that occurs
twice (fall back) means the first. This is what ``fold=0`` gives with :mod:`zoneinfo`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import rrule

from engine.errors import TimeSpecError

_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
             "fifth": 5, "5th": 5, "last": -1}
_WEEKDAYS = {
    "monday": rrule.MO, "mon": rrule.MO, "tuesday": rrule.TU, "tue": rrule.TU, "tues": rrule.TU,
    "wednesday": rrule.WE, "wed": rrule.WE, "thursday": rrule.TH, "thu": rrule.TH, "thur": rrule.TH,
    "thurs": rrule.TH, "friday": rrule.FR, "fri": rrule.FR, "saturday": rrule.SA, "sat": rrule.SA,
    "sunday": rrule.SU, "sun": rrule.SU,
}  # fmt: skip
_WORKDAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR)
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")
_TAIL = re.compile(r"\s+of\s+(?:the|each|every)\s+month$")
_RULE_HELP = ("use e.g. 'second friday 09:00', 'last weekday', 'every monday 08:00', 'every day 06:00', "
              "an RRULE: string, or an ISO 8601 time")
_MAX_SCAN = 10_000


@dataclass(frozen=True)
class CalendarRule:
    """A recurrence in wall time: what ``rrule`` needs, minus the start."""

    text: str
    freq: int
    byweekday: tuple[rrule.weekday, ...] | None = None
    bysetpos: int | None = None
    bymonthday: int | None = None
    hour: int = 0
    minute: int = 0
    second: int = 0
    rrule_text: str | None = None

    def iterate(self, start: datetime) -> Iterator[datetime]:
        """Naive wall-clock occurrences from ``start`` (naive, in the rule's zone) on."""
        if self.rrule_text is not None:
            return iter(_rrulestr(self.rrule_text, start.replace(hour=0, minute=0, second=0, microsecond=0)))
        freq: Any = self.freq  # dateutil's stubs want a Literal; the constants are plain ints
        recurrence = rrule.rrule(freq, dtstart=start, byweekday=self.byweekday, bysetpos=self.bysetpos,
                                 bymonthday=self.bymonthday,
                                 byhour=self.hour, byminute=self.minute, bysecond=self.second)
        return iter(recurrence)


def parse_zone(name: str | None) -> ZoneInfo:
    """An IANA time zone; None means UTC."""
    if name is None or name in ("UTC", "utc", "Z"):
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise TimeSpecError(f"unknown time zone {name!r}: use an IANA name such as Europe/Helsinki") from exc


def parse_instant(text: str, tz: ZoneInfo | None = None) -> datetime | None:
    """An ISO 8601 time or date as an instant in UTC, or None when ``text`` is not ISO 8601 at all.

    A time without an offset (and a date, meaning 00:00) is wall time in ``tz`` (default UTC).
    """
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz or UTC)
    return value.astimezone(UTC)


def parse_rule(text: str) -> CalendarRule:
    """A calendar rule in words or as ``RRULE:``.

    Raises:
        TimeSpecError: the text is not a rule this module understands.
    """
    cleaned = " ".join(text.strip().split())
    if cleaned.upper().startswith("RRULE:"):
        _rrulestr(cleaned, datetime(2000, 1, 1))
        return CalendarRule(text=text, freq=rrule.DAILY, rrule_text=cleaned)
    words = _TAIL.sub("", cleaned.lower()).split()
    hour = minute = second = 0
    if words and _TIME.match(words[-1]):
        match = _TIME.match(words.pop())
        assert match is not None
        hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    elif words and ":" in words[-1]:
        raise TimeSpecError(f"bad time of day {words[-1]!r} in {text!r}: use HH:MM in 24-hour form")
    if len(words) != 2:
        raise TimeSpecError(f"cannot read calendar rule {text!r}: {_RULE_HELP}")
    first, what = words
    rule = _rule_for(first, what, text)
    return replace(rule, hour=hour, minute=minute, second=second)


def _rule_for(first: str, what: str, text: str) -> CalendarRule:
    if first == "every":
        if what == "day":
            return CalendarRule(text, rrule.DAILY)
        if what in ("weekday", "weekdays"):
            return CalendarRule(text, rrule.DAILY, byweekday=_WORKDAYS)
        if what in _WEEKDAYS:
            return CalendarRule(text, rrule.WEEKLY, byweekday=(_WEEKDAYS[what],))
    elif first in _ORDINALS:
        n = _ORDINALS[first]
        if what == "weekday":
            return CalendarRule(text, rrule.MONTHLY, byweekday=_WORKDAYS, bysetpos=n)
        if what == "day":
            return CalendarRule(text, rrule.MONTHLY, bymonthday=n)
        if what in _WEEKDAYS:
            return CalendarRule(text, rrule.MONTHLY, byweekday=(_WEEKDAYS[what](n),))
    raise TimeSpecError(f"cannot read calendar rule {text!r}: {_RULE_HELP}")


def _rrulestr(text: str, dtstart: datetime) -> rrule.rrule:
    try:
        result = rrule.rrulestr(text, dtstart=dtstart)
    except (ValueError, TypeError, KeyError) as exc:
        raise TimeSpecError(f"bad RRULE {text!r}: {exc}") from exc
    if not isinstance(result, rrule.rrule):
        raise TimeSpecError(f"bad RRULE {text!r}: give exactly one rule")
    return result


def check_time_spec(spec: str, tz: str | None) -> None:
    """Check a ``wait: {until: ...}`` spec and its zone without computing anything."""
    zone = parse_zone(tz)
    if not spec or not spec.strip():
        raise TimeSpecError(f"empty time: {_RULE_HELP}")
    if parse_instant(spec, zone) is None:
        parse_rule(spec)


def occurrences(spec: str, tz: str | None, after: datetime) -> Iterator[datetime]:
    """Successive occurrences of a rule strictly after ``after``, as instants in UTC."""
    zone = parse_zone(tz)
    rule = parse_rule(spec)
    local = after.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    last = after
    for scanned, naive in enumerate(rule.iterate(start)):
        instant = naive.replace(tzinfo=zone).astimezone(UTC)
        if instant > last:
            last = instant
            yield instant
        elif scanned > _MAX_SCAN:
            return


def next_time(spec: str, tz: str | None, after: datetime) -> datetime:
    """When a ``wait: {until: spec, tz: tz}`` that starts at ``after`` ends, in UTC.

    An ISO time is returned as is, even when it is not after ``after``: a time in the past means the wait
    is already over. A rule gives its first occurrence strictly after ``after``.

    Raises:
        TimeSpecError: the spec or zone is not understood, or the rule has no later occurrence.
    """
    zone = parse_zone(tz)
    instant = parse_instant(spec, zone)
    if instant is not None:
        return instant
    for occurrence in occurrences(spec, tz, after):
        return occurrence
    raise TimeSpecError(f"{spec!r} has no occurrence after {after.isoformat()}")


def describe_rule(spec: str, tz: str | None) -> str:
    """The spec with its zone, as shown in timelines (``second friday 09:00 (America/Chicago)``)."""
    return f"{spec} ({tz or 'UTC'})"
