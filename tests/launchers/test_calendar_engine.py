"""The calendar launcher with the real engine: each occurrence launches one process, whatever restarts.

The clock is injected the way an operator would for a drill: ``BOSS_CLOCK_OFFSET`` for the engine and the
launcher subprocesses, so "the occurrence has passed" is real for both without waiting a day.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from engine.store.schema import schedules as schedules_table
from engine.timing import next_time
from launchers.calendar import Calendar, Schedule
from tests.conftest import wait_for
from tests.integration.conftest import ROOT, Deployment
from tests.launchers.conftest import ManualClock, engine_launcher, environment, launched, python_module

pytestmark = pytest.mark.integration

RULE = "every day 09:00"


def write_schedules(path: Path, origin: str) -> Path:
    path.write_text(yaml.safe_dump({"schedules": [{
        "name": "nightly", "process": "launched", "rule": RULE, "tz": "UTC", "catch_up": "latest",
        "fields": {"version": "${occurrence.strftime('%Y-%m-%d')}", "origin": origin}}]}))
    return path


def offset_to(instant: datetime) -> str:
    """The BOSS_CLOCK_OFFSET that makes the clock read ``instant`` now."""
    return f"{(instant - datetime.now(UTC)).total_seconds():.3f}"


def run_once(deployment: Deployment, schedules: Path, clock_at: datetime) -> str:
    """``python -m launchers.calendar run --once`` with the clock at ``clock_at``; its output."""
    done = subprocess.run(python_module("launchers.calendar", "run", "--once", "--schedules", str(schedules)),
                          env=environment(deployment, BOSS_CLOCK_OFFSET=offset_to(clock_at)), cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()


def test_an_occurrence_fires_once_across_launcher_and_engine_restarts(deployment: Deployment,
                                                                      tmp_path: Path) -> None:
    schedules = write_schedules(tmp_path / "schedules.yaml", "restarts")
    due = next_time(RULE, "UTC", datetime.now(UTC) + timedelta(days=1))
    after = due + timedelta(seconds=30)
    deployment.start_engine(BOSS_CLOCK_OFFSET=offset_to(after))

    # Before the occurrence: the launcher sees the schedule for the first time and starts counting.
    assert run_once(deployment, schedules, due - timedelta(hours=1)) == ""
    # After it: the daemon launches it, once.
    daemon = deployment._spawn("calendar", python_module("launchers.calendar", "run", "--schedules", str(schedules)),
                               {"BOSS_CLOCK_OFFSET": offset_to(after)})
    rows = wait_for(lambda: launched(deployment, "restarts"), 20, "the calendar to launch")
    process = deployment.wait(rows[0].id)
    assert process.state.fields["version"] == f"{due:%Y-%m-%d}"
    assert abs(process.launched_at - after) < timedelta(seconds=20)  # the engine's clock is shifted too

    # Restart the launcher and the engine, still after the occurrence: nothing is launched again.
    daemon.stop()
    assert "calendar launcher stopped" in daemon.text()  # SIGTERM: a clean stop, not a kill
    assert deployment.engine is not None
    deployment.engine.stop()
    deployment.start_engine(BOSS_CLOCK_OFFSET=offset_to(after))
    assert run_once(deployment, schedules, after) == ""
    assert [r.id for r in launched(deployment, "restarts")] == [process.id]

    # A launcher that crashed after launching but before recording sends the same request again:
    # the engine answers with the process it started the first time.
    with deployment.store.engine.begin() as conn:
        conn.execute(schedules_table.update().values(covered_until=due - timedelta(hours=1)))
    output = run_once(deployment, schedules, after)
    assert output == f"nightly {due:%Y-%m-%dT%H:%M:%SZ}: launched {process.id}"
    assert [r.id for r in launched(deployment, "restarts")] == [process.id]
    assert "launched launched as process" in daemon.text()


def test_catch_up_all_launches_every_missed_occurrence_as_its_own_process(deployment: Deployment) -> None:
    deployment.start_engine()
    schedule = Schedule.model_validate({
        "name": "catch-up", "process": "launched", "rule": RULE, "catch_up": "all", "since": "2026-12-01T10:00:00Z",
        "fields": {"version": "${occurrence.strftime('%Y-%m-%d')}", "origin": "catch-up-all"}})
    calendar = Calendar(lambda: [schedule], deployment.store, engine_launcher(deployment),
                        ManualClock(datetime(2026, 12, 4, 9, 30, tzinfo=UTC)))

    outcomes = calendar.run_once()
    assert calendar.run_once() == []

    rows = launched(deployment, "catch-up-all")
    assert sorted(r.state.fields["version"] for r in rows) == ["2026-12-02", "2026-12-03", "2026-12-04"]
    assert sorted(o.process_id or "" for o in outcomes) == sorted(r.id for r in rows)
    for row in rows:
        deployment.wait(row.id)
