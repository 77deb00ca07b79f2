"""A real deployment per test: ``boss engine`` and ``skynet run`` daemons as subprocesses, a fresh vhost and store.

Nothing is mocked: the engine and the participants are the installed entry points run as separate
processes (so ``kill -9`` is a real kill), talking over the real RabbitMQ; the ``boss`` commands run
in-process through click with the same environment a user would set. Daemon logs are kept in the test's
temporary directory and printed when a test fails.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from engine.cli.main import cli
from engine.store import ProcessRow, Store, open_store
from tests.conftest import wait_for

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
PARTICIPANTS = HERE / "participants.py"
FINAL = ("done", "error", "cancelled")


@dataclass
class Daemon:
    """A daemon subprocess with its log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """``kill -9``: no chance to finish anything."""
        if self.alive():
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(10)

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM, then SIGKILL when it does not stop in time."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Deployment:
    """One engine (restartable), any number of participant daemons, one store, one vhost."""

    amqp_url: str
    store_url: str
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    daemons: list[Daemon] = field(default_factory=list)
    engine: Daemon | None = None
    _store: Store | None = None

    def __post_init__(self) -> None:
        self.env = {
            "BOSS_AMQP_URL": self.amqp_url, "BOSS_STORE_URL": self.store_url,
            "BOSS_PROCESS_PATH": os.pathsep.join([str(HERE / "processes"), str(ROOT / "processes")]),
            "BOSS_HEARTBEAT_INTERVAL": "0.5", "BOSS_HEARTBEAT_TIMEOUT": "3", "BOSS_USER": "tester",
            "BOSS_REQUEST_TIMEOUT": "20", **self.env,
        }

    # ---- daemons -----------------------------------------------------------------------------------
    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> Daemon:
        log = self.workdir / f"{name}-{len(self.daemons)}.log"
        environment = {**os.environ, **self.env, **env, "PYTHONUNBUFFERED": "1"}
        with log.open("wb") as out:
            popen = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=environment, cwd=ROOT,
                                     start_new_session=True)
        daemon = Daemon(name, popen, log)
        self.daemons.append(daemon)
        return daemon

    def start_engine(self, **env: str) -> Daemon:
        """Start ``boss engine`` and wait until it consumes its queues."""
        assert self.engine is None or not self.engine.alive(), "the engine is already running"
        engine = self._spawn("engine", [sys.executable, "-m", "engine.cli", "engine"], env)
        wait_for(lambda: "connected to" in engine.text() or not engine.alive(), 20, "the engine to connect")
        assert engine.alive(), f"the engine died:\n{engine.text()}"
        self.engine = engine
        return engine

    def participant(self, cls: str, *args: str, **env: str) -> Daemon:
        """Start ``skynet run tests/integration/participants.py:CLS``; wait until it consumes (and is registered)."""
        daemon = self._spawn(cls.lower(), [sys.executable, "-m", "skynet", "run", f"{PARTICIPANTS}:{cls}",
                                           *args], env)
        wait_for(lambda: "consuming" in daemon.text() or not daemon.alive(), 20, f"participant {cls} to start")
        assert daemon.alive(), f"participant {cls} died:\n{daemon.text()}"
        if self.engine is not None and self.engine.alive():
            pid = daemon.popen.pid
            wait_for(lambda: any(i.pid == pid for i in self.store.instances()), 20,
                     f"the engine to register participant {cls}")
        return daemon

    def builtin(self, name: str, *args: str, **env: str) -> Daemon:
        """Start the built-in participant NAME (``skynet run NAME``) with extra environment (its config)."""
        daemon = self._spawn(name, [sys.executable, "-m", "skynet", "run", name, *args], env)
        wait_for(lambda: "consuming" in daemon.text() or not daemon.alive(), 20, f"participant {name} to start")
        assert daemon.alive(), f"participant {name} died:\n{daemon.text()}"
        return daemon

    def shutdown(self) -> None:
        for daemon in self.daemons:
            daemon.stop()
        if self._store is not None:
            self._store.close()

    def logs(self) -> str:
        return "\n".join(f"----- {d.name} ({d.log.name}) -----\n{d.text()[-6000:]}" for d in self.daemons)

    # ---- the boss CLI ------------------------------------------------------------------------------
    def boss(self, *args: str, expect: int | None = 0) -> Result:
        """Run a ``boss`` command in-process with the deployment's environment."""
        result = CliRunner().invoke(cli, list(args), env=self.env, catch_exceptions=False)
        if expect is not None:
            assert result.exit_code == expect, (
                f"boss {' '.join(args)} exited {result.exit_code}, not {expect}:\n{result.output}")
        return result

    def launch(self, name: str, **fields: Any) -> str:
        """``boss launch NAME -f k=v ...``; the new process id."""
        args = [item for key, value in fields.items()
                for item in ("-f", f"{key}={value if isinstance(value, str) else json.dumps(value)}")]
        result = self.boss("launch", name, *args, "--json")
        return str(json.loads(result.stdout)["process_id"])

    # ---- the store ---------------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.store_url)
        return self._store

    def process(self, process_id: str) -> ProcessRow:
        row = self.store.get_process(process_id)
        assert row is not None, f"no process {process_id}"
        return row

    def wait(self, process_id: str, status: str = "done", timeout: float = 30) -> ProcessRow:
        """Wait until the process reaches ``status``; fail early when it ends in another final state."""
        deadline = time.monotonic() + timeout
        while True:
            row = self.store.get_process(process_id)
            if row is not None and row.status == status:
                return row
            if row is not None and row.status in FINAL and status in FINAL:
                raise AssertionError(f"process {process_id} ended {row.status} ({row.error_step}: "
                                     f"{row.error_message}), not {status}")
            if time.monotonic() > deadline:
                got = row.status if row else "missing"
                raise AssertionError(f"process {process_id} is {got}, not {status}, after {timeout}s")
            time.sleep(0.1)

    def wait_step(self, process_id: str, step: str, status: str, timeout: float = 30) -> None:
        """Wait until a named step has reached ``status``."""
        def reached() -> bool:
            return any(s.step == step and s.status == status for s in self.store.steps(process_id))

        wait_for(reached, timeout, f"step {step} of {process_id} to be {status}")

    def records(self, process_id: str, kind: str) -> list[Any]:
        return [r for r in self.store.history(process_id) if r.kind == kind]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store of each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'boss.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'boss.db'}"


def _deployment(request: pytest.FixtureRequest, amqp_url: str, store_url: str, tmp_path: Path
                ) -> Iterator[Deployment]:
    deployment = Deployment(amqp_url, store_url, tmp_path)
    yield deployment
    deployment.shutdown()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(deployment.logs())


@pytest.fixture
def deployment(request: pytest.FixtureRequest, amqp_url: str, store_url: str, tmp_path: Path
               ) -> Iterator[Deployment]:
    """A deployment on SQLite and on PostgreSQL."""
    yield from _deployment(request, amqp_url, store_url, tmp_path)


@pytest.fixture
def local(request: pytest.FixtureRequest, amqp_url: str, sqlite_url: str, tmp_path: Path) -> Iterator[Deployment]:
    """A deployment on SQLite only (for behaviour that does not depend on the store)."""
    yield from _deployment(request, amqp_url, sqlite_url, tmp_path)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
