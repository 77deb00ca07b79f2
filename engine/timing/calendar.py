"""When a ``wait: {until: ...}`` ends and when a calendar schedule fires: specs turned into instants.

A spec is an ISO 8601 timestamp or date (see :mod:`engine.timing.instants`), a rule in words (see
:mod:`engine.timing.words`) or an ``RRULE:`` string (see :mod:`engine.timing.rfc5545`). Rules are
evaluated in the wall time of an IANA zone (default UTC) and turned into instants with the DST rule of
:mod:`engine.timing.zones`: a wall time in the spring-forward gap moves forward by the gap, and a wall
time that occurs twice means the first. Every instant returned is an aware datetime in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from engine.errors import TimeSpecError
from engine.timing.instants import parse_instant
from engine.timing.rfc5545 import parse_rrule
from engine.timing.rule import CalendarRule
from engine.timing.words import SPEC_HELP, parse_words
from engine.timing.zones import instant_to_wall, parse_zone, wall_to_instant

# Scanning starts this much wall time before the point of interest: a DST gap can move an earlier wall
# time to a later instant (Pacific/Apia once skipped a whole day).
_LOOKBACK = timedelta(days=2)
# How far one scan looks ahead. A rule with no occurrence in this window is treated as finished (rules
# that never occur at all are refused when parsed, see engine.timing.rfc5545).
_WINDOW = timedelta(days=50 * 366)


def parse_rule(text: str) -> CalendarRule:
    """Read a calendar rule: words (``second friday 09:00``) or ``RRULE:...``, case-insensitive.

    Raises:
        TimeSpecError: the text is empty or not a rule; the message shows the accepted forms.
    """
    stripped = text.strip()
    if not stripped:
        raise TimeSpecError(f"empty time: {SPEC_HELP}")
    if stripped[:6].upper() == "RRULE:":
        return parse_rrule(text)
    return parse_words(text)


def next_time(spec: str, tz: str | None, after: datetime) -> datetime:
    """When a wait for ``spec`` that starts at ``after`` ends: an aware datetime in UTC.

    For a rule, the first occurrence strictly after ``after`` (so an ``after`` exactly at an occurrence
    gives the next one). An absolute timestamp or date is returned as is, even when it is not after
    ``after``: a time in the past means the wait is already over (overdue), not an error.

    Args:
        spec: an ISO 8601 timestamp or date, a rule in words, or an ``RRULE:`` string.
        tz: the IANA zone for rules and for timestamps without an offset; None means UTC.
        after: an aware datetime in any zone.

    Raises:
        TimeSpecError: the spec or zone cannot be read, or the rule has no later occurrence.
        ValueError: ``after`` is naive (a programming error, not the author's).
    """
    _require_aware(after)
    zone = parse_zone(tz)
    instant = parse_instant(spec, zone)
    if instant is not None:
        return instant
    for occurrence in _rule_instants(parse_rule(spec), zone, after):
        return occurrence
    raise TimeSpecError(
        f"calendar rule {spec!r} has no occurrence after {after.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}: "
        "check its UNTIL and BY... parts"
    )


def occurrences(spec: str, tz: str | None, after: datetime) -> Iterator[datetime]:
    """Successive occurrences of ``spec`` strictly after ``after``: aware, in UTC, increasing, no repeats.

    The spec is read before this returns, so errors are raised here and not on the first ``next()``. An
    absolute timestamp yields itself once if it is after ``after``, and nothing otherwise. A rule yields
    until its UNTIL, or forever.

    Raises:
        TimeSpecError: the spec or zone cannot be read.
        ValueError: ``after`` is naive.
    """
    _require_aware(after)
    zone = parse_zone(tz)
    instant = parse_instant(spec, zone)
    if instant is not None:
        return iter([instant] if instant > after else [])
    return _rule_instants(parse_rule(spec), zone, after)


def check_time_spec(spec: str, tz: str | None) -> None:
    """Check a ``wait: {until: ...}`` spec and its zone when a definition is validated.

    An RRULE that can never occur (February 30th) is refused. The check does not depend on the current
    time, so a rule whose UNTIL has passed, or a timestamp in the past, passes here: the wait then fails
    (rule) or ends at once (timestamp) when it starts.

    Raises:
        TimeSpecError: the zone or spec cannot be read, or the rule never occurs.
    """
    zone = parse_zone(tz)
    if parse_instant(spec, zone) is None:
        parse_rule(spec)


def describe_rule(spec: str, tz: str | None) -> str:
    """The spec for people, with its zone: ``second Friday of each month at 09:00 in America/Chicago``.

    Timestamps are shown in the zone (``2026-12-25 09:00 in Europe/Helsinki``); ``RRULE:`` strings are
    shown as written.

    Raises:
        TimeSpecError: the zone or spec cannot be read.
    """
    zone = parse_zone(tz)
    instant = parse_instant(spec, zone)
    if instant is None:
        return f"{parse_rule(spec).summary} in {zone.key}"
    local = instant.astimezone(zone)
    shown = f"{local:%Y-%m-%d %H:%M:%S}" if local.second else f"{local:%Y-%m-%d %H:%M}"
    return f"{shown} in {zone.key}"


def _rule_instants(rule: CalendarRule, zone: ZoneInfo, after: datetime) -> Iterator[datetime]:
    """Instants of ``rule`` in ``zone`` strictly after ``after``, scanning one window at a time."""
    last = after.astimezone(UTC)
    until = _until_instant(rule, zone)
    while True:
        start = max(instant_to_wall(last, zone), datetime.min + _LOOKBACK) - _LOOKBACK
        found = False
        for wall in rule.wall_times(start, min(start, datetime.max - _WINDOW) + _WINDOW):
            instant = wall_to_instant(wall, zone)
            if until is not None and instant > until:
                return
            if instant > last:  # also drops instants repeated by a DST gap
                last, found = instant, True
                yield instant
        if not found:
            return


def _until_instant(rule: CalendarRule, zone: ZoneInfo) -> datetime | None:
    if rule.until is None:
        return None
    if rule.until.tzinfo is None:
        return wall_to_instant(rule.until, zone)
    return rule.until.astimezone(UTC)


def _require_aware(after: datetime) -> None:
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError(f"'after' must be an aware datetime, got naive {after.isoformat()}")
