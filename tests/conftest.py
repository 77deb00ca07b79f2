"""Fixtures every suite shares: a fresh RabbitMQ vhost and a fresh PostgreSQL schema per test.

Integration tests need the real broker at 127.0.0.1:5672 and PostgreSQL (``./dev test`` installs and
starts both); they fail, not skip, when one is missing. Creating a vhost with rabbitmqctl costs about a
second, so vhosts are made in batches with one ``rabbitmqctl eval`` (plain commands when eval is refused);
each test still gets its own vhost, and all of them are deleted when the session ends.

PostgreSQL isolation: every test gets a fresh schema ``boss_t_<random>`` in the test database, and a
store URL whose ``options=-csearch_path=<schema>`` (a libpq connection parameter that psycopg passes
through) makes every connection of the store see only that schema. The schema is dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import psycopg
import pytest

from engine.store import mask

HOST, PORT = "127.0.0.1", 5672
BATCH = 8


def rabbitmqctl(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=60, check=check)


def _erlang_list(names: list[str]) -> str:
    return "[" + ", ".join(f'<<"{name}">>' for name in names) + "]"


class Vhosts:
    """Hands out fresh vhosts, created a batch at a time, and deletes them all at the end."""

    def __init__(self) -> None:
        self.spare: list[str] = []
        self.created: list[str] = []

    def take(self) -> str:
        if not self.spare:
            self._create([f"boss-t-{secrets.token_hex(4)}" for _ in range(BATCH)])
        return self.spare.pop()

    def _create(self, names: list[str]) -> None:
        code = (f"[begin rabbit_vhost:add(V, <<\"boss-tests\">>), rabbit_auth_backend_internal:set_permissions("
                f"<<\"guest\">>, V, <<\".*\">>, <<\".*\">>, <<\".*\">>, <<\"boss-tests\">>) end "
                f"|| V <- {_erlang_list(names)}], ok.")
        if rabbitmqctl("eval", code, check=False).returncode != 0:
            for name in names:
                rabbitmqctl("add_vhost", name)
                rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        self.created.extend(names)
        self.spare.extend(names)

    def delete_all(self) -> None:
        if not self.created:
            return
        code = f"[rabbit_vhost:delete(V, <<\"boss-tests\">>) || V <- {_erlang_list(self.created)}], ok."
        if rabbitmqctl("eval", code, check=False).returncode != 0:
            for name in self.created:
                rabbitmqctl("delete_vhost", name, check=False)


@pytest.fixture(scope="session")
def vhosts() -> Iterator[Vhosts]:
    try:
        socket.create_connection((HOST, PORT), timeout=3).close()
    except OSError as exc:
        pytest.fail(f"RabbitMQ is not reachable at {HOST}:{PORT} ({exc}): start it (./dev test does) "
                    "to run the integration tests", pytrace=False)
    if shutil.which("rabbitmqctl") is None:
        pytest.fail("rabbitmqctl is not on PATH: the integration tests create vhosts with it", pytrace=False)
    pool = Vhosts()
    yield pool
    pool.delete_all()


@pytest.fixture
def vhost(vhosts: Vhosts) -> str:
    """The name of a fresh vhost of this test."""
    return vhosts.take()


@pytest.fixture
def amqp_url(vhost: str) -> str:
    return f"amqp://guest:guest@{HOST}:{PORT}/{vhost}"


DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_admin_url() -> str:
    return os.environ.get("BOSS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def with_search_path(url: str, schema: str) -> str:
    """The URL with ``options=-csearch_path=<schema>`` added to its query."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}', safe='-')}"


@pytest.fixture(scope="session")
def postgres() -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """An autocommit admin connection to the test database (fails the test when unreachable)."""
    url = postgres_admin_url()
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        pytest.fail(f"PostgreSQL is not reachable at {mask(url)} ({first}): start it, or point "
                    "BOSS_TEST_POSTGRES_URL at a database the tests may create schemas in", pytrace=False)
    yield conn
    conn.close()


@pytest.fixture
def pg_url(postgres: psycopg.Connection[tuple[object, ...]]) -> Iterator[str]:
    """A store URL confined to a fresh schema, dropped after the test."""
    schema = f"boss_t_{secrets.token_hex(6)}"
    postgres.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield with_search_path(postgres_admin_url(), schema)
    finally:
        postgres.execute(f'DROP SCHEMA "{schema}" CASCADE')




def wait_for(condition: Callable[[], Any], timeout: float = 5.0, what: str = "a condition") -> Any:
    """Poll until ``condition()`` is truthy; return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)
