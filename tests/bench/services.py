"""What a benchmark run stands on: a fresh vhost, a fresh store, daemon subprocesses and their /proc figures.

Every resource is a context manager that removes what it created, so that :mod:`tests.bench.runner` can stack them in
an :class:`~contextlib.ExitStack` and a Ctrl-C (or SIGTERM) anywhere still stops the daemons, deletes the
vhost and drops the PostgreSQL schema. Nothing here imports pytest: the benchmark runs without it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pika
import psycopg

from engine.store import mask

ROOT = Path(__file__).resolve().parents[2]
BROKER_HOST, BROKER_PORT = "127.0.0.1", 5672
POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://", "postgres+psycopg://")
_PR_SET_PDEATHSIG = 1
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
try:
    _PRCTL: Callable[..., int] | None = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux: daemons then outlive a benchmark killed by SIGKILL
    _PRCTL = None


class SetupError(Exception):
    """The benchmark cannot start: a service is missing or refused what it was asked."""


# ---- RabbitMQ ------------------------------------------------------------------------------------------
def _rabbitmqctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=60, check=False)


@contextlib.contextmanager
def fresh_vhost() -> Iterator[str]:
    """A new vhost for this run only (the AMQP URL to it), deleted afterwards with all its queues.

    A vhost of its own means leftovers of earlier runs or of a demo on the same broker cannot skew the
    figures, and nothing of the benchmark's survives it. Deleting it also closes, on the broker's side,
    any connection the benchmark abandoned when it was interrupted.

    Raises:
        SetupError: the broker is unreachable or ``rabbitmqctl`` refused (it usually needs root).
    """
    try:
        socket.create_connection((BROKER_HOST, BROKER_PORT), timeout=3).close()
    except OSError as exc:
        raise SetupError(f"RabbitMQ is not reachable at {BROKER_HOST}:{BROKER_PORT} ({exc}): "
                         "start it (./dev test does)") from exc
    if shutil.which("rabbitmqctl") is None:
        raise SetupError("rabbitmqctl is not on PATH: the benchmark creates its vhost with it")
    name = f"boss-bench-{secrets.token_hex(4)}"
    try:  # from here on, even an interrupted add_vhost may have created it
        for args in (["add_vhost", name], ["set_permissions", "-p", name, "guest", ".*", ".*", ".*"]):
            done = _rabbitmqctl(*args)
            if done.returncode != 0:
                raise SetupError(f"rabbitmqctl {args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")
        yield f"amqp://guest:guest@{BROKER_HOST}:{BROKER_PORT}/{name}"
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):  # then it is left behind, nothing worse
            _rabbitmqctl("delete_vhost", name)


@contextlib.contextmanager
def broker_connection(amqp_url: str) -> Iterator[pika.BlockingConnection]:
    """A pika BlockingConnection, closed when the block succeeds and abandoned when it raised.

    A KeyboardInterrupt can land in the middle of pika's frame handling, after which a polite close may
    wait forever for an answer already lost; :func:`fresh_vhost` closes abandoned connections instead.
    """
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    yield connection
    connection.close()


# ---- the store -----------------------------------------------------------------------------------------
def with_search_path(url: str, schema: str) -> str:
    """The URL with ``options=-csearch_path=<schema>``: every connection of the store sees only that schema."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}', safe='-')}"


@contextlib.contextmanager
def fresh_store(url: str | None, workdir: Path) -> Iterator[str]:
    """An empty store for this run: a SQLite file in ``workdir``, or a new schema in the PostgreSQL database.

    The figures are read back from the store, so it must hold this run's processes and nothing else.

    Args:
        url: None for SQLite in ``workdir``; a ``postgresql://`` URL of a database the benchmark may create
            (and drop) a schema in; or a ``sqlite:///`` URL of a file that does not exist yet.

    Raises:
        SetupError: PostgreSQL is unreachable, or the SQLite file already exists.
    """
    if url is None:
        yield f"sqlite:///{workdir / 'boss.db'}"
    elif url.startswith(POSTGRES_SCHEMES):
        with _postgres_schema(url) as schema:
            yield with_search_path(url, schema)
    else:
        path = url.partition(":///")[2]
        if path and Path(path).exists():
            raise SetupError(f"{url} already exists: the benchmark needs an empty store")
        yield url


