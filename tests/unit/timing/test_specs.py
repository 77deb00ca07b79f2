"""Reading specs: zones, ISO timestamps, rules in words and RRULEs, their descriptions and their errors."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from engine.errors import TimeSpecError
from engine.timing import check_time_spec, describe_rule, next_time, parse_instant, parse_rule, parse_zone


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize("name", [None, "UTC", "utc", "Z", " UTC "])
def test_no_zone_or_any_spelling_of_utc_means_utc(name: str | None) -> None:
    assert parse_zone(name) == ZoneInfo("UTC")


def test_an_iana_zone_is_returned_as_a_zoneinfo() -> None:
    assert parse_zone("America/Chicago") == ZoneInfo("America/Chicago")


def test_an_unknown_zone_close_to_a_real_one_gets_a_suggestion() -> None:
    with pytest.raises(TimeSpecError) as caught:
        parse_zone("America/Chikago")
    assert str(caught.value) == "unknown time zone 'America/Chikago': did you mean America/Chicago?"


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "../etc/passwd", "/etc/localtime", "America"])
def test_an_unknown_zone_gets_a_hint(name: str) -> None:
    with pytest.raises(TimeSpecError, match=r"^unknown time zone .*: use an IANA name such as Europe/"):
        parse_zone(name)


def test_an_empty_zone_is_an_error_not_utc() -> None:
    with pytest.raises(TimeSpecError, match="empty time zone"):
        parse_zone("  ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-25T09:00:00Z", utc(2026, 12, 25, 9)),
        ("2026-12-25T09:00:00+02:00", utc(2026, 12, 25, 7)),
        ("2026-12-25t09:00z", utc(2026, 12, 25, 9)),
        ("2026-12-25 09:00", utc(2026, 12, 25, 9)),
        ("2026-12-25", utc(2026, 12, 25)),
        ("20261225T090000Z", utc(2026, 12, 25, 9)),
    ],
)
def test_iso_timestamps_and_dates_become_instants_in_utc(text: str, expected: datetime) -> None:
    found = parse_instant(text)
    assert found == expected
    assert found is not None and found.tzinfo is UTC


def test_a_naive_timestamp_is_read_in_the_given_zone_with_the_dst_rule() -> None:
    new_york = ZoneInfo("America/New_York")
    assert parse_instant("2027-03-14T02:30", new_york) == utc(2027, 3, 14, 7, 30)
    assert parse_instant("2027-11-07T01:30", new_york) == utc(2027, 11, 7, 5, 30)


@pytest.mark.parametrize("text", ["second friday 09:00", "every day", "RRULE:FREQ=DAILY", "", "soon", "1:00"])
def test_text_that_is_not_a_timestamp_at_all_gives_none(text: str) -> None:
    assert parse_instant(text) is None


@pytest.mark.parametrize("text", ["2026-13-01", "2026-12-25T25:00", "2026-12-25 09:00 Europe/Helsinki"])
def test_a_broken_timestamp_is_an_error_rather_than_a_rule(text: str) -> None:
    with pytest.raises(TimeSpecError, match=r"^cannot read time .*: use ISO 8601 such as"):
        parse_instant(text)


@pytest.mark.parametrize(
    ("written", "rrule"),
    [
        ("second friday 09:00", "RRULE:FREQ=MONTHLY;BYDAY=+2FR;BYHOUR=9;BYMINUTE=0;BYSECOND=0"),
        ("2nd Fri 09:00", "RRULE:FREQ=MONTHLY;BYDAY=+2FR;BYHOUR=9;BYMINUTE=0;BYSECOND=0"),
        ("Second  Fri of the month at 9:00", "RRULE:FREQ=MONTHLY;BYDAY=+2FR;BYHOUR=9;BYMINUTE=0;BYSECOND=0"),
        ("fourth friday", "RRULE:FREQ=MONTHLY;BYDAY=+4FR;BYHOUR=0;BYMINUTE=0;BYSECOND=0"),
        ("last friday 17:00", "RRULE:FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=17;BYMINUTE=0;BYSECOND=0"),
        ("first monday 08:30", "RRULE:FREQ=MONTHLY;BYDAY=+1MO;BYHOUR=8;BYMINUTE=30;BYSECOND=0"),
        ("5th sun of each month", "RRULE:FREQ=MONTHLY;BYDAY=+5SU;BYHOUR=0;BYMINUTE=0;BYSECOND=0"),
        ("last weekday", "RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;BYHOUR=0;BYMINUTE=0;"
                         "BYSECOND=0"),
        ("3rd day 12:00:30", "RRULE:FREQ=MONTHLY;BYMONTHDAY=3;BYHOUR=12;BYMINUTE=0;BYSECOND=30"),
        ("every monday 08:00", "RRULE:FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0;BYSECOND=0"),
        ("EVERY DAY 06:00", "RRULE:FREQ=DAILY;BYHOUR=6;BYMINUTE=0;BYSECOND=0"),
        ("every weekday 09:00", "RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9;BYMINUTE=0;BYSECOND=0"),
    ],
)
def test_rules_in_words_become_rrules(written: str, rrule: str) -> None:
    rule = parse_rule(written)
    assert rule.rfc5545 == rrule
    assert rule.text == written


def test_a_calendar_rule_is_immutable() -> None:
    rule = parse_rule("second friday 09:00")
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.text = "first friday"  # type: ignore[misc]
    assert rule == parse_rule("second friday 09:00")
    assert hash(rule) == hash(parse_rule("second friday 09:00"))


def test_rrule_strings_are_read_case_insensitively() -> None:
    rule = parse_rule("rrule:freq=monthly;byday=fr;bysetpos=2;byhour=9")
    assert rule.rfc5545 == "RRULE:FREQ=MONTHLY;BYDAY=FR;BYSETPOS=2;BYHOUR=9"
    assert rule.interval == 1 and rule.until is None


@pytest.mark.parametrize(
    ("spec", "zone", "message"),
    [
        ("second friday", "America/Chikago", "unknown time zone 'America/Chikago': "
                                             "did you mean America/Chicago?"),
        ("tenth friday", None, "unknown ordinal 'tenth' in 'tenth friday': use first, second, third, fourth, "
                               "fifth or last (or 1st to 5th), or every"),
        ("friday 25:00", None, "bad time of day '25:00' in 'friday 25:00': use 24-hour HH:MM or HH:MM:SS "
                               "such as 09:00 or 17:30"),
        ("", None, "empty time: use an ISO 8601 time like 2026-12-25T09:00, a rule like "
                   "'second friday 09:00', 'last weekday 17:00' or 'every monday 08:00', "
                   "or an RRULE: string"),
        ("friday 09:00", None, "cannot read calendar rule 'friday 09:00': say which friday, "
                               "e.g. 'every friday' or 'second friday'"),
        ("second fryday", None, "unknown day 'fryday' in 'second fryday': use a weekday name such as friday "
                                "or fri, 'weekday' or 'day'"),
        ("every fortnight", None, "unknown day 'fortnight' in 'every fortnight': after 'every' use day, "
                                  "weekday or a weekday like monday or mon"),
    ],
)  # fmt: skip
def test_bad_specs_get_one_helpful_line(spec: str, zone: str | None, message: str) -> None:
    with pytest.raises(TimeSpecError) as caught:
        check_time_spec(spec, zone)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("RRULE:FREQ=BOGUS", "FREQ must be one of YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY"),
        ("RRULE:", "'' is not NAME=VALUE"),
        ("RRULE:BYDAY=FR", "FREQ must be one of"),
        ("RRULE:FREQ=DAILY;BYHOUR=25", "hour must be in 0..23"),
        ("RRULE:FREQ=DAILY;BYDAY=XX", "invalid 'BYDAY'"),
        ("RRULE:FREQ=DAILY;FOO=1", "unknown parameter 'FOO'"),
        ("RRULE:FREQ=DAILY;FREQ=WEEKLY", "FREQ is given twice"),
        ("RRULE:FREQ=DAILY;COUNT=3", "COUNT is not supported here"),
        ("RRULE:FREQ=DAILY;INTERVAL=0", "INTERVAL must be a whole number of 1 or more"),
        ("RRULE:FREQ=SECONDLY", "FREQ=SECONDLY is not supported"),
        ("RRULE:FREQ=DAILY;UNTIL=tomorrow", "UNTIL must look like 20271231"),
        ("RRULE:FREQ=DAILY;UNTIL=20270231", "UNTIL must look like 20271231"),
        ("RRULE:FREQ=DAILY RRULE:FREQ=WEEKLY", "write one RRULE: line without spaces"),
        ("RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "it never occurs"),
        ("RRULE:FREQ=MINUTELY;BYMONTH=4;BYMONTHDAY=31", "it never occurs"),
    ],
)
def test_bad_rrules_say_what_is_wrong_with_an_example(spec: str, fragment: str) -> None:
    with pytest.raises(TimeSpecError) as caught:
        check_time_spec(spec, None)
    message = str(caught.value)
    assert message.startswith(f"bad RRULE {spec!r}: ")
    assert fragment in message
    assert message.endswith("(e.g. RRULE:FREQ=MONTHLY;BYDAY=FR;BYSETPOS=2;BYHOUR=9;BYMINUTE=0)")
    assert "\n" not in message


@pytest.mark.parametrize(
    "spec",
    ["second friday 09:00", "every day", "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO",
     "2026-12-25T09:00", "2020-01-01", "RRULE:FREQ=DAILY;UNTIL=20000101"],
)  # fmt: skip
def test_good_specs_pass_the_static_check(spec: str) -> None:
    check_time_spec(spec, "Europe/Helsinki")


def test_errors_from_next_time_are_the_same_as_from_the_static_check() -> None:
    with pytest.raises(TimeSpecError, match="unknown ordinal 'tenth'"):
        next_time("tenth friday", None, utc(2026, 1, 1))


@pytest.mark.parametrize(
    ("spec", "zone", "said"),
    [
        ("second friday 09:00", "America/Chicago", "second Friday of each month at 09:00 in America/Chicago"),
        ("last weekday of the month at 17:30:15", None, "last weekday of each month at 17:30:15 in UTC"),
        ("every weekday 9:00", "Europe/Berlin", "every weekday at 09:00 in Europe/Berlin"),
        ("every mon", None, "every Monday at 00:00 in UTC"),
        ("RRULE:FREQ=DAILY;BYHOUR=9", "Asia/Tokyo", "RRULE:FREQ=DAILY;BYHOUR=9 in Asia/Tokyo"),
        ("2026-12-25T09:00", "Europe/Helsinki", "2026-12-25 09:00 in Europe/Helsinki"),
        ("2027-11-07T01:30:15-04:00", None, "2027-11-07 05:30:15 in UTC"),
    ],
)
def test_rules_and_times_are_described_for_people(spec: str, zone: str | None, said: str) -> None:
    assert describe_rule(spec, zone) == said
