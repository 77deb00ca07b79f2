"""Reconciling a real supervisord with its config files, as ``supervisorctl update`` does.

The programs here are plain ``sleep`` commands written straight into ``programs/``: what is tested is the
algorithm (added, changed, removed, untouched), not participants.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from skynet.pool import PoolHome, daemon
from skynet.pool.apply import reconcile, render_all
from skynet.pool.home import write_atomic
from skynet.pool.programs import render_supervisord
from skynet.pool.records import InstallRecord
from skynet.pool.supervisor import Supervisor
from tests.pool.conftest import kill_tree


def sleeper(name: str, instances: int = 1, seconds: int = 300) -> str:
    return (f"[program:{name}]\ncommand = sleep {seconds}\nprocess_name = %(program_name)s-%(process_num)d\n"
            f"numprocs = {instances}\nstartsecs = 0\nautostart = true\n"
            # supervisord loses a SIGTERM sent between fork and exec: never wait long for a sleeper
            "stopwaitsecs = 1\n")


@pytest.fixture
def supervisor(home: Path) -> Iterator[tuple[PoolHome, Supervisor]]:
    """A bare supervisord (no agent, no participants) in a fresh pool directory."""
    pool_home = PoolHome(home)
    pool_home.create()
    write_atomic(pool_home.supervisord_conf, render_supervisord(pool_home, "apply-test", agent=False))
    pid = daemon.start(pool_home, os.environ)
    client = Supervisor(pool_home.socket)
    try:
        yield pool_home, client
    finally:
        client.close()
        try:
            daemon.stop(pool_home, timeout=10)
        finally:
            kill_tree(pid)


def pids(client: Supervisor, group: str) -> dict[str, int]:
    return {info["name"]: info["pid"] for info in client.processes() if info["group"] == group}


def test_an_added_program_is_started(supervisor: tuple[PoolHome, Supervisor]) -> None:
    home, client = supervisor
    write_atomic(home.program_file("a"), sleeper("a", 2))
    result = reconcile(client)
    assert result.added == ("a",) and not result.changed and not result.removed and not result.problems
    client.start_group("a", True)  # addProcessGroup starts autostart programs asynchronously; wait for them
    assert sorted(pids(client, "a")) == ["a-0", "a-1"] and all(pids(client, "a").values())


def test_a_changed_program_is_restarted_with_its_new_definition(supervisor: tuple[PoolHome, Supervisor]) -> None:
    home, client = supervisor
    write_atomic(home.program_file("a"), sleeper("a", 1))
    reconcile(client)
    client.start_group("a", True)
    before = pids(client, "a")
    write_atomic(home.program_file("a"), sleeper("a", 2))
    result = reconcile(client)
    assert result.changed == ("a",) and not result.added and not result.removed
    client.start_group("a", True)
    after = pids(client, "a")
    assert sorted(after) == ["a-0", "a-1"] and after["a-0"] != before["a-0"]


def test_a_removed_program_is_stopped_and_dropped(supervisor: tuple[PoolHome, Supervisor]) -> None:
    home, client = supervisor
    write_atomic(home.program_file("a"), sleeper("a"))
    write_atomic(home.program_file("b"), sleeper("b"))
    reconcile(client)
    client.start_group("a", True)
    old = pids(client, "a")["a-0"]
    home.program_file("a").unlink()
    result = reconcile(client)
    assert result.removed == ("a",) and not result.added and not result.changed
    assert {info["group"] for info in client.processes()} == {"b"}
    with pytest.raises(ProcessLookupError):
        os.kill(old, 0)


def test_an_unchanged_program_is_left_running_and_a_second_apply_does_nothing(
        supervisor: tuple[PoolHome, Supervisor]) -> None:
    home, client = supervisor
    write_atomic(home.program_file("a"), sleeper("a"))
    reconcile(client)
    client.start_group("a", True)
    before = pids(client, "a")
    write_atomic(home.program_file("b"), sleeper("b"))
    result = reconcile(client)
    assert result.added == ("b",) and not result.changed
    assert pids(client, "a") == before
    assert not reconcile(client).touched


def test_render_all_writes_only_what_changed_and_removes_programs_without_a_record(tmp_path: Path) -> None:
    home = PoolHome(tmp_path)
    home.create()
    records = [InstallRecord(name=name, spec=f"/p/{name}.py", directory="/p") for name in ("a", "b")]
    assert sorted(render_all(home, records, "p", agent=False)) == ["a.ini", "b.ini", "supervisord.conf"]
    assert render_all(home, records, "p", agent=False) == []
    assert render_all(home, records[:1], "p", agent=False) == ["b.ini"]
    assert sorted(path.name for path in home.programs.iterdir()) == ["a.ini"]
    assert (home.program_file("a").stat().st_mode & 0o777) == 0o600
