"""A real pool per test: ``skynet up`` starts a supervisord in a fresh SKYNET_HOME, ``skynet down`` ends it.

The ``skynet`` commands run in-process through click with the environment a user would set; supervisord
and the participant instances are real processes. The teardown always ends them: ``skynet down``, and
when that fails, SIGKILL to supervisord and every process it started. SKYNET_HOME is a short directory
under /tmp because a unix socket path must stay under ~100 bytes (pytest's tmp_path can be longer).

Acceptance tests add a real engine on a fresh vhost (``tests/integration``'s :class:`Deployment`); the
pool is then brought up with the deployment's environment, so every installed instance talks to it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from skynet.cli import cli
from skynet.pool import Pool, PoolHome, ProgramStatus
from skynet.pool.supervisor import ProcessInfo, Supervisor
from tests.conftest import wait_for
from tests.integration.conftest import Deployment

HERE = Path(__file__).parent
SPECS = HERE / "specs"
WORKER = SPECS / "worker.py"
PROCESSES = HERE / "processes"
POOL_NAME = "test-pool"


@dataclass
class PoolHarness:
    """One pool directory, the environment its commands run with, and helpers to look inside."""

    home: Path
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.env = {**self.env, "SKYNET_HOME": str(self.home), "SKYNET_POOL": POOL_NAME}

    @property
    def pool(self) -> Pool:
        return Pool(self.home, {**os.environ, **self.env})

    def skynet(self, *args: str, expect: int | None = 0) -> Result:
        """Run a ``skynet`` command in-process with the pool's environment."""
        result = CliRunner().invoke(cli, list(args), env=self.env, catch_exceptions=False)
        if expect is not None:
            assert result.exit_code == expect, (
                f"skynet {' '.join(args)} exited {result.exit_code}, not {expect}:\n{result.output}")
        return result

    def processes(self) -> list[ProcessInfo]:
        """supervisord's processes now (the agent's too)."""
        client = Supervisor(PoolHome(self.home).socket)
        try:
            return client.processes()
        finally:
            client.close()

    def groups(self) -> set[str]:
        return {info["group"] for info in self.processes()}

    def status(self, name: str) -> ProgramStatus:
        return self.pool.status(name)

    def wait_running(self, name: str, count: int, timeout: float = 20) -> ProgramStatus:
        """Wait until ``count`` instances of ``name`` run and are consuming (their status file is written)."""
        def ready() -> ProgramStatus | None:
            status = self.status(name)
            consuming = [i for i in status.instances if i.state == "RUNNING" and i.instance is not None]
            return status if len(consuming) == count else None

        result: ProgramStatus = wait_for(ready, timeout, f"{count} instances of {name} to consume")
        return result

    def files(self, folder: str) -> list[str]:
        path = self.home / folder
        return sorted(p.name for p in path.iterdir()) if path.is_dir() else []

    def log(self) -> str:
        logs = self.home / "logs"
        if not logs.is_dir():
            return ""
        return "\n".join(f"----- {path.name} -----\n{path.read_text(errors='replace')[-4000:]}"
                         for path in sorted(logs.glob("*.log")))

    def shutdown(self) -> None:
        """``skynet down``; when it fails, kill supervisord and everything it started."""
        pid = _pid(PoolHome(self.home))
        with contextlib.suppress(Exception):
            self.pool.down()
        if pid is not None and _alive(pid):
            kill_tree(pid)


def _pid(home: PoolHome) -> int | None:
    try:
        return int(home.pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def kill_tree(pid: int) -> None:
    """SIGKILL a process and all its descendants."""
    for child in _children(pid):
        kill_tree(child)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


@pytest.fixture
def home() -> Iterator[Path]:
    """A fresh, short SKYNET_HOME."""
    path = Path(tempfile.mkdtemp(prefix="skp-", dir="/tmp"))
    yield path / "pool"
    shutil.rmtree(path, ignore_errors=True)


def _harness(request: pytest.FixtureRequest, harness: PoolHarness, up: bool) -> Iterator[PoolHarness]:
    try:
        if up:
            harness.skynet("up")
        yield harness
    finally:
        harness.shutdown()
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            print(harness.log())


@pytest.fixture
def pool(request: pytest.FixtureRequest, home: Path, amqp_url: str) -> Iterator[PoolHarness]:
    """A pool that is up, on a fresh vhost (no engine)."""
    yield from _harness(request, PoolHarness(home, {"BOSS_AMQP_URL": amqp_url}), up=True)


@pytest.fixture(scope="module")
def shared_pool(request: pytest.FixtureRequest, vhosts: Any) -> Iterator[PoolHarness]:
    """One pool that is up for a whole module (tests that leave nothing installed: bad input)."""
    path = Path(tempfile.mkdtemp(prefix="skp-", dir="/tmp"))
    amqp_url = f"amqp://guest:guest@127.0.0.1:5672/{vhosts.take()}"
    try:
        yield from _harness(request, PoolHarness(path / "pool", {"BOSS_AMQP_URL": amqp_url}), up=True)
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def down_pool(request: pytest.FixtureRequest, home: Path, amqp_url: str) -> Iterator[PoolHarness]:
    """A pool directory whose supervisord is not running (the test starts it, or not)."""
    yield from _harness(request, PoolHarness(home, {"BOSS_AMQP_URL": amqp_url}), up=False)


@pytest.fixture
def deployment(request: pytest.FixtureRequest, amqp_url: str, tmp_path: Path) -> Iterator[Deployment]:
    """A running engine on SQLite and a fresh vhost, finding the pool tests' processes."""
    process_path = os.pathsep.join([str(PROCESSES), str(HERE.parent / "integration" / "processes")])
    deployment = Deployment(amqp_url, f"sqlite:///{tmp_path / 'boss.db'}", tmp_path,
                            env={"BOSS_PROCESS_PATH": process_path})
    try:
        deployment.start_engine()
        yield deployment
    finally:
        deployment.shutdown()
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            print(deployment.logs())


@pytest.fixture
def engine_pool(request: pytest.FixtureRequest, home: Path, deployment: Deployment) -> Iterator[PoolHarness]:
    """A pool that is up, with the deployment's environment (its broker, heartbeats, signing)."""
    yield from _harness(request, PoolHarness(home, dict(deployment.env)), up=True)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def wait_until(condition: Any, timeout: float, what: str) -> Any:
    """``wait_for`` with a pause between polls that suits subprocess-heavy checks."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)
