"""The real pool as the agent's backend: what it says when the pool is down or a name is unknown.

The acceptance test (test_cluster.py) covers it with supervisord running; these need no supervisord.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from skynet.agent import PoolActionError
from skynet.agent.supervisor import POOL_DOWN, SupervisorBackend
from skynet.pool import PoolHome
from skynet.pool.records import InstallRecord, write_record


def backend(tmp_path: Path) -> SupervisorBackend:
    home = PoolHome.at(tmp_path / "p")
    home.create()
    write_record(home, InstallRecord(name="greeter", spec="greeter.py", directory=str(tmp_path)))
    return SupervisorBackend.of(home.root, "p")


def test_a_pool_that_is_down_lists_its_programs_without_instances_and_says_why(tmp_path: Path):
    snapshot = backend(tmp_path).snapshot()
    assert snapshot.error == POOL_DOWN
    assert [(program.name, program.instances, program.queue) for program in snapshot.programs] == [
        ("greeter", [], "participant.greeter")]


def test_an_action_on_an_unknown_participant_fails_with_the_pools_reason(tmp_path: Path):
    with pytest.raises(PoolActionError, match="no participant 'nosuch' is installed"):
        backend(tmp_path).control("stop", ["nosuch"])


def test_an_action_on_a_pool_that_is_down_says_so(tmp_path: Path):
    with pytest.raises(PoolActionError, match="skynet up"):
        backend(tmp_path).control("start", ["greeter"])
