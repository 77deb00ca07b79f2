"""Calendar rules in words, as release managers say them: ``second friday 09:00``, ``last weekday``.

The grammar is small on purpose (case-insensitive, extra spaces ignored)::

    <ordinal> <day> [of the|each|every month] [[at] HH:MM[:SS]]   monthly: the Nth such day of each month
    every <day> [[at] HH:MM[:SS]]                                   daily or weekly

``<ordinal>`` is first..fifth, last or 1st..5th; ``<day>`` is a weekday name (full or 3 letters),
``weekday`` (Monday to Friday) or ``day`` (a day of the month: ``last day`` is the month's last day).
The time defaults to 00:00. ``fifth friday`` skips months without one. Each form becomes an RRULE, so
there is one evaluator; anything else is an error that shows the accepted forms.
"""

from __future__ import annotations

import re

from dateutil import rrule

from engine.errors import TimeSpecError
from engine.timing.rule import CalendarRule

_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
             "fifth": 5, "5th": 5, "last": -1}  # fmt: skip
_ORDINAL_NAMES = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}
_DAY_CODES = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday",
              "SA": "Saturday", "SU": "Sunday"}  # fmt: skip
_WEEKDAYS = {name.lower(): code for code, name in _DAY_CODES.items()} | {
    name[:3].lower(): code for code, name in _DAY_CODES.items()
} | {"tues": "TU", "thur": "TH", "thurs": "TH"}  # fmt: skip
_WORKDAYS = "MO,TU,WE,TH,FR"
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_MONTH_TAILS = (("of", "the", "month"), ("of", "each", "month"), ("of", "every", "month"))
SPEC_HELP = ("use an ISO 8601 time like 2026-12-25T09:00, a rule like 'second friday 09:00', "
             "'last weekday 17:00' or 'every monday 08:00', or an RRULE: string")  # fmt: skip


def parse_words(text: str) -> CalendarRule:
    """Read a rule in words.

    Raises:
        TimeSpecError: the text is not in the grammar; the message names the word at fault.
    """
    words = text.lower().split()
    clock, words = _take_time(words, text)
    words = _drop_month_tail(words)
    if len(words) == 2 and words[0] == "every":
        return _every(words[1], clock, text)
    if len(words) == 2 and words[0] in _ORDINALS:
        return _monthly(_ORDINALS[words[0]], words[1], clock, text)
    raise _not_understood(words, text)


def _take_time(words: list[str], text: str) -> tuple[tuple[int, int, int], list[str]]:
    """Split off a trailing time of day (and an ``at`` before it); 00:00:00 when there is none."""
    if not words or not words[-1][:1].isdigit() or words[-1] in _ORDINALS:
        return (0, 0, 0), words
    match = _TIME.fullmatch(words[-1])
    hour, minute, second = (int(match[1]), int(match[2]), int(match[3] or 0)) if match else (99, 0, 0)
    if hour > 23 or minute > 59 or second > 59:
        raise TimeSpecError(
            f"bad time of day {words[-1]!r} in {text!r}: use 24-hour HH:MM or HH:MM:SS such as 09:00 or 17:30"
        )
    rest = words[:-1]
    if rest and rest[-1] == "at":
        rest = rest[:-1]
    return (hour, minute, second), rest


def _drop_month_tail(words: list[str]) -> list[str]:
    for tail in _MONTH_TAILS:
        if tuple(words[-len(tail) :]) == tail:
            return words[: -len(tail)]
    return words


def _every(day: str, clock: tuple[int, int, int], text: str) -> CalendarRule:
    if day == "day":
        return _rule(text, rrule.DAILY, "FREQ=DAILY", "every day", clock)
    if day in ("weekday", "weekdays"):
        return _rule(text, rrule.DAILY, f"FREQ=DAILY;BYDAY={_WORKDAYS}", "every weekday", clock)
    if day in _WEEKDAYS:
        code = _WEEKDAYS[day]
        return _rule(text, rrule.WEEKLY, f"FREQ=WEEKLY;BYDAY={code}", f"every {_DAY_CODES[code]}", clock)
    raise TimeSpecError(
        f"unknown day {day!r} in {text!r}: after 'every' use day, weekday or a weekday like monday or mon"
    )


def _monthly(nth: int, day: str, clock: tuple[int, int, int], text: str) -> CalendarRule:
    said = f"{_ORDINAL_NAMES[nth]} {{}} of each month"
    if day in _WEEKDAYS:
        code = _WEEKDAYS[day]
        return _rule(text, rrule.MONTHLY, f"FREQ=MONTHLY;BYDAY={nth:+d}{code}", said.format(_DAY_CODES[code]),
                     clock)  # fmt: skip
    if day == "weekday":
        return _rule(text, rrule.MONTHLY, f"FREQ=MONTHLY;BYDAY={_WORKDAYS};BYSETPOS={nth}",
                     said.format("weekday"), clock)  # fmt: skip
    if day == "day":
        return _rule(text, rrule.MONTHLY, f"FREQ=MONTHLY;BYMONTHDAY={nth}", said.format("day"), clock)
    raise TimeSpecError(
        f"unknown day {day!r} in {text!r}: use a weekday name such as friday or fri, 'weekday' or 'day'"
    )


def _rule(text: str, freq: int, parts: str, said: str, clock: tuple[int, int, int]) -> CalendarRule:
    hour, minute, second = clock
    at = f"{hour:02d}:{minute:02d}" + (f":{second:02d}" if second else "")
    return CalendarRule(
        text=text,
        rfc5545=f"RRULE:{parts};BYHOUR={hour};BYMINUTE={minute};BYSECOND={second}",
        freq=freq,
        summary=f"{said} at {at}",
    )


def _not_understood(words: list[str], text: str) -> TimeSpecError:
    """The most specific error for text outside the grammar."""
    if not words:
        return TimeSpecError(f"empty time: {SPEC_HELP}")
    day_words = {*_WEEKDAYS, "day", "weekday"}
    if len(words) == 2 and words[1] in day_words:
        return TimeSpecError(
            f"unknown ordinal {words[0]!r} in {text!r}: use first, second, third, fourth, fifth or last "
            "(or 1st to 5th), or every"
        )
    if len(words) == 1 and words[0] in day_words:
        return TimeSpecError(
            f"cannot read calendar rule {text!r}: say which {words[0]}, e.g. 'every {words[0]}' "
            f"or 'second {words[0]}'"
        )
    return TimeSpecError(f"cannot read calendar rule {text!r}: {SPEC_HELP}")
