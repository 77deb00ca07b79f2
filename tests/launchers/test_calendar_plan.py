"""The catch-up policy: which occurrences a schedule launches, given its progress and the time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from launchers.calendar.plan import MAX_BATCH, plan
from launchers.calendar.schedules import Schedule

NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # a Monday


def daily(**options: Any) -> Schedule:
    """Every day at 09:00 UTC."""
    return Schedule.model_validate({"name": "daily", "process": "launched", "rule": "every day 09:00", **options})


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def test_a_new_schedule_starts_counting_now_and_launches_nothing_of_the_past() -> None:
    todo = plan(daily(), None, NOON)

    assert todo.launch == ()
    assert todo.covered_until == NOON
    assert todo.first_seen and todo.records_progress


def test_a_new_schedule_with_since_launches_what_came_after_it() -> None:
    todo = plan(daily(since="2026-11-28T00:00:00Z", catch_up="all"), None, NOON)

    assert todo.launch == (at(28), at(29), at(30))
    assert todo.first_seen


def test_an_occurrence_just_passed_is_launched_by_every_policy() -> None:
    for policy in ("none", "latest", "all"):
        todo = plan(daily(catch_up=policy), at(30, 8), at(30, 9) + timedelta(seconds=2))
        assert todo.launch == (at(30),), policy
        assert todo.skipped == 0
        assert not todo.records_progress  # the launch records its own progress


def test_nothing_is_due_before_the_next_occurrence() -> None:
    todo = plan(daily(), at(30, 9), NOON)

    assert todo.launch == ()
    assert todo.skipped == 0
    assert not todo.records_progress


def test_catch_up_all_launches_every_missed_occurrence_oldest_first() -> None:
    todo = plan(daily(catch_up="all"), at(26, 10), NOON)

    assert todo.launch == (at(27), at(28), at(29), at(30))
    assert todo.skipped == 0


def test_catch_up_latest_launches_only_the_most_recent_missed_occurrence() -> None:
    todo = plan(daily(catch_up="latest"), at(26, 10), NOON)

    assert todo.launch == (at(30),)
    assert todo.skipped == 3
    assert todo.covered_until == NOON


def test_catch_up_none_drops_occurrences_older_than_the_grace() -> None:
    dropped = plan(daily(catch_up="none", grace="1h"), at(26, 10), NOON)
    on_time = plan(daily(catch_up="none", grace="4h"), at(26, 10), NOON)

    assert dropped.launch == ()
    assert dropped.skipped == 4
    assert dropped.covered_until == NOON
    assert on_time.launch == (at(30),)
    assert on_time.skipped == 3


def test_catch_up_all_after_a_long_outage_launches_in_batches() -> None:
    minutely = Schedule.model_validate({"name": "minutely", "process": "launched", "rule": "RRULE:FREQ=MINUTELY",
                                        "catch_up": "all"})

    first = plan(minutely, NOON - timedelta(hours=5), NOON)

    assert len(first.launch) == MAX_BATCH
    assert first.covered_until == first.launch[-1]  # the next cycle carries on from there
    assert plan(minutely, first.covered_until, NOON).launch[0] == first.launch[-1] + timedelta(minutes=1)


def test_a_disabled_schedule_passes_over_its_occurrences() -> None:
    todo = plan(daily(enabled=False), at(26, 10), NOON)

    assert todo.launch == ()
    assert todo.skipped == 4
    assert todo.covered_until == NOON


def test_progress_ahead_of_the_clock_launches_nothing() -> None:
    todo = plan(daily(), NOON + timedelta(days=3), NOON)

    assert todo.launch == ()
    assert todo.covered_until == NOON + timedelta(days=3)
