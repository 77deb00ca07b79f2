"""The pool facade: everything ``skynet`` does to this host's pool, for the CLI and the pool agent alike.

A :class:`Pool` is a directory (:class:`~skynet.pool.home.PoolHome`) and the environment commands run
with; it holds no connection, so it may be used from several threads (each call opens its own XML-RPC
connection) and several processes (config changes take the pool's lock). Results are immutable models,
ready to print or to publish.
"""

from __future__ import annotations

import os
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import yaml

from skynet.pool import control, daemon
from skynet.pool import install as installing
from skynet.pool.apply import ApplyResult, reconcile, render_all
from skynet.pool.checks import ParticipantInfo, check
from skynet.pool.errors import PoolDownError, PoolError
from skynet.pool.home import PoolHome, locked, write_atomic
from skynet.pool.logs import LogLine, follow, last_lines
from skynet.pool.programs import AGENT_PROGRAM, agent_available, default_python
from skynet.pool.records import InstallRecord, installed_names, read_record, read_records
from skynet.pool.results import InstallResult, UninstallResult, UpResult
from skynet.pool.status import InstanceStatus, PoolStatus, ProgramStatus, instance_status, program_status, spawn_counts
from skynet.pool.supervisor import ProcessInfo, Supervisor

Progress = Callable[[str], None]


