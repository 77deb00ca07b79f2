"""The calendar loop with a stand-in engine and a clock that moves when told: exactly once, and retries."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from engine.store import Store
from engine.store.schema import schedules as schedules_table
from launchers.calendar import Calendar, Schedule
from tests.conftest import wait_for
from tests.launchers.conftest import FakeEngine, ManualClock


def daily(**options: Any) -> Schedule:
    """Every day at 09:00 UTC, launching ``launched`` with the date as its version."""
    return Schedule.model_validate({"name": "daily", "process": "launched", "rule": "every day 09:00",
                                    "fields": {"version": "${occurrence.strftime('%Y.%m.%d')}"}, **options})


def calendar(store: Store, engine: FakeEngine, clock: ManualClock, *schedules: Schedule) -> Calendar:
    return Calendar(lambda: list(schedules), store, engine, clock, max_sleep=60.0, retry_delay=0.05)


def test_an_occurrence_launches_once_with_fields_from_its_date(store: Store, fake_engine: FakeEngine,
                                                                clock: ManualClock) -> None:
    schedule = daily()
    calendar(store, fake_engine, clock, schedule).run_once()  # first sight: counting starts now (Nov 30 12:00)
    clock.now = datetime(2026, 12, 1, 9, 0, 1, tzinfo=UTC)

    outcomes = calendar(store, fake_engine, clock, schedule).run_once()
    again = calendar(store, fake_engine, clock, schedule).run_once()  # a restarted launcher

    assert [str(o) for o in outcomes] == ["daily 2026-12-01T09:00:00Z: launched p1"]
    assert again == []
    assert [(s.process, s.fields, s.request_id, s.by) for s in fake_engine.sent] == [
        ("launched", {"version": "2026.12.01"}, "calendar:daily:2026-12-01T09:00:00Z", "calendar:daily")]
    progress = store.schedules()[0]
    assert (progress.last_occurrence, progress.last_process) == (datetime(2026, 12, 1, 9, tzinfo=UTC), "p1")


def test_a_crash_between_launch_and_record_resends_the_same_request_and_launches_once(
        store: Store, fake_engine: FakeEngine, clock: ManualClock) -> None:
    schedule = daily(since="2026-11-30T10:00:00Z")
    clock.now = datetime(2026, 12, 1, 9, 0, 1, tzinfo=UTC)
    calendar(store, fake_engine, clock, schedule).run_once()
    with store.engine.begin() as conn:  # the record never happened
        conn.execute(schedules_table.delete())

    calendar(store, fake_engine, clock, schedule).run_once()

    assert [s.request_id for s in fake_engine.sent] == ["calendar:daily:2026-12-01T09:00:00Z"] * 2
    assert len(fake_engine.created) == 1
    assert store.schedules()[0].last_process == "p1"


def test_missed_occurrences_follow_the_catch_up_policy(store: Store, clock: ManualClock) -> None:
    launched: dict[str, list[str]] = {}
    for policy in ("none", "latest", "all"):
        engine = FakeEngine()
        schedule = daily(name=f"daily-{policy}", catch_up=policy)
        clock.now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
        calendar(store, engine, clock, schedule).run_once()
        clock.now = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)  # down for four occurrences (Dec 1..4)

        calendar(store, engine, clock, schedule).run_once()
        calendar(store, engine, clock, schedule).run_once()

        launched[policy] = [s.fields["version"] for s in engine.created]
    assert launched == {"none": [],  # even Dec 4 is 30 minutes late: beyond the default grace of 5 minutes
                        "latest": ["2026.12.04"], "all": ["2026.12.01", "2026.12.02", "2026.12.03", "2026.12.04"]}


def test_a_refused_launch_is_recorded_with_the_reason_and_not_retried(store: Store, clock: ManualClock) -> None:
    engine = FakeEngine(refuse={"launched"})
    schedule = daily(since="2026-11-30T10:00:00Z")
    clock.now = datetime(2026, 12, 1, 9, 0, 1, tzinfo=UTC)

    outcomes = calendar(store, engine, clock, schedule).run_once()
    calendar(store, engine, clock, schedule).run_once()

    assert [o.error for o in outcomes] == ["no process definition 'launched'"]
    assert len(engine.sent) == 1
    assert store.schedules()[0].last_error == "no process definition 'launched'"


def test_an_unreachable_engine_leaves_the_occurrence_due_for_the_next_cycle(store: Store, clock: ManualClock) -> None:
    engine = FakeEngine(down=True)
    schedule = daily(since="2026-11-30T10:00:00Z", catch_up="latest")
    clock.now = datetime(2026, 12, 1, 9, 0, 1, tzinfo=UTC)

    outcomes = calendar(store, engine, clock, schedule).run_once()
    assert [o.pending for o in outcomes] == [True]
    assert store.schedules() == []
    engine.down = False
    clock.advance(minutes=10)
    outcomes = calendar(store, engine, clock, schedule).run_once()

    assert [str(o) for o in outcomes] == ["daily 2026-12-01T09:00:00Z: launched p1"]
    assert {s.request_id for s in engine.sent} == {"calendar:daily:2026-12-01T09:00:00Z"}


def test_a_failing_template_is_retried_and_nothing_is_recorded(store: Store, fake_engine: FakeEngine,
                                                                clock: ManualClock) -> None:
    schedule = daily(since="2026-11-30T10:00:00Z", fields={"version": "${occurrence.nope}"})
    clock.now = datetime(2026, 12, 1, 9, 0, 1, tzinfo=UTC)

    outcomes = calendar(store, fake_engine, clock, schedule).run_once()

    assert outcomes[0].pending and "nope" in str(outcomes[0].error)
    assert fake_engine.sent == []
    assert store.schedules() == []


def test_a_second_launcher_whose_clock_is_behind_launches_nothing_already_handled(
        store: Store, fake_engine: FakeEngine, clock: ManualClock) -> None:
    schedule = daily(since="2026-11-27T10:00:00Z", catch_up="all")
    clock.now = datetime(2026, 12, 1, 9, 0, 1, tzinfo=UTC)
    late = ManualClock(datetime(2026, 11, 29, 9, 0, 1, tzinfo=UTC))

    calendar(store, fake_engine, clock, schedule).run_once()
    calendar(store, fake_engine, late, schedule).run_once()  # a second launcher whose clock is behind

    assert len(fake_engine.created) == 4
    assert store.schedules()[0].covered_until == clock.now


def test_the_loop_sleeps_until_the_next_occurrence_at_most_max_sleep_and_stops_when_asked(
        store: Store, fake_engine: FakeEngine, clock: ManualClock) -> None:
    clock.now = datetime(2026, 12, 1, 8, 59, 30, tzinfo=UTC)
    loop = calendar(store, fake_engine, clock, daily())
    assert loop.seconds_to_next() == 30.01
    clock.now = datetime(2026, 12, 1, 9, 0, 30, tzinfo=UTC)
    assert loop.seconds_to_next() == 60.0

    thread = threading.Thread(target=loop.run)
    thread.start()
    wait_for(store.schedules, 5, "the first cycle")
    loop.stop()
    thread.join(5)
    assert not thread.is_alive()
