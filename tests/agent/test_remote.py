"""``skynet remote`` over the broker, in-process: exit codes and lines for done, failed, refused, unheard."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner, Result

from skynet.cli import cli
from tests.agent.conftest import StartAgent

pytestmark = pytest.mark.integration


def remote(amqp_url: str, *args: str, key: str | None = None) -> Result:
    env = {"BOSS_AMQP_URL": amqp_url, "BOSS_SIGNING_KEY": key or ""}
    return CliRunner().invoke(cli, ["remote", *args], env=env)


def test_remote_prints_the_new_state_and_exits_0_when_done(start_agent: StartAgent, amqp_url: str):
    start_agent("alpha")
    result = remote(amqp_url, "stop", "sleeper", "--pool", "alpha")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "pool alpha (testhost): stop sleeper: done"
    assert lines[2].split()[:6] == ["alpha", "testhost", "sleeper", "yes", "0/1", "STOPPED"]


def test_remote_exits_1_when_the_action_failed(start_agent: StartAgent, amqp_url: str):
    start_agent("alpha")
    result = remote(amqp_url, "start", "nosuch", "--pool", "alpha")
    assert result.exit_code == 1
    assert result.output == (
        "skynet: pool alpha (testhost): start nosuch: failed: no program named nosuch in pool alpha\n")


def test_remote_to_every_pool_waits_for_each_and_exits_2_when_one_refused(start_agent: StartAgent, amqp_url: str):
    _, alpha = start_agent("alpha")
    _, beta = start_agent("beta", allow=frozenset({"start"}))
    result = remote(amqp_url, "restart", "sleeper", "--pool", "all")
    assert result.exit_code == 2
    assert "skynet: pool beta (testhost): restart sleeper: refused: action restart is not allowed" in result.output
    assert result.output.startswith("pool alpha (testhost): restart sleeper: done")
    assert alpha.done == [("restart", ("sleeper",))] and beta.done == []


def test_remote_with_another_key_than_the_pools_exits_2_at_once(start_agent: StartAgent, amqp_url: str):
    start_agent("alpha", signing_key="k1")
    started = time.monotonic()
    result = remote(amqp_url, "stop", "sleeper", "--pool", "alpha", key="k2")
    assert time.monotonic() - started < 5
    assert result.exit_code == 2
    assert "not signed with our BOSS_SIGNING_KEY: that pool's key differs" in result.output
    assert "no answer" not in result.output


def test_remote_to_every_pool_when_none_is_up_says_so(amqp_url: str):
    result = remote(amqp_url, "stop", "sleeper", "--pool", "all")
    assert result.exit_code == 2
    assert result.output == "skynet: no pool agent answered within 1s (is any pool up?)\n"
