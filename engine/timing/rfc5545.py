"""``RRULE:`` strings (RFC 5545), for recurrences the words grammar cannot say.

The rule is checked by :func:`dateutil.rrule.rrulestr` itself. Three parts need care because a rule here
has no DTSTART of its own (see :mod:`engine.timing.rule`):

* ``COUNT`` counts from DTSTART, so it is refused; ``UNTIL`` gives an end instead.
* ``UNTIL`` is kept aside and applied by instant: ``...Z`` is an instant, a local form is wall time in the
  rule's zone, and a date alone includes that whole day.
* ``FREQ=SECONDLY`` is refused: a duration (``wait: {duration: 30s}``) says that better and cheaper.

A rule that can never occur (``BYMONTH=2;BYMONTHDAY=30``) is refused when it is read. dateutil only
notices that by scanning to the year 9999, so the rule is tried from 9600-01-03: the Gregorian calendar,
weekdays included, repeats every 400 years, so this sees one full cycle and finishes in under a second.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

from dateutil import rrule

from engine.errors import TimeSpecError
from engine.timing.rule import CalendarRule

_FREQUENCIES = {"YEARLY": rrule.YEARLY, "MONTHLY": rrule.MONTHLY, "WEEKLY": rrule.WEEKLY,
                "DAILY": rrule.DAILY, "HOURLY": rrule.HOURLY, "MINUTELY": rrule.MINUTELY}  # fmt: skip
_UNTIL = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?")
_LAST_CYCLE = datetime(9600, 1, 3)  # the epoch Monday 2000-01-03 plus 19 cycles of 400 years
_EXAMPLE = "e.g. RRULE:FREQ=MONTHLY;BYDAY=FR;BYSETPOS=2;BYHOUR=9;BYMINUTE=0"


def parse_rrule(text: str) -> CalendarRule:
    """Read one ``RRULE:`` line (case-insensitive).

    Raises:
        TimeSpecError: the rule is malformed, never occurs, uses COUNT or FREQ=SECONDLY, or has a bad UNTIL.
    """
    body = text.strip()
    if any(char.isspace() for char in body):
        raise _bad(text, "write one RRULE: line without spaces")
    parts = _split(body[len("RRULE:") :], text)
    until = _until(parts.pop("UNTIL"), text) if "UNTIL" in parts else None
    if "COUNT" in parts:
        raise _bad(text, "COUNT is not supported here because the rule has no fixed start; use UNTIL")
    freq = parts.get("FREQ", "")
    if freq == "SECONDLY":
        raise _bad(text, "FREQ=SECONDLY is not supported; wait for a duration such as 30s instead")
    if freq not in _FREQUENCIES:
        raise _bad(text, f"FREQ must be one of {', '.join(_FREQUENCIES)}")
    interval = parts.get("INTERVAL", "1")
    if not interval.isdigit() or int(interval) < 1:
        raise _bad(text, "INTERVAL must be a whole number of 1 or more")
    normalized = "RRULE:" + ";".join(f"{key}={value}" for key, value in parts.items())
    try:
        occurs = next(iter(rrule.rrulestr(normalized, dtstart=_LAST_CYCLE)), None) is not None
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise _bad(text, str(exc)) from exc
    if not occurs:
        raise _bad(text, "it never occurs; check its BYMONTH, BYMONTHDAY and other BY parts")
    return CalendarRule(text=text, rfc5545=normalized, freq=_FREQUENCIES[freq], interval=int(interval),
                        until=until, summary=body)  # fmt: skip


def _split(rest: str, text: str) -> dict[str, str]:
    """``FREQ=DAILY;BYHOUR=9`` as an ordered dict of upper-case parts, each named once."""
    parts: dict[str, str] = {}
    for part in rest.upper().split(";"):
        key, equals, value = part.partition("=")
        if not key or not equals or not value:
            raise _bad(text, f"{part!r} is not NAME=VALUE")
        if key in parts:
            raise _bad(text, f"{key} is given twice")
        parts[key] = value
    return parts


def _until(value: str, text: str) -> datetime:
    match = _UNTIL.fullmatch(value)
    try:
        if match is None:
            raise ValueError(value)
        year, month, day, hour, minute, second, zulu = match.groups()
        if hour is None:
            return datetime.combine(datetime(int(year), int(month), int(day)), time.max)
        until = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError as exc:
        raise _bad(text, "UNTIL must look like 20271231, 20271231T170000 or 20271231T170000Z") from exc
    return until.replace(tzinfo=UTC) if zulu else until


def _bad(text: str, why: str) -> TimeSpecError:
    return TimeSpecError(f"bad RRULE {text.strip()!r}: {' '.join(why.split())} ({_EXAMPLE})")
