"""IANA time zones, and the one rule for turning a zone's wall-clock time into an instant.

Calendar rules are written in wall time ("09:00 in Chicago"), but timers fire at instants. Wall times are
turned into instants with ``fold=0``, which with :mod:`zoneinfo` means: a wall time that does not exist
(the spring-forward gap) moves forward by the length of the gap, and a wall time that occurs twice (fall
back) means its first occurrence. Keeping that rule in one place keeps every caller consistent.
"""

from __future__ import annotations

import difflib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, available_timezones

from engine.errors import TimeSpecError

_UTC_NAMES = frozenset({"UTC", "Z"})


def parse_zone(name: str | None) -> ZoneInfo:
    """The IANA zone ``name`` (e.g. ``America/Chicago``); None, ``UTC`` or ``Z`` (any case) mean UTC.

    Raises:
        TimeSpecError: the name is empty or not a known zone (with a suggestion when one is close).
    """
    if name is None or name.strip().upper() in _UTC_NAMES:
        return ZoneInfo("UTC")
    key = name.strip()
    if not key:
        raise TimeSpecError("empty time zone: use an IANA name like Europe/Helsinki, or leave tz out for UTC")
    try:
        return ZoneInfo(key)
    except (KeyError, ValueError, OSError) as exc:  # KeyError covers ZoneInfoNotFoundError
        raise TimeSpecError(f"unknown time zone {name!r}: {_suggestion(key)}") from exc


def _suggestion(key: str) -> str:
    """A close zone name ("did you mean America/Chicago?") or a generic hint; only runs on errors."""
    known = {zone.lower(): zone for zone in available_timezones()}
    close = difflib.get_close_matches(key.lower(), known, n=1, cutoff=0.8)
    if close:
        return f"did you mean {known[close[0]]}?"
    return "use an IANA name such as Europe/Helsinki or America/Chicago"


def wall_to_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant (aware, UTC) of naive wall-clock time ``wall`` in ``zone``; gaps move forward, folds take
    the first occurrence."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def instant_to_wall(instant: datetime, zone: ZoneInfo) -> datetime:
    """The naive wall-clock time in ``zone`` at aware ``instant``."""
    return instant.astimezone(zone).replace(tzinfo=None)
