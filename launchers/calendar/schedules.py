"""``etc/schedules.yaml``: which process to launch on which calendar rule, with which fields.

Every entry is checked when the file is read (the rule, the zone, the templates' syntax), so a mistake is
reported when the launcher starts or reloads, not on the day the release was due. The file is re-read when
it changes; a broken edit keeps the last good schedules running and says what is wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from engine.config import ConfigError, read_mapping_file
from engine.errors import BossError
from engine.expressions import render
from engine.timing import check_time_spec, describe_rule, occurrences, parse_duration, parse_instant, parse_zone
from launchers.templates import as_value_error, check_templates

log = logging.getLogger("boss.calendar")

DEFAULT_FILE = "etc/schedules.yaml"


class CatchUp(StrEnum):
    """What to do with occurrences that passed while the launcher was down (or busy) for longer than ``grace``."""

    NONE = "none"  # drop them: only occurrences at most ``grace`` old are launched
    LATEST = "latest"  # launch the most recent one only (a missed monthly release still happens, once)
    ALL = "all"  # launch every one, oldest first


class Schedule(BaseModel):
    """One entry: launch ``process`` at every occurrence of ``rule`` in zone ``tz``.

    Attributes:
        name: identifies the schedule in the store and in request ids; renaming it starts a new schedule.
        fields: launch fields, templates rendered per occurrence with ``occurrence`` (an aware datetime in
            ``tz``), ``year``, ``month``, ``day`` and ``schedule`` (the name).
        grace: how late an occurrence still counts as on time (not missed), e.g. after a short restart.
        since: when a schedule has no progress in the store yet, occurrences after this instant count
            (ISO 8601; without an offset it is wall time in ``tz``). Unset: counting starts when the
            launcher first sees the schedule, so adding a schedule never launches past occurrences.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=100)
    process: str = Field(min_length=1)
    rule: str = Field(min_length=1)
    tz: str = "UTC"
    fields: dict[str, Any] = Field(default_factory=dict)
    catch_up: CatchUp = CatchUp.LATEST
    grace: timedelta = timedelta(minutes=5)
    since: datetime | None = None
    enabled: bool = True
    description: str = ""

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, tz: str) -> str:
        return as_value_error(lambda: parse_zone(tz).key)

    @field_validator("grace", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        return as_value_error(lambda: parse_duration(value))

    @field_validator("since", mode="before")
    @classmethod
    def _instant(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, date):  # YAML reads unquoted dates and times itself
            value = value.isoformat()
        if isinstance(value, str):
            text = value
            instant = as_value_error(lambda: parse_instant(text, parse_zone(info.data.get("tz"))))
            if instant is None:
                raise ValueError(f"{value!r} is not an ISO 8601 date or time")
            return instant
        return value

    @field_validator("fields")
    @classmethod
    def _templates(cls, fields: dict[str, Any]) -> dict[str, Any]:
        as_value_error(lambda: check_templates(fields))
        return fields

    @model_validator(mode="after")
    def _rule(self) -> Schedule:
        """Check the rule with the entry's zone (a validator of ``rule`` alone would not know the zone)."""
        try:
            check_time_spec(self.rule, self.tz)
        except BossError as exc:
            raise ValueError(f"rule: {exc}") from exc
        return self

    def occurrences_after(self, after: datetime) -> Iterator[datetime]:
        """Occurrences strictly after ``after``, increasing, as aware UTC datetimes (an iterator)."""
        return occurrences(self.rule, self.tz, after)

    def request_id(self, occurrence: datetime) -> str:
        """The launch's request id: the same for the same schedule and occurrence, so the engine launches once."""
        return f"calendar:{self.name}:{occurrence.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"

    def fields_for(self, occurrence: datetime) -> dict[str, Any]:
        """The launch fields of one occurrence.

        Raises:
            ExpressionError: a template fails (an unknown name, a type error).
        """
        local = occurrence.astimezone(parse_zone(self.tz))
        scope = {"occurrence": local, "year": local.year, "month": local.month, "day": local.day,
                 "schedule": self.name}
        rendered: dict[str, Any] = render(self.fields, scope)
        return rendered

    def describe(self) -> str:
        """The rule for people: ``second Friday of each month at 09:00 in Europe/Helsinki``."""
        return describe_rule(self.rule, self.tz)


class SchedulesFile(BaseModel):
    """The whole file: ``schedules:``, a list of entries with unique names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schedules: list[Schedule] = Field(default_factory=list)

    @field_validator("schedules")
    @classmethod
    def _unique(cls, schedules: list[Schedule]) -> list[Schedule]:
        names = [s.name for s in schedules]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"schedule names must be unique: {', '.join(twice)} given more than once")
        return schedules


def load_schedules(path: str | Path) -> list[Schedule]:
    """Read and check a schedules file.

    Raises:
        ConfigError: the file cannot be read, is not YAML, or an entry is invalid (the message names it).
    """
    path = Path(path)
    data = read_mapping_file(path, "schedules file", "a mapping with a 'schedules' list")
    if not data:
        return []
    try:
        return list(SchedulesFile.model_validate(data).schedules)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_where(data, exc)}") from exc


def _where(data: dict[str, Any], exc: ValidationError) -> str:
    """``schedules[0] (monthly-release) rule: bad rule ...``: the first problem, naming the entry."""
    first = exc.errors()[0]
    location = list(first["loc"])
    where = ".".join(str(p) for p in location) or "file"
    if len(location) >= 2 and location[0] == "schedules" and isinstance(location[1], int):
        entries = data.get("schedules")
        entry = entries[location[1]] if isinstance(entries, list) and location[1] < len(entries) else None
        name = entry.get("name") if isinstance(entry, dict) else None
        rest = ".".join(str(p) for p in location[2:])
        where = f"schedules[{location[1]}]" + (f" ({name})" if name else "") + (f" {rest}" if rest else "")
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}"


class ScheduleSource:
    """The schedules of a file, re-read when its modification time changes.

    A reload that fails keeps the previous schedules and logs why, once per change of the file: a typo
    saved while the launcher runs must not stop the monthly release.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._stamp: float | None = None
        self._schedules = load_schedules(self.path)  # the first read must succeed
        self._stamp = self._mtime()

    def current(self) -> list[Schedule]:
        """The schedules, reloaded first if the file changed."""
        stamp = self._mtime()
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                self._schedules = load_schedules(self.path)
                log.info("reloaded %s: %d schedule(s)", self.path, len(self._schedules))
            except ConfigError as exc:
                log.error("%s; keeping the %d schedule(s) read before", exc, len(self._schedules))
        return self._schedules

    def _mtime(self) -> float | None:
        try:
            return self.path.stat().st_mtime
        except OSError:
            return None
