"""Durations as process authors write them, and as boss prints them back.

Authors write ``30s``, ``10m``, ``6h``, ``3d``, ``2w``, compounds such as ``1h30m`` or ``1d 12h``, a bare
number of seconds, or ISO 8601 (``PT6H``, ``P1DT2H30M``, ``P2W``). Months and years are refused on purpose:
they have no fixed length, so "wait a month" is said with a calendar rule (``wait: {until: ...}``) instead.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

from engine.errors import TimeSpecError

_NUMBER = r"\d+(?:\.\d+)?"
# Each unit at most once, largest first, optional spaces between parts: "1d 12h", "1h30m", "90s".
_COMPACT = re.compile(
    rf"(?:(?P<w>{_NUMBER})\s*w)?\s*(?:(?P<d>{_NUMBER})\s*d)?\s*(?:(?P<h>{_NUMBER})\s*h)?"
    rf"\s*(?:(?P<m>{_NUMBER})\s*m)?\s*(?:(?P<s>{_NUMBER})\s*s)?",
    re.IGNORECASE,
)
# ISO 8601 without months and years (those are caught before): P2W, P1D, PT6H, P1DT2H30M, PT0.5S.
_ISO = re.compile(
    rf"P(?:(?P<w>{_NUMBER})W)?(?:(?P<d>{_NUMBER})D)?"
    rf"(?:T(?=\d)(?:(?P<h>{_NUMBER})H)?(?:(?P<m>{_NUMBER})M)?(?:(?P<s>{_NUMBER})S)?)?",
    re.IGNORECASE,
)
_BARE = re.compile(_NUMBER)
_WORDY_MONTHS = re.compile(r"\d\s*(?:y|yrs?|years?|mo|mos|months?)\b", re.IGNORECASE)
_UNIT_ARGUMENT = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
_HELP = "use 30s, 10m, 6h, 3d, 2w, 1h30m, a number of seconds or ISO 8601 like PT6H"


def parse_duration(value: str | int | float | timedelta) -> timedelta:
    """Read a non-negative duration.

    A bare number (int, float or numeric string) means seconds. A ``timedelta`` is checked and returned,
    so callers can pass through values that were already parsed.

    Raises:
        TimeSpecError: the value is not a duration, is negative, is too long, or uses months or years
            (which have no fixed length: a calendar rule says what is meant).
    """
    if isinstance(value, timedelta):
        result = value
    elif isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TimeSpecError(f"cannot read duration {value!r}: {_HELP}")
    elif isinstance(value, str):
        result = _parse_text(value)
    elif not math.isfinite(value):
        raise TimeSpecError(f"cannot read duration {value!r}: it is not a finite number of seconds")
    else:
        result = _build(value, {"s": value})
    if result < timedelta(0):
        raise TimeSpecError(f"duration {_shown(value)} is negative: use zero or more, such as 0s or 5m")
    return result


def _parse_text(value: str) -> timedelta:
    """Read the text forms; a leading minus is recognised only to say that negatives are refused."""
    text = value.strip()
    if text.startswith("-") and _parses(text[1:]):
        raise TimeSpecError(f"duration {value!r} is negative: use zero or more, such as 0s or 5m")
    if _has_months_or_years(text):
        raise TimeSpecError(
            f"duration {value!r} uses months or years, which have no fixed length: "
            "use days or weeks, or wait for a calendar rule instead (wait: {until: 'first monday 09:00'})"
        )
    if _BARE.fullmatch(text):
        return _build(value, {"s": _number(text)})
    for pattern in (_COMPACT, _ISO):
        match = pattern.fullmatch(text.replace(",", ".") if pattern is _ISO else text)
        groups = match.groupdict() if match else {}
        parts = {unit: _number(amount) for unit, amount in groups.items() if amount}
        if parts:
            return _build(value, parts)
    raise TimeSpecError(f"cannot read duration {value!r}: {_HELP}")


def _parses(text: str) -> bool:
    try:
        _parse_text(text)
    except TimeSpecError:
        return False
    return True


def _has_months_or_years(text: str) -> bool:
    """True for ISO ``P1M``, ``P1Y2D``, ``P1MT6H`` and for words such as ``2 months`` or ``1y``."""
    if text[:1] in ("P", "p"):
        date_part = text[1:].upper().split("T", 1)[0]
        return "Y" in date_part or "M" in date_part
    return bool(_WORDY_MONTHS.search(text))


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def _build(value: object, parts: dict[str, int | float]) -> timedelta:
    """A timedelta from unit amounts, with a clear error instead of an OverflowError."""
    try:
        return timedelta(**{_UNIT_ARGUMENT[unit]: amount for unit, amount in parts.items()})
    except OverflowError as exc:
        raise TimeSpecError(f"duration {_shown(value)} is too long: use at most 999999999 days") from exc


def _shown(value: object) -> str:
    return repr(value) if isinstance(value, str) else repr(str(value))


_SIZES = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))


def format_duration(td: timedelta) -> str:
    """A compact, human form with at most two adjacent units, for logs, CLIs and failure messages.

    Examples: ``0s``, ``45s``, ``2m 5s``, ``1h 30m``, ``3d 4h``; two weeks print as ``14d``. The smaller
    unit is truncated, not rounded (``1h 30m 59s`` prints as ``1h 30m``), so a shown time never overstates.
    Below one second, milliseconds are shown (``0.5s``). Negative durations get a leading minus. The output
    is always accepted by :func:`parse_duration` (for non-negative values).
    """
    if td < timedelta(0):
        return "-" + format_duration(-td)
    if td < timedelta(seconds=1):
        millis = round(td.microseconds / 1000)
        return f"{millis / 1000:g}s" if millis else "0s"
    remaining = td.days * 86_400 + td.seconds
    amounts = []
    for unit, size in _SIZES:
        amount, remaining = divmod(remaining, size)
        amounts.append((amount, unit))
    first = next(index for index, (amount, _) in enumerate(amounts) if amount)
    shown = [f"{amount}{unit}" for amount, unit in amounts[first : first + 2] if amount]
    return " ".join(shown)
