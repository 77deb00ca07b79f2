"""The agent's settings: agent.yaml < environment < flags, and the pool name the pool itself uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import BossError
from skynet.agent import load_settings
from skynet.agent.settings import DEFAULT_INTERVAL


def test_defaults_name_the_pool_after_the_host_and_allow_every_action(tmp_path: Path):
    settings = load_settings({"SKYNET_HOME": str(tmp_path)})
    assert settings.home == tmp_path and settings.interval == DEFAULT_INTERVAL
    assert settings.allow == {"start", "stop", "restart", "enable", "disable"}
    assert settings.pool and "." not in settings.pool and settings.signing_key is None


def test_the_pool_name_comes_from_the_flag_then_skynet_pool_then_pool_yaml(tmp_path: Path):
    (tmp_path / "pool.yaml").write_text("name: from-file\n")
    env = {"SKYNET_HOME": str(tmp_path)}
    assert load_settings(env).pool == "from-file"
    assert load_settings({**env, "SKYNET_POOL": "from-env"}).pool == "from-env"
    assert load_settings({**env, "SKYNET_POOL": "from-env"}, pool="from-flag").pool == "from-flag"


@pytest.mark.parametrize("name", ["all", "a.b", "-x", ""])
def test_a_pool_name_that_cannot_be_a_routing_word_is_refused(tmp_path: Path, name: str):
    with pytest.raises(BossError, match="invalid pool name"):
        load_settings({"SKYNET_HOME": str(tmp_path)}, pool=name or "   ")


def test_agent_yaml_is_overridden_by_the_environment_then_by_flags(tmp_path: Path):
    (tmp_path / "agent.yaml").write_text("interval: 3\nallow: [start, restart]\nmax_age: 20\n")
    env = {"SKYNET_HOME": str(tmp_path)}
    settings = load_settings(env)
    assert (settings.interval, settings.allow, settings.max_age) == (3, {"start", "restart"}, 20)
    settings = load_settings({**env, "SKYNET_AGENT_INTERVAL": "4", "SKYNET_AGENT_ALLOW": "stop"})
    assert (settings.interval, settings.allow) == (4, {"stop"})
    assert load_settings({**env, "SKYNET_AGENT_INTERVAL": "4"}, interval=0.5).interval == 0.5


def test_allow_none_makes_a_read_only_pool(tmp_path: Path):
    assert load_settings({"SKYNET_HOME": str(tmp_path), "SKYNET_AGENT_ALLOW": "none"}).allow == frozenset()


def test_bad_settings_are_one_line_errors_that_say_where(tmp_path: Path):
    env = {"SKYNET_HOME": str(tmp_path)}
    with pytest.raises(BossError, match="unknown action reboot"):
        load_settings({**env, "SKYNET_AGENT_ALLOW": "start,reboot"})
    with pytest.raises(BossError, match=r"agent setting interval: .*greater than 0"):
        load_settings({**env, "SKYNET_AGENT_INTERVAL": "0"})
    (tmp_path / "agent.yaml").write_text("intervall: 3\n")
    with pytest.raises(BossError, match=r"agent.yaml: unknown setting intervall \(the file may set interval"):
        load_settings(env)


def test_the_broker_key_and_own_program_come_from_the_environment(tmp_path: Path):
    settings = load_settings({"SKYNET_HOME": str(tmp_path), "BOSS_AMQP_URL": "amqp://x/v", "BOSS_SIGNING_KEY": "s3cret",
                              "SUPERVISOR_GROUP_NAME": "skynet-agent"})
    assert (settings.amqp_url, settings.signing_key, settings.own_program) == ("amqp://x/v", "s3cret", "skynet-agent")
    assert "s3cret" not in repr(settings)
