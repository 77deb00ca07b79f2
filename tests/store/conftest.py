"""Fixtures of the store tests: the same tests against SQLite (a temporary file) and PostgreSQL.

PostgreSQL isolation: every test gets a fresh schema ``boss_t_<random>`` in the test database, and a
store URL whose ``options=-csearch_path=<schema>`` (a libpq connection parameter that psycopg passes
through) makes every connection of the store see only that schema. The schema is dropped afterwards.
PostgreSQL is never skipped: when it cannot be reached the tests fail and say how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.interpreter.state import ErrorInfo, Node, NodeStatus, ProcessState, ProcessStatus, Role
from engine.store import Store, open_store

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty store of each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'boss.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An open, migrated, empty store of each backend."""
    opened = open_store(store_url)
    yield opened
    opened.close()


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    """An open store on PostgreSQL only (for row locks, which SQLite does not have)."""
    opened = open_store(pg_url)
    yield opened
    opened.close()


def make_state(process_id: str = "p1", *, name: str = "release", launched_at: datetime = T0,
               status: ProcessStatus = ProcessStatus.RUNNING) -> ProcessState:
    """A small process state, as the interpreter would leave it after a launch."""
    root = Node(id="n1", role=Role.PROCESS, definition=name, path="", started_at=launched_at)
    return ProcessState(id=process_id, name=name, version=3, digest="d-" + name, status=status,
                        fields={"version": "2026.1"}, launched_at=launched_at, updated_at=launched_at,
                        root="n1", nodes={"n1": root}, counter=1)


def failed(state: ProcessState, step: str, message: str) -> ProcessState:
    """The state with a step node waiting in error."""
    node = Node(id="n9", parent="n1", role=Role.STEP, definition=state.name, path="steps[0]",
                started_at=state.launched_at, status=NodeStatus.FAILED,
                error=ErrorInfo(type="ParticipantError", message=message, step=step, path="steps[0]"))
    return state.model_copy(update={"status": ProcessStatus.ERROR, "nodes": {**state.nodes, "n9": node}})


def add_process(store: Store, state: ProcessState, program: str = "prog1") -> None:
    """Save a program and insert a process running it, in one transaction."""
    with store.transaction() as tx:
        tx.save_program(program, "release", {"release": "name: release\nsteps: []\n"})
        tx.insert_process(state, program)
