"""Install records: ``SKYNET_HOME/installed/NAME.yaml``, what ``skynet install`` was asked, the pool's truth.

Supervisor's program files are rendered from these records (``skynet apply`` re-renders them all), so a
record is the one place an installed participant is described: its SPEC, instances, queue, user, config
file, whether it is enabled, the environment it runs with and whether the engine confirmed its
registration. Records hold BOSS_* secrets from the installing shell, hence mode 0600.
"""

from __future__ import annotations

from datetime import UTC, datetime

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.transport import topology
from skynet.pool.errors import PoolError, UnknownParticipantError
from skynet.pool.home import PoolHome, read_yaml, remove, write_atomic

MAX_INSTANCES = 64


class InstallRecord(BaseModel):
    """One installed participant, as the pool keeps it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    spec: str  # file paths are made absolute at install time
    instances: int = Field(default=1, ge=1, le=MAX_INSTANCES)
    queue: str | None = None  # None: participant.<name>
    user: str | None = None
    config: str | None = None  # absolute path of --config
    enabled: bool = True
    directory: str  # the working directory of the install: relative BOSS_ETC and ./etc resolve from it
    env: dict[str, str] = {}
    registered: bool = False  # the engine confirmed the last registration
    installed_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @property
    def effective_queue(self) -> str:
        """The queue the instances consume."""
        return self.queue or topology.participant_queue(self.name)

    def same_install(self, other: InstallRecord) -> bool:
        """Whether ``other`` asks for the same program (install time and registration aside)."""
        ignore = {"installed_at", "registered"}
        return self.model_dump(exclude=ignore) == other.model_dump(exclude=ignore)


def read_record(home: PoolHome, name: str) -> InstallRecord:
    """The record of an installed participant.

    Raises:
        UnknownParticipantError: ``name`` is not installed in this pool.
        PoolError: the record is unreadable.
    """
    path = home.record_file(name)
    if not path.is_file():
        raise UnknownParticipantError(f"no participant {name!r} is installed in the pool at {home.root} "
                                      "(skynet list shows what is)")
    data = read_yaml(path)
    try:
        return InstallRecord.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PoolError(f"{path}: {where}: {first['msg']} (fix the file, or reinstall the participant)") from exc


def read_records(home: PoolHome) -> list[InstallRecord]:
    """Every installed participant, by name."""
    if not home.installed.is_dir():
        return []
    return [read_record(home, path.stem) for path in sorted(home.installed.glob("*.yaml"))]


def installed_names(home: PoolHome) -> list[str]:
    """The names of the installed participants, sorted."""
    return sorted(path.stem for path in home.installed.glob("*.yaml")) if home.installed.is_dir() else []


def write_record(home: PoolHome, record: InstallRecord) -> None:
    """Write (or replace) a record, atomically and readable by the pool's owner only."""
    text = yaml.safe_dump(record.model_dump(mode="json"), sort_keys=False, default_flow_style=False)
    write_atomic(home.record_file(record.name), text)


def remove_record(home: PoolHome, name: str) -> None:
    """Forget an installed participant."""
    remove(home.record_file(name))
