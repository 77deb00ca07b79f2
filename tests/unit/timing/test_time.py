"""Durations, instants and calendar rules: zones, DST gaps and folds, strictly-after, errors."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from engine.errors import TimeSpecError
from engine.timing import check_time_spec, format_duration, next_time, occurrences, parse_duration


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(("text", "seconds"), [
    ("30s", 30), ("10m", 600), ("6h", 21600), ("3d", 259200), ("2w", 1209600), ("1h30m", 5400),
    ("1d 12h", 129600), ("90", 90), (45, 45), ("PT6H", 21600), ("P1DT2H30M", 95400), ("PT0.5S", 0.5),
    ("0s", 0),
])
def test_durations_are_read_in_every_documented_form(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["3 days", "soon", "-5m", "P1M", "P1Y", "", "1x"])
def test_unreadable_durations_say_what_is_accepted(text: str) -> None:
    with pytest.raises(TimeSpecError) as caught:
        parse_duration(text)
    message = str(caught.value)
    assert "\n" not in message
    assert "use 30s" in message or "negative" in message or "months or years" in message


def test_durations_print_compactly() -> None:
    shown = [format_duration(timedelta(seconds=s)) for s in (0, 45, 125, 5400, 273600, 0.5)]
    assert shown == ["0s", "45s", "2m 5s", "1h 30m", "3d 4h", "0.5s"]


def test_the_second_and_fourth_friday_resolve_in_the_named_zone() -> None:
    start = utc(2026, 12, 1)
    assert next_time("second friday 09:00", "America/Chicago", start) == utc(2026, 12, 11, 15)
    assert next_time("fourth friday 09:00", "America/Chicago", start) == utc(2026, 12, 25, 15)


def test_a_wall_time_in_the_spring_forward_gap_moves_forward_by_the_gap() -> None:
    assert next_time("second sunday 02:30", "America/New_York", utc(2027, 3, 1)) == utc(2027, 3, 14, 7, 30)


def test_a_wall_time_that_occurs_twice_means_the_first() -> None:
    assert next_time("every day 01:30", "America/New_York", utc(2027, 11, 6, 12)) == utc(2027, 11, 7, 5, 30)


def test_an_iso_time_with_an_offset_is_exact_and_a_naive_one_is_wall_time_in_the_zone() -> None:
    assert next_time("2027-11-07T01:30:00-04:00", None, utc(2020, 1, 1)) == utc(2027, 11, 7, 5, 30)
    assert next_time("2026-12-25T09:00:00", "Europe/Helsinki", utc(2026, 1, 1)) == utc(2026, 12, 25, 7)
    assert next_time("2026-12-25", None, utc(2026, 1, 1)) == utc(2026, 12, 25)


def test_the_next_occurrence_is_strictly_after_the_start() -> None:
    at_occurrence = utc(2026, 12, 11, 15)
    assert next_time("second friday 09:00", "America/Chicago", at_occurrence) == utc(2027, 1, 8, 15)


def test_last_weekday_skips_a_weekend_month_end() -> None:
    # October 2026 ends on a Saturday: its last weekday is Friday the 30th.
    assert next_time("last weekday 17:00", None, utc(2026, 10, 1)) == utc(2026, 10, 30, 17)


def test_weekly_rules_keep_local_time_across_a_dst_change() -> None:
    found = list(itertools.islice(occurrences("every monday 08:00", "Europe/Berlin", utc(2027, 3, 20)), 2))
    assert found == [utc(2027, 3, 22, 7), utc(2027, 3, 29, 6)]


def test_rrule_strings_are_understood() -> None:
    rule = "RRULE:FREQ=MONTHLY;BYDAY=FR;BYSETPOS=2;BYHOUR=9;BYMINUTE=0"
    assert next_time(rule, "Europe/Helsinki", utc(2026, 12, 1)) == utc(2026, 12, 11, 7)


def test_occurrences_never_repeat_an_instant() -> None:
    found = list(itertools.islice(occurrences("every day 01:30", "America/New_York", utc(2027, 11, 5)), 4))
    assert len(set(found)) == 4 and found == sorted(found)


@pytest.mark.parametrize(("spec", "zone", "fragment"), [
    ("second friday", "America/Chikago", "unknown time zone 'America/Chikago'"),
    ("tenth friday", None, "cannot read calendar rule 'tenth friday'"),
    ("friday 25:00", None, "bad time of day '25:00'"),
    ("RRULE:FREQ=BOGUS", None, "bad RRULE"),
    ("", None, "empty time"),
])
def test_bad_specs_get_one_helpful_line(spec: str, zone: str | None, fragment: str) -> None:
    with pytest.raises(TimeSpecError) as caught:
        check_time_spec(spec, zone)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)

