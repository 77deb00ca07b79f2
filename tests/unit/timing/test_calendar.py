"""When waits end and schedules fire: zones, DST gaps and folds, strictly-after, RRULEs, timestamps."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import TimeSpecError
from engine.timing import next_time, occurrences


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def first(spec: str, tz: str | None, after: datetime, count: int) -> list[datetime]:
    return list(itertools.islice(occurrences(spec, tz, after), count))


def test_second_friday_resolves_in_the_named_zone() -> None:
    assert next_time("second friday 09:00", "America/Chicago", utc(2026, 12, 1)) == utc(2026, 12, 11, 15)


def test_fourth_friday_resolves_in_the_named_zone() -> None:
    assert next_time("fourth friday 09:00", "America/Chicago", utc(2026, 12, 1)) == utc(2026, 12, 25, 15)


def test_results_are_aware_datetimes_in_utc() -> None:
    found = next_time("second friday 09:00", "America/Chicago", utc(2026, 12, 1))
    assert found.tzinfo is UTC


def test_after_may_be_given_in_any_zone() -> None:
    chicago_midnight = datetime(2026, 12, 1, tzinfo=ZoneInfo("America/Chicago"))
    assert next_time("every day 06:00", "America/Chicago", chicago_midnight) == utc(2026, 12, 1, 12)


def test_a_wall_time_in_the_spring_forward_gap_moves_forward_by_the_gap() -> None:
    assert next_time("second sunday 02:30", "America/New_York", utc(2027, 3, 1)) == utc(2027, 3, 14, 7, 30)


def test_a_wall_time_that_occurs_twice_means_the_first_occurrence() -> None:
    assert next_time("every day 01:30", "America/New_York", utc(2027, 11, 6, 12)) == utc(2027, 11, 7, 5, 30)


def test_after_the_first_of_two_repeated_wall_times_the_next_day_comes_next() -> None:
    found = first("every day 01:30", "America/New_York", utc(2027, 11, 7, 5, 30), 1)
    assert found == [utc(2027, 11, 8, 6, 30)]


def test_weekly_rules_keep_local_time_across_a_dst_change() -> None:
    found = first("every monday 08:00", "Europe/Berlin", utc(2027, 3, 20), 2)
    assert found == [utc(2027, 3, 22, 7), utc(2027, 3, 29, 6)]


def test_last_weekday_of_a_month_ending_on_a_saturday_is_the_friday() -> None:
    # October 2026 ends on Saturday the 31st.
    assert next_time("last weekday 17:00", None, utc(2026, 10, 1)) == utc(2026, 10, 30, 17)


def test_last_weekday_of_a_month_ending_on_a_sunday_is_the_friday() -> None:
    # January 2027 ends on Sunday the 31st.
    assert next_time("last weekday", None, utc(2027, 1, 1)) == utc(2027, 1, 29)


def test_an_occurrence_exactly_at_after_is_skipped_for_the_next_one() -> None:
    at_occurrence = utc(2026, 12, 11, 15)
    assert next_time("second friday 09:00", "America/Chicago", at_occurrence) == utc(2027, 1, 8, 15)


def test_one_microsecond_before_an_occurrence_finds_it() -> None:
    just_before = utc(2026, 12, 11, 15) - timedelta(microseconds=1)
    assert next_time("second friday 09:00", "America/Chicago", just_before) == utc(2026, 12, 11, 15)


def test_the_time_of_day_defaults_to_midnight() -> None:
    assert next_time("fourth friday", "Europe/Helsinki", utc(2026, 12, 1)) == utc(2026, 12, 24, 22)


def test_fifth_weekday_rules_skip_months_without_one() -> None:
    # 2027: January has five Fridays (29th), February and March do not, April has (30th).
    assert first("fifth friday", None, utc(2027, 1, 1), 2) == [utc(2027, 1, 29), utc(2027, 4, 30)]


def test_every_weekday_skips_the_weekend() -> None:
    # 2026-12-04 is a Friday.
    found = first("every weekday 09:00", None, utc(2026, 12, 4, 10), 2)
    assert found == [utc(2026, 12, 7, 9), utc(2026, 12, 8, 9)]


def test_every_day_with_seconds() -> None:
    assert first("every day 06:00:30", None, utc(2026, 1, 1), 2) == [utc(2026, 1, 1, 6, 0, 30),
                                                                    utc(2026, 1, 2, 6, 0, 30)]  # fmt: skip


def test_the_last_day_of_the_month() -> None:
    assert first("last day 12:00", None, utc(2027, 2, 1), 2) == [utc(2027, 2, 28, 12), utc(2027, 3, 31, 12)]


def test_an_offset_timestamp_is_exact_whatever_the_zone_and_start() -> None:
    spec = "2027-11-07T01:30:00-04:00"
    assert next_time(spec, None, utc(2020, 1, 1)) == utc(2027, 11, 7, 5, 30)
    assert next_time(spec, "Asia/Tokyo", utc(2030, 1, 1)) == utc(2027, 11, 7, 5, 30)


def test_a_timestamp_without_offset_is_wall_time_in_the_zone() -> None:
    assert next_time("2026-12-25T09:00:00", "Europe/Helsinki", utc(2026, 1, 1)) == utc(2026, 12, 25, 7)


def test_a_date_alone_means_midnight_in_the_zone() -> None:
    assert next_time("2026-12-25", None, utc(2026, 1, 1)) == utc(2026, 12, 25)
    assert next_time("2026-12-25", "America/Chicago", utc(2026, 1, 1)) == utc(2026, 12, 25, 6)


def test_a_timestamp_in_the_past_is_returned_as_is_meaning_overdue() -> None:
    assert next_time("2020-01-01T00:00:00Z", None, utc(2026, 1, 1)) == utc(2020, 1, 1)


def test_a_timestamp_occurs_once_if_it_is_after_the_start_and_never_otherwise() -> None:
    assert list(occurrences("2027-01-01T00:00:00Z", None, utc(2026, 1, 1))) == [utc(2027, 1, 1)]
    assert list(occurrences("2027-01-01T00:00:00Z", None, utc(2027, 1, 1))) == []


def test_rrule_strings_are_evaluated_in_the_zone() -> None:
    rule = "RRULE:FREQ=MONTHLY;BYDAY=FR;BYSETPOS=2;BYHOUR=9;BYMINUTE=0"
    assert next_time(rule, "America/Chicago", utc(2026, 12, 1)) == utc(2026, 12, 11, 15)


def test_an_rrule_without_a_time_fires_at_midnight_not_at_the_start_time() -> None:
    assert next_time("RRULE:FREQ=WEEKLY;BYDAY=MO", None, utc(2026, 12, 1, 13, 45, 10)) == utc(2026, 12, 7)


def test_an_rrule_with_an_interval_keeps_its_phase_whatever_the_start() -> None:
    rule = "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;BYHOUR=8"
    fortnightly = first(rule, None, utc(2026, 1, 1), 30)
    assert all(b - a == timedelta(weeks=2) for a, b in itertools.pairwise(fortnightly))
    for start in (utc(2026, 3, 3), utc(2026, 5, 20, 7), utc(2026, 8, 10, 8)):
        assert next_time(rule, None, start) in fortnightly


def test_an_rrule_until_in_utc_ends_the_occurrences() -> None:
    rule = "RRULE:FREQ=DAILY;BYHOUR=9;UNTIL=20270103T150000Z"
    found = list(occurrences(rule, "America/Chicago", utc(2027, 1, 1)))
    assert found == [utc(2027, 1, 1, 15), utc(2027, 1, 2, 15), utc(2027, 1, 3, 15)]


def test_an_rrule_until_date_includes_that_whole_day() -> None:
    found = list(occurrences("RRULE:FREQ=DAILY;BYHOUR=23;UNTIL=20270102", None, utc(2027, 1, 1)))
    assert found == [utc(2027, 1, 1, 23), utc(2027, 1, 2, 23)]


def test_a_rule_past_its_until_has_no_next_time() -> None:
    with pytest.raises(TimeSpecError, match=r"has no occurrence after 2028-01-01T00:00:00Z: check its UNTIL"):
        next_time("RRULE:FREQ=DAILY;UNTIL=20270101", None, utc(2028, 1, 1))


def test_hourly_rules_across_the_spring_gap_never_repeat_an_instant() -> None:
    found = first("RRULE:FREQ=HOURLY", "America/New_York", utc(2027, 3, 14, 4), 5)
    assert found == [utc(2027, 3, 14, 5), utc(2027, 3, 14, 6), utc(2027, 3, 14, 7), utc(2027, 3, 14, 8),
                     utc(2027, 3, 14, 9)]  # fmt: skip


def test_occurrences_across_the_fall_back_never_repeat_an_instant() -> None:
    found = first("every day 01:30", "America/New_York", utc(2027, 11, 5), 4)
    assert found == [utc(2027, 11, 5, 5, 30), utc(2027, 11, 6, 5, 30), utc(2027, 11, 7, 5, 30),
                     utc(2027, 11, 8, 6, 30)]  # fmt: skip


def test_occurrences_read_the_spec_before_the_first_value_is_asked_for() -> None:
    with pytest.raises(TimeSpecError):
        occurrences("tenth friday", None, utc(2026, 1, 1))


def test_a_naive_after_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_time("every day", None, datetime(2026, 1, 1))


def test_a_fixed_offset_after_is_accepted() -> None:
    after = datetime(2026, 1, 1, 3, tzinfo=timezone(timedelta(hours=5)))
    assert next_time("every day 00:00", None, after) == utc(2026, 1, 1)


RULES = st.sampled_from([
    "second friday 09:00", "last weekday 17:00", "every monday 08:00", "every day 01:30", "every day 02:30",
    "fifth sunday 02:30", "every weekday 00:00", "RRULE:FREQ=HOURLY;INTERVAL=5", "last day 23:59:59",
])  # fmt: skip
ZONES = st.sampled_from(["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "UTC", "Pacific/Apia"])
STARTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC))


@settings(deadline=None, derandomize=True, max_examples=150)
@given(RULES, ZONES, STARTS)
def test_occurrences_increase_and_start_strictly_after(spec: str, zone: str, after: datetime) -> None:
    found = first(spec, zone, after, 6)
    assert found[0] == next_time(spec, zone, after)
    assert after < found[0]
    assert all(a < b for a, b in itertools.pairwise(found))
    assert all(moment.tzinfo is UTC for moment in found)


@settings(deadline=None, derandomize=True, max_examples=150)
@given(RULES, ZONES, STARTS)
def test_asking_from_an_occurrence_gives_the_following_one(spec: str, zone: str, after: datetime) -> None:
    one, two = first(spec, zone, after, 2)
    assert next_time(spec, zone, one) == two
