"""Durations as process authors write them: ``30s``, ``10m``, ``6h``, ``3d``, ``2w``, ``1h30m``, ``PT6H``."""

from __future__ import annotations

import re
from datetime import timedelta

from pydantic import TypeAdapter, ValidationError

from engine.errors import TimeSpecError

_UNIT_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_NUMBER = r"\d+(?:\.\d+)?"
_COMPOUND = re.compile(rf"^(?:\s*{_NUMBER}\s*[wdhms]\s*)+$")
_PART = re.compile(rf"({_NUMBER})\s*([wdhms])")
_ISO = re.compile(r"^P(?!$)(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(?:\.\d+)?S)?)?$")
_ISO_CALENDAR = re.compile(r"^P(?:[^T]*[YM])")
_TIMEDELTA = TypeAdapter(timedelta)
_HELP = "use 30s, 10m, 6h, 3d, 2w, 1h30m or ISO 8601 like PT6H"


def parse_duration(value: str | int | float | timedelta) -> timedelta:
    """A non-negative duration.

    A bare number means seconds. Months and years are refused: they have no fixed length, and a
    calendar rule (``wait: {until: ...}``) says what is meant.

    Raises:
        TimeSpecError: the value is not a duration, is negative, or uses months or years.
    """
    if isinstance(value, timedelta):
        result = value
    elif isinstance(value, bool):
        raise TimeSpecError(f"cannot read duration {value!r}: {_HELP}")
    elif isinstance(value, int | float):
        result = timedelta(seconds=value)
    else:
        result = _parse_text(value)
    if result < timedelta(0):
        raise TimeSpecError(f"duration {value!r} is negative")
    return result


def _parse_text(value: str) -> timedelta:
    text = value.strip()
    if re.fullmatch(_NUMBER, text):
        return timedelta(seconds=float(text))
    lower = text.lower()
    if _COMPOUND.match(lower):
        return timedelta(seconds=sum(float(n) * _UNIT_SECONDS[u] for n, u in _PART.findall(lower)))
    upper = text.upper()
    if _ISO_CALENDAR.match(upper):
        raise TimeSpecError(f"duration {value!r} uses months or years, which have no fixed length: "
                            "wait for a calendar rule or date instead (wait: {until: ...})")
    if _ISO.match(upper):
        try:
            return _TIMEDELTA.validate_python(upper)
        except ValidationError as exc:
            raise TimeSpecError(f"cannot read duration {value!r}: {_HELP}") from exc
    raise TimeSpecError(f"cannot read duration {value!r}: {_HELP}")


def format_duration(duration: timedelta) -> str:
    """A compact human form with at most two units: ``0s``, ``45s``, ``2m 5s``, ``1h 30m``, ``3d 4h``."""
    total = duration.total_seconds()
    if total < 0:
        return "-" + format_duration(-duration)
    if 0 < total < 1:
        return f"{total:g}s"
    seconds = round(total)
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return " ".join(parts[:2]) if parts else "0s"
