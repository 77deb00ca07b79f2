"""Durations: every accepted form, every refused form with its one-line message, and compact printing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import TimeSpecError
from engine.timing import format_duration, parse_duration


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("10m", timedelta(minutes=10)),
        ("6h", timedelta(hours=6)),
        ("3d", timedelta(days=3)),
        ("2w", timedelta(weeks=2)),
        ("0s", timedelta(0)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d 12h", timedelta(days=1, hours=12)),
        ("1w 2d 3h 4m 5s", timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5)),
        ("1.5h", timedelta(minutes=90)),
        ("6H", timedelta(hours=6)),
        ("  45s  ", timedelta(seconds=45)),
    ],
)
def test_short_forms_and_compounds_are_read(written: str, expected: timedelta) -> None:
    assert parse_duration(written) == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("PT6H", timedelta(hours=6)),
        ("P1D", timedelta(days=1)),
        ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)),
        ("PT0.5S", timedelta(milliseconds=500)),
        ("PT0,5S", timedelta(milliseconds=500)),
        ("P2W", timedelta(weeks=2)),
        ("PT0S", timedelta(0)),
        ("pt10m", timedelta(minutes=10)),
    ],
)
def test_iso_8601_durations_are_read(written: str, expected: timedelta) -> None:
    assert parse_duration(written) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("90", timedelta(seconds=90)),
        ("0", timedelta(0)),
        ("2.5", timedelta(seconds=2.5)),
        (45, timedelta(seconds=45)),
        (0.25, timedelta(milliseconds=250)),
        (timedelta(minutes=3), timedelta(minutes=3)),
    ],
)
def test_a_bare_number_means_seconds_and_a_timedelta_passes_through(
    value: str | int | float | timedelta, expected: timedelta
) -> None:
    assert parse_duration(value) == expected


@pytest.mark.parametrize("written", ["3 days", "soon", "", "   ", "1x", "10ms", "30m 1h", "1h1h", "PT", "P",
                                     "P1DT", "1e3", "5 s m", "+5m"])  # fmt: skip
def test_unreadable_durations_say_which_forms_are_accepted(written: str) -> None:
    with pytest.raises(TimeSpecError, match=r"^cannot read duration .*: use 30s, 10m, 6h, 3d, 2w") as caught:
        parse_duration(written)
    assert "\n" not in str(caught.value)


def test_the_message_for_an_unreadable_duration_quotes_it_and_shows_the_forms() -> None:
    with pytest.raises(TimeSpecError) as caught:
        parse_duration("3 days")
    assert str(caught.value) == (
        "cannot read duration '3 days': use 30s, 10m, 6h, 3d, 2w, 1h30m, a number of seconds "
        "or ISO 8601 like PT6H"
    )


@pytest.mark.parametrize("value", ["-5m", "-PT6H", "-90", -5, -0.5, timedelta(seconds=-1)])
def test_negative_durations_are_refused_as_negative(value: str | int | float | timedelta) -> None:
    with pytest.raises(TimeSpecError, match=r"is negative: use zero or more"):
        parse_duration(value)


@pytest.mark.parametrize("written", ["P1M", "P1Y", "P1Y2M3D", "P1MT6H", "1y", "2 months", "3mo"])
def test_months_and_years_are_refused_with_a_pointer_to_calendar_rules(written: str) -> None:
    with pytest.raises(TimeSpecError, match=r"months or years, which have no fixed length: .*calendar rule"):
        parse_duration(written)


def test_minutes_in_iso_time_part_are_not_mistaken_for_months() -> None:
    assert parse_duration("PT1M") == timedelta(minutes=1)


@pytest.mark.parametrize("value", ["1000000000d", "P9999999999W", 1e20])
def test_durations_beyond_what_a_timedelta_holds_are_too_long(value: str | float) -> None:
    with pytest.raises(TimeSpecError, match=r"is too long: use at most 999999999 days"):
        parse_duration(value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), True, None, [1]])
def test_values_that_are_not_numbers_or_text_are_refused(value: object) -> None:
    with pytest.raises(TimeSpecError, match=r"^cannot read duration"):
        parse_duration(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("duration", "shown"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=45), "45s"),
        (timedelta(seconds=125), "2m 5s"),
        (timedelta(minutes=90), "1h 30m"),
        (timedelta(days=3, hours=4), "3d 4h"),
        (timedelta(weeks=2), "14d"),
        (timedelta(hours=1), "1h"),
        (timedelta(days=1, minutes=5), "1d"),
        (timedelta(hours=1, minutes=30, seconds=59), "1h 30m"),
        (timedelta(milliseconds=500), "0.5s"),
        (timedelta(milliseconds=1500), "1s"),
        (timedelta(microseconds=1), "0s"),
        (timedelta(seconds=-90), "-1m 30s"),
    ],
)
def test_durations_print_compactly_with_at_most_two_adjacent_units(duration: timedelta, shown: str) -> None:
    assert format_duration(duration) == shown


@settings(deadline=None, derandomize=True, max_examples=200)
@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10_000)))
def test_what_is_printed_reads_back_as_at_most_the_original(duration: timedelta) -> None:
    shown = parse_duration(format_duration(duration))
    assert shown <= duration + timedelta(milliseconds=1)
    assert duration - shown < max(duration / 10, timedelta(seconds=1))


@settings(deadline=None, derandomize=True, max_examples=200)
@given(st.integers(min_value=0, max_value=10**9))
def test_whole_seconds_read_the_same_as_a_number_or_as_seconds(seconds: int) -> None:
    assert parse_duration(seconds) == parse_duration(f"{seconds}s") == timedelta(seconds=seconds)