class Pool:
    """This host's participant pool.

    Args:
        home: The pool directory (default ``SKYNET_HOME`` of ``env``, else the user's state directory).
        env: The environment of the commands: ``SKYNET_POOL``, and the ``BOSS_*`` variables an install
            passes on to the participant (default ``os.environ``).
        python: The interpreter instances and checks run with (default: this one, so this installation).
    """

    def __init__(self, home: PoolHome | str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None,
                 *, python: str | None = None) -> None:
        self.env: dict[str, str] = dict(env if env is not None else os.environ)
        self.home = home if isinstance(home, PoolHome) else PoolHome.at(home, self.env)
        self.python = python or default_python()
        self.host = socket.gethostname()

    @property
    def name(self) -> str:
        """The pool's name (``SKYNET_POOL``, else ``pool.yaml``, else the host's name)."""
        return self.home.pool_name(self.env)

    @contextmanager
    def client(self) -> Iterator[Supervisor]:
        """An XML-RPC connection to the pool's supervisord (it raises PoolDownError when the pool is down)."""
        supervisor = Supervisor(self.home.socket)
        try:
            yield supervisor
        finally:
            supervisor.close()

    def is_up(self) -> bool:
        """Whether the pool's supervisord answers."""
        return daemon.running_pid(self.home) is not None

    # ---- the pool itself -----------------------------------------------------------------------------
    def up(self) -> UpResult:
        """Start the pool's supervisord (with every enabled participant); when it is up, apply the configs.

        Raises:
            PoolError: the directory cannot be made or supervisord does not start.
        """
        self.home.create()
        name = self.name
        write_atomic(self.home.pool_file, yaml.safe_dump({"name": name}), mode=0o644)
        with locked(self.home):
            self.render()
            pid = daemon.running_pid(self.home)
            if pid is not None:
                with self.client() as supervisor:
                    applied = reconcile(supervisor)
                return UpResult(pool=name, home=str(self.home.root), pid=pid, started=False, applied=applied)
            pid = daemon.start(self.home, self.env)
        return UpResult(pool=name, home=str(self.home.root), pid=pid, started=True)

    def up_in_foreground(self) -> None:
        """Render the configs and become the pool's supervisord (never returns)."""
        self.home.create()
        write_atomic(self.home.pool_file, yaml.safe_dump({"name": self.name}), mode=0o644)
        if daemon.running_pid(self.home) is not None:
            raise PoolError(f"the pool at {self.home.root} is already up (skynet down stops it)")
        self.render()
        daemon.run_in_foreground(self.home, self.env)

    def down(self) -> int | None:
        """Stop every instance gracefully, then supervisord; its pid, or None when the pool was not up."""
        return daemon.stop(self.home)

    def render(self) -> list[str]:
        """Write supervisord.conf and the program files from the install records; the files changed."""
        return render_all(self.home, read_records(self.home), self.name, agent=agent_available(),
                          python=self.python)

    def apply(self) -> ApplyResult:
        """Reconcile supervisord with the install records (``supervisorctl update``).

        Raises:
            PoolDownError: the pool is not up.
            PoolError: supervisord cannot read the configs, or a program could not be updated.
        """
        with locked(self.home), self.client() as supervisor:
            supervisor.state()  # fail before writing when the pool is down
            self.render()
            result = reconcile(supervisor)
        if result.problems:
            raise PoolError("; ".join(result.problems))
        return result

    # ---- installing ----------------------------------------------------------------------------------
    def install(self, spec: str, *, name: str | None = None, instances: int = 1, queue: str | None = None,
                user: str | None = None, config: str | None = None, start: bool = True,
                cwd: str | os.PathLike[str] | None = None) -> InstallResult:
        """Check, write, start and register a participant (see :func:`skynet.pool.install.install`)."""
        return installing.install(self, spec, name=name, instances=instances, queue=queue, user=user, config=config,
                       start=start, cwd=Path(cwd) if cwd is not None else Path.cwd())

    def uninstall(self, names: Sequence[str]) -> list[UninstallResult]:
        """Stop, remove and unregister participants (see :func:`skynet.pool.install.uninstall`)."""
        return installing.uninstall(self, names)

    def register(self, names: Sequence[str]) -> list[ParticipantInfo]:
        """(Re)register installed participants with the engine; each result says whether it confirmed."""
        return [installing.register(self, read_record(self.home, name)) for name in self.resolve(names)]

    def unregister(self, names: Sequence[str]) -> list[str | None]:
        """Remove participants' registrations; per name None when the engine confirmed, else why not."""
        return [installing.unregister(self, read_record(self.home, name)) for name in self.resolve(names)]

    # ---- controlling ---------------------------------------------------------------------------------
    def start(self, names: Sequence[str]) -> list[ProgramStatus]:
        """Start the instances that are not running (see :mod:`skynet.pool.control`)."""
        return control.start(self, self.resolve(names))

    def stop(self, names: Sequence[str]) -> list[ProgramStatus]:
        """Stop the running instances, each handing back or finishing its work."""
        return control.stop(self, self.resolve(names))

    def restart(self, names: Sequence[str]) -> list[ProgramStatus]:
        """Stop, then start every instance (all at once: ``reload`` keeps the others serving)."""
        resolved = self.resolve(names)
        control.stop(self, resolved)
        return control.start(self, resolved)

    def reload(self, names: Sequence[str], progress: Progress = lambda _: None) -> list[ProgramStatus]:
        """Restart one instance at a time, each back and consuming before the next stops."""
        return control.reload(self, self.resolve(names), progress)

    def enable(self, names: Sequence[str]) -> list[ProgramStatus]:
        """Turn autostart and autorestart on, and start the instances."""
        return control.set_enabled(self, self.resolve(names), enabled=True)

    def disable(self, names: Sequence[str]) -> list[ProgramStatus]:
        """Turn autostart and autorestart off, and stop the instances."""
        return control.set_enabled(self, self.resolve(names), enabled=False)

    # ---- reading -------------------------------------------------------------------------------------
    def resolve(self, names: Iterable[str], *, every: bool = False) -> list[str]:
        """The installed participants named (all of them with ``every``); unknown names fail them all.

        Raises:
            UnknownParticipantError: a name is not installed (nothing has been done yet).
            PoolError: no name given.
        """
        if every:
            return installed_names(self.home)
        names = list(dict.fromkeys(names))
        if not names:
            raise PoolError("name at least one installed participant (or use --all)")
        for name in names:
            read_record(self.home, name)
        return names

    def snapshot(self) -> PoolStatus:
        """The whole pool now: every installed participant and its instances (a pool that is down too)."""
        records = read_records(self.home)
        processes: list[ProcessInfo] | None
        pid: int | None
        try:
            with self.client() as supervisor:
                processes, pid = supervisor.processes(), supervisor.pid()
        except PoolDownError:
            processes, pid = None, None
        spawns = spawn_counts(self.home.supervisord_log) if processes is not None else Counter[str]()
        agent = next((instance_status(info, self.home, spawns) for info in processes or []
                      if info["group"] == AGENT_PROGRAM), None)
        return PoolStatus(pool=self.name, host=self.host, home=str(self.home.root), up=processes is not None,
                          supervisord_pid=pid, agent=agent,
                          programs=tuple(program_status(record, processes, self.home, spawns) for record in records),
                          taken_at=datetime.now(UTC))

    def status(self, name: str) -> ProgramStatus:
        """One installed participant now."""
        record = read_record(self.home, name)
        try:
            with self.client() as supervisor:
                processes: list[ProcessInfo] | None = supervisor.processes()
        except PoolDownError:
            processes = None
        spawns = spawn_counts(self.home.supervisord_log) if processes is not None else Counter[str]()
        return program_status(record, processes, self.home, spawns)

    def info(self, name: str) -> ParticipantInfo:
        """What an installed participant's code says about itself (loaded in a child, setup not run)."""
        record = read_record(self.home, name)
        return check(record.spec, name=record.name, queue=record.queue, config_file=record.config, setup=False,
                     env=self.record_env(record), cwd=Path(record.directory), user=record.user, python=self.python)

    def log_files(self, name: str, instance: int | None = None) -> dict[str, Path]:
        """The log file of each instance of ``name`` (or of instance number ``instance`` only)."""
        record = read_record(self.home, name)
        numbers = range(record.instances) if instance is None else [instance]
        if instance is not None and not 0 <= instance < record.instances:
            raise PoolError(f"{name} has instances 0 to {record.instances - 1}, not {instance}")
        return {f"{name}-{number}": self.home.instance_log(f"{name}-{number}") for number in numbers}

    def log(self, name: str, lines: int = 20, instance: int | None = None) -> list[LogLine]:
        """The last ``lines`` lines of each instance's log."""
        return last_lines(self.log_files(name, instance), lines)

    def follow(self, name: str, lines: int = 20, instance: int | None = None,
               stop: Callable[[], bool] = lambda: False) -> Iterator[LogLine]:
        """The last lines of each instance's log, then new lines as they are written, until ``stop()``."""
        return follow(self.log_files(name, instance), lines, stop=stop)

    def record_env(self, record: InstallRecord) -> dict[str, str]:
        """The environment a participant's checks and registration run with: ours, then its own."""
        return {**self.env, **record.env}

    def wait_settled(self, names: Sequence[str], timeout: float = 20.0) -> list[ProgramStatus]:
        """Wait until no instance of ``names`` is starting (RUNNING, or given up); their states then."""
        deadline = time.monotonic() + timeout
        while True:
            statuses = [self.status(name) for name in names]
            busy = [i for s in statuses for i in s.instances if i.state in ("STARTING", "STOPPING")
                    or (s.enabled and i.state == "STOPPED" and i.started_at is None)]
            if not busy or time.monotonic() > deadline:
                return statuses
            time.sleep(0.1)

__all__ = ["InstallResult", "InstanceStatus", "Pool", "PoolStatus", "ProgramStatus", "UninstallResult", "UpResult"]
