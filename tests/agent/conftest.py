"""Fixtures for the agent tests: agents over in-memory pools in threads, a client, and an eye on boss.events."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pika  # type: ignore[import-untyped, unused-ignore]
import pytest

from engine.transport import topology
from engine.transport.pool_messages import POOL_STATES, PoolState
from skynet.agent import Agent, AgentSettings, ClusterClient, MemoryBackend
from tests.conftest import wait_for


class Events:
    """Pool states published on ``boss.events``, as a dashboard would see them."""

    def __init__(self, url: str) -> None:
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel = self.connection.channel()
        topology.declare_common(self.channel)
        self.queue = self.channel.queue_declare(queue="", exclusive=True).method.queue
        self.channel.queue_bind(self.queue, topology.EVENTS_EXCHANGE, POOL_STATES)
        self.seen: list[tuple[PoolState, dict[str, Any]]] = []

    def states(self, pool: str | None = None) -> list[PoolState]:
        """Every state received so far (of ``pool`` only, when given)."""
        while True:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                break
            self.seen.append((PoolState.decode(body), dict(properties.headers or {})))
        return [state for state, _ in self.seen if pool is None or state.pool == pool]

    def wait(self, condition: Callable[[list[PoolState]], bool], timeout: float = 5.0,
             what: str = "pool states") -> list[PoolState]:
        """The states once ``condition(states)`` holds."""
        def holds() -> list[PoolState] | None:
            got = self.states()
            return got if condition(got) else None

        return wait_for(holds, timeout, what)

    def close(self) -> None:
        if self.connection.is_open:
            self.connection.close()


@pytest.fixture
def events(amqp_url: str) -> Iterator[Events]:
    watcher = Events(amqp_url)
    yield watcher
    watcher.close()


StartAgent = Callable[..., tuple[Agent, MemoryBackend]]


@pytest.fixture
def start_agent(amqp_url: str, tmp_path: Path, events: Events) -> Iterator[StartAgent]:
    """Start an agent over an in-memory pool with a program ``sleeper``; returns once it published a state."""
    running: list[tuple[Agent, threading.Thread]] = []

    def start(pool: str = "alpha", **settings: Any) -> tuple[Agent, MemoryBackend]:
        backend = MemoryBackend(pool)
        backend.add("sleeper")
        values: dict[str, Any] = {"pool": pool, "host": "testhost", "home": tmp_path / pool, "amqp_url": amqp_url,
                                  "interval": 60.0, **settings}
        agent = Agent(AgentSettings(**values), backend)
        thread = threading.Thread(target=agent.run, name=f"agent-{pool}", daemon=True)
        thread.start()
        running.append((agent, thread))
        events.wait(lambda got: any(state.pool == pool for state in got), what=f"the first state of {pool}")
        return agent, backend

    yield start
    for agent, _ in running:
        agent.stop()
    for agent, thread in running:
        thread.join(timeout=5)
        assert not thread.is_alive(), f"agent {agent.settings.pool} did not stop"


@pytest.fixture
def client(amqp_url: str) -> Iterator[ClusterClient]:
    with ClusterClient(amqp_url) as unsigned:
        yield unsigned
