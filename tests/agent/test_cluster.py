"""Acceptance: two pools (two SKYNET_HOMEs and supervisords on one machine, standing in for two hosts).

``skynet list --cluster`` run in pool alpha's environment shows both pools; ``skynet remote`` from there
stops and starts a participant in pool beta, which beta's own supervisord confirms. The agents are the
real ones: started by each pool's supervisord as ``python -m skynet agent``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from skynet.pool import Pool, PoolHome
from skynet.pool.records import InstallRecord, write_record
from tests.conftest import wait_for

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SKYNET = [sys.executable, "-m", "skynet"]
KEY = "cluster-test-key"


def pool_env(home: Path, name: str, amqp_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SKYNET_", "BOSS_"))}
    return {**env, "SKYNET_HOME": str(home), "SKYNET_POOL": name, "BOSS_AMQP_URL": amqp_url,
            "BOSS_SIGNING_KEY": KEY, "SKYNET_AGENT_INTERVAL": "1"}


@pytest.fixture
def pools(amqp_url: str) -> Iterator[dict[str, Pool]]:
    """Pools alpha and beta, up, each running one instance of the greeter example.

    The homes are short directories under /tmp: a unix socket path must stay under ~100 bytes.
    """
    root = Path(tempfile.mkdtemp(prefix="skc-", dir="/tmp"))
    made: dict[str, Pool] = {}
    try:
        for name in ("alpha", "beta"):
            home = PoolHome.at(root / name)
            home.create()
            write_record(home, InstallRecord(name="greeter", spec=str(ROOT / "etc/examples/greeter.py"),
                                             directory=str(ROOT),
                                             env={"BOSS_AMQP_URL": amqp_url, "BOSS_SIGNING_KEY": KEY}))
            made[name] = Pool(home, pool_env(home.root, name, amqp_url))
            made[name].up()
        yield made
    finally:
        with ThreadPoolExecutor() as downs:  # each supervisord takes a second or two to wind down
            list(downs.map(shut_down, made.values()))
        shutil.rmtree(root, ignore_errors=True)


def shut_down(pool: Pool) -> None:
    """``skynet down``; when that fails, SIGKILL supervisord and everything it started."""
    try:
        pid: int | None = int(pool.home.pidfile.read_text())
    except (OSError, ValueError):
        pid = None
    try:
        pool.down()
    except Exception:
        if pid is not None:
            kill_tree(pid)
        raise


def kill_tree(pid: int) -> None:
    children = [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()
                and _parent(entry) == pid]
    for child in children:
        kill_tree(child)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _parent(entry: Path) -> int | None:
    try:
        return int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def skynet(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SKYNET, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=False)


def cluster(env: dict[str, str]) -> dict[str, Any]:
    done = skynet(env, "list", "--cluster", "--json", "--wait", "1")
    assert done.returncode == 0, done.stderr
    return {answer["pool"]: answer for answer in json.loads(done.stdout)}


def greeter_states(pools: dict[str, Any]) -> dict[str, list[str]]:
    return {name: [instance["state"] for program in answer["state"]["programs"] if program["name"] == "greeter"
                   for instance in program["instances"]]
            for name, answer in pools.items() if answer["ok"]}


def test_list_cluster_shows_both_pools_and_a_remote_request_from_one_steers_the_other(pools: dict[str, Pool]):
    alpha_env = pools["alpha"].env

    def both_running() -> dict[str, Any] | None:
        got = cluster(alpha_env)
        return got if greeter_states(got) == {"alpha": ["RUNNING"], "beta": ["RUNNING"]} else None

    seen = wait_for(both_running, timeout=20, what="both pools running greeter")
    assert {answer["host"] for answer in seen.values()} == {os.uname().nodename}
    assert seen["beta"]["state"]["skynet_home"] == str(pools["beta"].home.root)

    stopped = skynet(alpha_env, "remote", "stop", "greeter", "--pool", "beta")
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.startswith("pool beta") and "stop greeter: done" in stopped.stdout
    assert [i.state for i in pools["beta"].status("greeter").instances] == ["STOPPED"]  # beta's supervisord says so
    assert [i.state for i in pools["alpha"].status("greeter").instances] == ["RUNNING"]

    started = skynet(alpha_env, "remote", "start", "greeter", "--pool", "beta", "--json")
    assert started.returncode == 0, started.stderr
    [answer] = json.loads(started.stdout)
    assert answer["ok"] and answer["state"]["programs"][0]["instances"][0]["state"] == "RUNNING"
    assert [i.state for i in pools["beta"].status("greeter").instances] == ["RUNNING"]

    unkeyed = {key: value for key, value in alpha_env.items() if key != "BOSS_SIGNING_KEY"}
    refused = skynet(unkeyed, "remote", "stop", "greeter", "--pool", "beta")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[0].startswith("skynet: pool beta")
    assert "refused: bad or missing signature" in refused.stderr
    assert [i.state for i in pools["beta"].status("greeter").instances] == ["RUNNING"]
