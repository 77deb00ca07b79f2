"""Fixtures of the launchers' tests: an engine stand-in for unit tests, and one real engine per module.

The stand-in answers like the engine does: one process per request id, a repeated request id gets the
first answer again. Tests that need the real thing share one ``boss engine`` subprocess per module (on a
fresh vhost and SQLite store), which keeps the suite fast; they tell their processes apart by field values.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.config import Settings
from engine.errors import TransportError
from engine.store import Store, open_store
from launchers.client import EngineLauncher, Launched, LaunchRefused
from tests.conftest import HOST, PORT, Vhosts
from tests.integration.conftest import Deployment


@dataclass
class Sent:
    """One launch request as the launcher sent it."""

    process: str
    fields: dict[str, Any]
    request_id: str
    by: str


@dataclass
class FakeEngine:
    """A :class:`~launchers.client.Launcher` that remembers requests instead of sending them.

    Attributes:
        refuse: process names it refuses, as the engine refuses an unknown process.
        down: raise ``TransportError``, as when the broker cannot be reached.
    """

    refuse: set[str] = field(default_factory=set)
    down: bool = False
    sent: list[Sent] = field(default_factory=list)
    answers: dict[str, Launched | LaunchRefused] = field(default_factory=dict)
    created: list[Sent] = field(default_factory=list)  # the processes it "started", once per request id

    def __call__(self, process: str, fields: Mapping[str, Any], *, request_id: str, by: str) -> Launched:
        request = Sent(process, dict(fields), request_id, by)
        self.sent.append(request)
        if self.down:
            raise TransportError("cannot reach the broker (stand-in is down)")
        if request_id not in self.answers:
            if process in self.refuse:
                self.answers[request_id] = LaunchRefused(process, f"no process definition {process!r}")
            else:
                self.created.append(request)
                self.answers[request_id] = Launched(process_id=f"p{len(self.created)}", request_id=request_id)
        answer = self.answers[request_id]
        if isinstance(answer, LaunchRefused):
            raise answer
        return answer


class ManualClock:
    """A clock that only moves when told: ``clock.now = ...`` or ``clock.advance(hours=1)``."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def fake_engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh SQLite store (the launchers' progress lives in the boss store)."""
    opened = open_store(f"sqlite:///{tmp_path / 'boss.db'}")
    yield opened
    opened.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 30, 12, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
def engine(request: pytest.FixtureRequest, vhosts: Vhosts, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Deployment]:
    """A running ``boss engine`` shared by a module's tests (SQLite store, fresh vhost)."""
    workdir = tmp_path_factory.mktemp("engine")
    deployment = Deployment(f"amqp://guest:guest@{HOST}:{PORT}/{vhosts.take()}", f"sqlite:///{workdir / 'boss.db'}",
                            workdir)
    failed_before = request.session.testsfailed
    try:
        deployment.start_engine()
        yield deployment
    finally:
        deployment.shutdown()
        if request.session.testsfailed > failed_before:
            print(deployment.logs())


def engine_launcher(deployment: Deployment) -> EngineLauncher:
    """The real launcher, talking to the deployment's engine."""
    return EngineLauncher(Settings(amqp_url=deployment.amqp_url, store_url=deployment.store_url,
                                   request_timeout=20))


def launched(deployment: Deployment, origin: str) -> list[Any]:
    """The ``launched`` processes started with field ``origin`` (each test uses its own), oldest first."""
    rows = deployment.store.list_processes(name="launched", limit=1000)
    return sorted((r for r in rows if r.state.fields.get("origin") == origin), key=lambda r: r.launched_at)


def python_module(module: str, *args: str) -> list[str]:
    """The argv of ``python -m module args...`` with this interpreter."""
    return [sys.executable, "-m", module, *args]


def environment(deployment: Deployment, **extra: str) -> dict[str, str]:
    """The environment a launcher subprocess of the deployment runs with."""
    return {**os.environ, **deployment.env, **extra, "PYTHONUNBUFFERED": "1"}


@pytest.fixture
def deployment(request: pytest.FixtureRequest, amqp_url: str, tmp_path: Path) -> Iterator[Deployment]:
    """A deployment of this test alone (SQLite store, fresh vhost), for tests that restart the engine."""
    deployment = Deployment(amqp_url, f"sqlite:///{tmp_path / 'boss.db'}", tmp_path)
    failed_before = request.session.testsfailed
    try:
        yield deployment
    finally:
        deployment.shutdown()
        if request.session.testsfailed > failed_before:
            print(deployment.logs())
