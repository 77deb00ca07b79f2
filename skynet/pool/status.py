"""The state of a pool as plain immutable models: what ``skynet list``/``status`` print and the agent publishes.

Three sources are joined per instance: supervisord (state, pid, start time, last exit), the instance's
status file (its SDK instance id and current workitem, see :mod:`skynet.runtime.status_file`), and
supervisord's own log, which is where restarts are counted: supervisor keeps no counter, but logs every
``spawned: 'NAME-0' with pid N``. ``restarts`` is the number of spawns of an instance since supervisord
started, minus the first; it counts crashes and ``skynet restart``/``reload`` alike.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from engine.transport.messages import CurrentWork
from skynet.pool.home import PoolHome
from skynet.pool.records import InstallRecord
from skynet.pool.supervisor import ProcessInfo

SPAWNED = re.compile(r"spawned: '([^']+)' with pid \d+")
STARTED = "supervisord started with pid"
LOG_SCAN_LIMIT = 8 * 1024 * 1024  # read at most the last 8 MB of supervisord.log


class InstanceStatus(BaseModel):
    """One running (or not) instance of a participant program."""

    model_config = ConfigDict(frozen=True)

    name: str  # supervisor's process name: NAME-0, NAME-1, ...
    state: str  # supervisor's state name: RUNNING, STARTING, STOPPED, BACKOFF, EXITED, FATAL, ...
    pid: int | None = None
    started_at: datetime | None = None
    uptime_seconds: float | None = None
    restarts: int = 0
    description: str = ""  # supervisor's one-liner ("pid 12, uptime 0:01:02", "Exited too quickly ...")
    instance: str | None = None  # the SDK's instance id (the ``instance`` of its replies)
    current: CurrentWork | None = None
    handled: int | None = None
    log: str | None = None


class ProgramStatus(BaseModel):
    """An installed participant: its install record and its instances."""

    model_config = ConfigDict(frozen=True)

    name: str
    spec: str
    queue: str
    wanted: int  # instances installed
    enabled: bool
    registered: bool
    user: str | None = None
    config: str | None = None
    loaded: bool = True  # supervisord has the program (False: run skynet apply)
    instances: tuple[InstanceStatus, ...] = ()

    @property
    def running(self) -> int:
        """How many instances are RUNNING."""
        return sum(1 for instance in self.instances if instance.state == "RUNNING")


class PoolStatus(BaseModel):
    """The whole pool at one moment."""

    model_config = ConfigDict(frozen=True)

    pool: str
    host: str
    home: str
    up: bool  # supervisord answers
    supervisord_pid: int | None = None
    agent: InstanceStatus | None = None
    programs: tuple[ProgramStatus, ...] = ()
    taken_at: datetime

    def program(self, name: str) -> ProgramStatus | None:
        """The program called ``name``, if installed."""
        return next((program for program in self.programs if program.name == name), None)


def instance_status(info: ProcessInfo, home: PoolHome, spawns: Counter[str]) -> InstanceStatus:
    """One instance from supervisord's process info, its status file and the spawn count."""
    name = info["name"]
    running = info["statename"] == "RUNNING"
    pid = info["pid"] or None
    started = datetime.fromtimestamp(info["start"], UTC) if info["start"] else None
    uptime = float(max(0, info["now"] - info["start"])) if running and info["start"] else None
    note = read_status_file(home.status_file(name), pid) if pid else None
    return InstanceStatus(
        name=name, state=info["statename"], pid=pid, started_at=started, uptime_seconds=uptime,
        restarts=max(0, spawns.get(name, 0) - 1), description=info["description"],
        instance=_text(note, "instance"), current=_current(note), handled=_handled(note),
        log=info.get("stdout_logfile") or None,
    )


def program_status(record: InstallRecord, processes: list[ProcessInfo] | None, home: PoolHome,
                   spawns: Counter[str]) -> ProgramStatus:
    """An installed participant; ``processes`` is None when supervisord is down."""
    mine = [info for info in processes or [] if info["group"] == record.name]
    instances = tuple(instance_status(info, home, spawns) for info in sorted(mine, key=_process_number))
    return ProgramStatus(name=record.name, spec=record.spec, queue=record.effective_queue, wanted=record.instances,
                         enabled=record.enabled, registered=record.registered, user=record.user,
                         config=record.config, loaded=processes is None or bool(mine), instances=instances)


_spawn_cache: dict[Path, tuple[tuple[int, int], Counter[str]]] = {}


def spawn_counts(log_file: Path) -> Counter[str]:
    """How often supervisord spawned each process since it last started (from its log).

    The agent asks every few seconds; the log changes only when something starts or exits, so the
    counts are kept until the file's size or time changes.
    """
    try:
        stat = log_file.stat()
        key = (stat.st_size, stat.st_mtime_ns)
        cached = _spawn_cache.get(log_file)
        if cached is not None and cached[0] == key:
            return Counter(cached[1])
        with log_file.open("rb") as handle:
            handle.seek(max(0, stat.st_size - LOG_SCAN_LIMIT))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return Counter()
    start = text.rfind(STARTED)
    counts = Counter(SPAWNED.findall(text[start:] if start >= 0 else text))
    _spawn_cache[log_file] = (key, counts)
    return Counter(counts)


def read_status_file(path: Path, pid: int | None) -> dict[str, object] | None:
    """The status file of a running instance, or None when absent, unreadable or left by another pid."""
    try:
        note = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(note, dict) or note.get("pid") != pid:
        return None
    return note


def _current(note: dict[str, object] | None) -> CurrentWork | None:
    if not note or not note.get("current"):
        return None
    try:
        return CurrentWork.model_validate(note["current"])
    except ValidationError:
        return None


def _text(note: dict[str, object] | None, key: str) -> str | None:
    value = note.get(key) if note else None
    return value if isinstance(value, str) else None


def _handled(note: dict[str, object] | None) -> int | None:
    value = note.get("handled") if note else None
    return value if isinstance(value, int) else None


def _process_number(info: ProcessInfo) -> int:
    number = info["name"].rpartition("-")[2]
    return int(number) if number.isdigit() else 0
