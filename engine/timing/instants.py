"""ISO 8601 timestamps and dates as instants: the "absolute" half of a ``wait: {until: ...}`` spec.

A spec is tried as a timestamp first and as a calendar rule second, so :func:`parse_instant` answers None
for text that is not a timestamp at all, but a clear error for text that is clearly meant as one and is
wrong (``2026-13-01``): falling through to "cannot read calendar rule" would only confuse the author.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from engine.errors import TimeSpecError
from engine.timing.zones import wall_to_instant

# Starts like an ISO 8601 date: 2026-12-25, 20261225, 2026-W52-5 (a rule never starts with four digits).
_LOOKS_ISO = re.compile(r"\d{4}-?(?:\d{2}|W\d)")


def parse_instant(text: str, tz: ZoneInfo | None = None) -> datetime | None:
    """Read an ISO 8601 timestamp or date as an aware instant in UTC.

    With an offset or ``Z`` the instant is exact. Without one it is wall time in ``tz`` (default UTC), with
    the usual DST rule (a time in the spring-forward gap moves forward, a repeated time means the first).
    A date alone (``2026-12-25``) means 00:00 that day.

    Returns:
        The instant, or None when ``text`` does not look like an ISO 8601 date or time at all.

    Raises:
        TimeSpecError: ``text`` starts like an ISO date but is not a valid one.
    """
    candidate = text.strip()
    if not _LOOKS_ISO.match(candidate):
        return None
    try:
        value = datetime.fromisoformat(candidate.upper())
        if value.tzinfo is None:
            return wall_to_instant(value, tz or ZoneInfo("UTC"))
        return value.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise TimeSpecError(
            f"cannot read time {text!r} ({exc}): use ISO 8601 such as 2026-12-25T09:00:00+02:00, "
            "or 2026-12-25T09:00 with a tz"
        ) from exc
