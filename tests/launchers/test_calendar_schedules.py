"""etc/schedules.yaml: entries checked when read, fields rendered per occurrence, reloads that keep working."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from engine.config import ConfigError
from engine.errors import ExpressionError
from launchers.calendar.schedules import CatchUp, Schedule, ScheduleSource, load_schedules

ROOT = Path(__file__).parent.parent.parent
MONTHLY: dict[str, object] = {"name": "monthly", "process": "monthly-release", "rule": "second friday 09:00",
                              "tz": "Europe/Helsinki"}


def write(path: Path, *entries: dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump({"schedules": list(entries)}))
    return path


def test_the_shipped_schedules_file_is_valid_and_names_the_monthly_release() -> None:
    schedules = load_schedules(ROOT / "etc" / "schedules.yaml")

    release = next(s for s in schedules if s.process == "monthly-release")
    assert release.catch_up is CatchUp.LATEST
    occurrence = next(release.occurrences_after(datetime(2026, 12, 1, tzinfo=UTC)))
    assert occurrence == datetime(2026, 12, 11, 7, 0, tzinfo=UTC)  # 09:00 in Helsinki (UTC+2)
    assert release.fields_for(occurrence) == {"version": "2026.12", "feature_freeze": "2026-12-11T09:00:00+02:00"}


def test_fields_are_rendered_from_the_occurrence_in_the_schedules_zone() -> None:
    schedule = Schedule.model_validate({**MONTHLY, "fields": {
        "version": "${year}.${'%02d' % month}", "day": "${day}", "weekday": "${occurrence.strftime('%A')}",
        "name": "${schedule}", "fixed": 3}})

    fields = schedule.fields_for(datetime(2027, 1, 8, 7, 0, tzinfo=UTC))

    assert fields == {"version": "2027.01", "day": 8, "weekday": "Friday", "name": "monthly", "fixed": 3}


def test_the_request_id_names_the_schedule_and_the_occurrence_in_utc() -> None:
    schedule = Schedule.model_validate(MONTHLY)

    assert schedule.request_id(datetime(2026, 12, 11, 7, 0, tzinfo=UTC)) == "calendar:monthly:2026-12-11T07:00:00Z"


@pytest.mark.parametrize(("change", "message"), [
    ({"rule": "second fridday 09:00"}, "schedules[0] (monthly): rule: unknown day 'fridday'"),
    ({"tz": "Europe/Helsinkki"}, "schedules[0] (monthly) tz: unknown time zone 'Europe/Helsinkki': did you mean"),
    ({"catch_up": "sometimes"}, "schedules[0] (monthly) catch_up: Input should be 'none', 'latest' or 'all'"),
    ({"grace": "5 parsecs"}, "schedules[0] (monthly) grace: cannot read duration '5 parsecs'"),
    ({"since": "yesterday"}, "schedules[0] (monthly) since: 'yesterday' is not an ISO 8601 date or time"),
    ({"fields": {"version": "${year +}"}}, "schedules[0] (monthly) fields: syntax error in ${year +}"),
    ({"when": "always"}, "schedules[0] (monthly) when: Extra inputs are not permitted"),
])
def test_a_bad_entry_is_refused_naming_the_entry_and_the_problem(tmp_path: Path, change: dict[str, object],
                                                                message: str) -> None:
    path = write(tmp_path / "schedules.yaml", {**MONTHLY, **change})

    with pytest.raises(ConfigError) as refused:
        load_schedules(path)

    assert str(refused.value).startswith(f"{path}: {message}")


def test_two_schedules_with_one_name_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="schedule names must be unique: monthly given more than once"):
        load_schedules(write(tmp_path / "schedules.yaml", MONTHLY, MONTHLY))


def test_a_template_naming_something_unknown_fails_when_rendered() -> None:
    schedule = Schedule.model_validate({**MONTHLY, "fields": {"version": "${release_name}"}})

    with pytest.raises(ExpressionError, match="release_name"):
        schedule.fields_for(datetime(2026, 12, 11, 7, 0, tzinfo=UTC))


def test_an_edited_file_is_reloaded_and_a_broken_edit_keeps_the_last_good_schedules(tmp_path: Path) -> None:
    path = write(tmp_path / "schedules.yaml", MONTHLY)
    source = ScheduleSource(path)
    assert [s.name for s in source.current()] == ["monthly"]

    write(path, MONTHLY, {**MONTHLY, "name": "weekly", "rule": "every monday 08:00"})
    os.utime(path, (1, 1))  # a different modification time, whatever the file system's resolution
    assert [s.name for s in source.current()] == ["monthly", "weekly"]

    path.write_text("schedules: [this is: not valid")
    os.utime(path, (2, 2))
    assert [s.name for s in source.current()] == ["monthly", "weekly"]


def test_a_missing_file_is_a_config_error_saying_which(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read schedules file .*nope\.yaml"):
        load_schedules(tmp_path / "nope.yaml")