@contextlib.contextmanager
def _postgres_schema(url: str) -> Iterator[str]:
    plain = url.replace("+psycopg", "", 1)
    try:
        admin = psycopg.connect(plain, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SetupError(f"PostgreSQL is not reachable at {mask(url)} ({first})") from exc
    schema = f"boss_bench_{secrets.token_hex(6)}"
    try:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        yield schema
    finally:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()


# ---- daemons -------------------------------------------------------------------------------------------
def _die_with_parent() -> None:
    """Runs in the child before exec: the kernel SIGTERMs it if the benchmark dies, even by SIGKILL.

    Only a system call (libc is loaded beforehand), and the benchmark runs no other thread when it spawns
    daemons, so the usual hazard of ``preexec_fn`` (a lock held by another thread at fork) cannot arise.
    """
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, int(signal.SIGTERM))


@dataclass
class Daemon:
    """A daemon subprocess (``boss engine``, ``skynet run``) with its log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def spawn(cls, name: str, argv: list[str], env: dict[str, str], log: Path) -> Daemon:
        """Start ``python argv...`` in its own session, so a Ctrl-C reaches the benchmark only.

        The benchmark, not the terminal, then decides the order in which daemons stop (participants
        first, so that the engine is still there to hear their goodbyes).
        """
        environment = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        with log.open("wb") as out:
            popen = subprocess.Popen([sys.executable, *argv], stdout=out, stderr=subprocess.STDOUT, env=environment,
                                     cwd=ROOT, start_new_session=True,
                                     preexec_fn=_die_with_parent)  # noqa: PLW1509 - see _die_with_parent
        return cls(name, popen, log)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_for_line(self, marker: str, timeout: float = 30) -> None:
        """Wait until the log shows ``marker`` (how the daemons say they are ready).

        Raises:
            SetupError: the daemon died or said nothing of the kind in time (its log tail is in the message).
        """
        deadline = time.monotonic() + timeout
        while marker not in self.text():
            if not self.alive() or time.monotonic() > deadline:
                state = "died" if not self.alive() else f"did not log {marker!r} within {timeout:g}s"
                raise SetupError(f"{self.name} {state}:\n{self.tail()}")
            time.sleep(0.02)

    def tail(self, chars: int = 3000) -> str:
        """The end of the log (read from the end: a participant's log grows by two lines per workitem)."""
        if not self.log.exists():
            return ""
        with self.log.open("rb") as log:
            log.seek(max(log.seek(0, os.SEEK_END) - chars, 0))
            return log.read().decode(errors="replace")

    def terminate(self) -> None:
        """Ask it to stop (SIGTERM); :meth:`reap` waits."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(signal.SIGTERM)

    def reap(self, timeout: float = 15) -> None:
        """Wait for it to exit, SIGKILL it when it takes longer than ``timeout``."""
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(10)


def stop_all(daemons: list[Daemon]) -> None:
    """SIGTERM every daemon at once, then wait for each (SIGKILL after a while): quick even when many."""
    for daemon in daemons:
        daemon.terminate()
    for daemon in daemons:
        daemon.reap()


# ---- /proc ---------------------------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (``/proc/<pid>/stat``, Linux)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rpartition(")")[2].split()  # the command name may contain spaces; fields follow ")"
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / _CLOCK_TICKS


@dataclass
class CpuMeter:
    """The CPU time some processes used since each was added: what a phase cost, start-up excluded."""

    start: dict[int, float] = field(default_factory=dict)

    def add(self, pid: int) -> None:
        """Count ``pid`` from now on (call it when the process starts the work to be measured)."""
        self.start[pid] = cpu_seconds(pid)

    def used(self) -> float:
        """CPU seconds used by all the processes since they were added."""
        return sum(cpu_seconds(pid) - start for pid, start in self.start.items())


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine so far, all cores, in clock ticks (``/proc/stat``).

    Tells whether the machine itself was saturated: on a small machine the broker, the engine and the
    participants compete for the same cores, and no single daemon looks busy while all of them are.
    """
    first = Path("/proc/stat").read_text().split("\n", 1)[0]  # cpu user nice system idle iowait irq softirq steal
    ticks = [int(value) for value in first.split()[1:9]]  # guest time is already counted in user
    idle = ticks[3] + ticks[4]
    return sum(ticks) - idle, sum(ticks)


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size so far (``VmHWM`` in ``/proc/<pid>/status``), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")
