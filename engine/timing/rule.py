"""A calendar rule: a recurrence in wall-clock time, kept as an RFC 5545 RRULE for :mod:`dateutil.rrule`.

Rules in words (``second friday 09:00``) and ``RRULE:`` strings both end up here, so there is one evaluator.

A rule has no start of its own (authors write "every other Monday", not "every other Monday since ...").
RFC 5545 takes missing parts from DTSTART, so the start is chosen deterministically: a period boundary
aligned to a fixed epoch (Monday 2000-01-03 00:00), at or before the point of interest. That makes parts
not given default to the start of the period (time 00:00:00, Monday, the 1st, January) and keeps
``INTERVAL=2`` in the same phase whatever instant a caller asks from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from dateutil import rrule

_EPOCH = datetime(2000, 1, 3)
_PERIOD = {
    rrule.WEEKLY: timedelta(weeks=1),
    rrule.DAILY: timedelta(days=1),
    rrule.HOURLY: timedelta(hours=1),
    rrule.MINUTELY: timedelta(minutes=1),
}


@dataclass(frozen=True)
class CalendarRule:
    """An immutable recurrence in the wall time of a zone given at evaluation time.

    Attributes:
        text: the rule as the author wrote it, for messages.
        rfc5545: the RFC 5545 equivalent without UNTIL or COUNT, e.g.
            ``RRULE:FREQ=MONTHLY;BYDAY=+2FR;BYHOUR=9;BYMINUTE=0;BYSECOND=0``.
        freq: the :mod:`dateutil.rrule` frequency constant (``rrule.MONTHLY`` ...).
        interval: every how many periods (RRULE ``INTERVAL``).
        until: the last allowed occurrence: naive means wall time in the zone, aware means an instant.
        summary: how to say the rule to a person, without its zone ("second Friday of each month at 09:00").
    """

    text: str
    rfc5545: str
    freq: int
    interval: int = 1
    until: datetime | None = None
    summary: str = ""

    def wall_times(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Naive wall-clock occurrences from an aligned start at or before ``start``, up to ``end``.

        Occurrences before ``start`` may come first; the caller filters by instant, which it has to do
        anyway because of DST.
        """
        recurrence = rrule.rrulestr(self.rfc5545, dtstart=period_start(self.freq, self.interval, start))
        assert isinstance(recurrence, rrule.rrule)  # one RRULE line, checked when the rule was parsed
        return iter(recurrence.replace(until=end))


def period_start(freq: int, interval: int, at: datetime) -> datetime:
    """The start of the period containing naive ``at``, counting periods of ``interval`` from the epoch."""
    if freq == rrule.YEARLY:
        return datetime(max(1, _EPOCH.year + (at.year - _EPOCH.year) // interval * interval), 1, 1)
    if freq == rrule.MONTHLY:
        months = (at.year - _EPOCH.year) * 12 + at.month - 1
        aligned = months // interval * interval
        return datetime(_EPOCH.year + aligned // 12, aligned % 12 + 1, 1)
    step = _PERIOD[freq] * interval
    return _EPOCH + (at - _EPOCH) // step * step
