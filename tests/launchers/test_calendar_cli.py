"""``python -m launchers.calendar next`` and ``status``: what will fire, and what did."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import yaml
from click.testing import CliRunner

from engine.store import Store
from launchers.calendar.cli import cli
from launchers.calendar.state import record_covered, record_launch


def schedules_file(tmp_path: Path) -> Path:
    path = tmp_path / "schedules.yaml"
    path.write_text(yaml.safe_dump({"schedules": [
        {"name": "monthly", "process": "monthly-release", "rule": "second friday 09:00", "tz": "Europe/Helsinki",
         "fields": {"version": "${occurrence.strftime('%Y.%m')}"}},
        {"name": "weekly", "process": "launched", "rule": "every monday 08:00", "enabled": False}]}))
    return path


def run(tmp_path: Path, *args: str, **env: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"BOSS_CONFIG": "", **env}, catch_exceptions=False)
    return result.exit_code, result.output


def test_next_lists_upcoming_occurrences_with_their_fields_as_of_the_shifted_clock(tmp_path: Path) -> None:
    offset = (datetime(2026, 12, 12, tzinfo=UTC) - datetime.now(UTC)).total_seconds()

    code, output = run(tmp_path, "next", "--schedules", str(schedules_file(tmp_path)), "--count", "2", "--json",
                       BOSS_CLOCK_OFFSET=str(offset))

    assert code == 0, output
    monthly, weekly = json.loads(output)
    assert monthly["rule"] == "second Friday of each month at 09:00 in Europe/Helsinki"
    assert [(o["at"], o["fields"]["version"]) for o in monthly["next"]] == [
        ("2027-01-08T09:00:00+02:00", "2027.01"), ("2027-02-12T09:00:00+02:00", "2027.02")]
    assert monthly["next"][0]["request_id"] == "calendar:monthly:2027-01-08T07:00:00Z"
    assert weekly["enabled"] is False


def test_status_shows_each_schedules_last_launch_from_the_store(tmp_path: Path, store: Store) -> None:
    last = datetime(2026, 12, 11, 7, tzinfo=UTC)
    previous = record_launch(store, "monthly", last, "20261211-abc", None)
    record_covered(store, previous, "monthly", datetime(2026, 12, 20, tzinfo=UTC))

    code, output = run(tmp_path, "status", "--schedules", str(schedules_file(tmp_path)), BOSS_STORE_URL=store.url)

    assert code == 0, output
    assert output.splitlines() == [
        "monthly: last occurrence 2026-12-11 07:00Z -> 20261211-abc; handled until 2026-12-20 00:00:00Z",
        "weekly: not seen by the launcher yet"]


def test_a_broken_schedules_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "schedules.yaml"
    path.write_text("schedules: [{name: x, process: p, rule: 'every blue moon'}]")

    code, output = run(tmp_path, "next", "--schedules", str(path))

    assert code == 2
    assert output.startswith(f"launchers.calendar: {path}: schedules[0] (x): rule: ")
    assert len(output.strip().splitlines()) == 1
