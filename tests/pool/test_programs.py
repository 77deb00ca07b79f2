"""Rendering supervisord's config from install records: exact, deterministic, read back unchanged by supervisor."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from supervisor.options import ServerOptions, UnhosedConfigParser

from skynet.pool.checks import absolute_spec
from skynet.pool.errors import PoolError
from skynet.pool.home import PoolHome
from skynet.pool.programs import install_environment, render_program, render_supervisord
from skynet.pool.records import InstallRecord


def parsed(text: str, home: PoolHome, name: str) -> list:
    """The process configs supervisord itself makes of a rendered program section."""
    home.logs.mkdir(parents=True, exist_ok=True)
    parser = UnhosedConfigParser()
    parser.read_string(text)
    options = ServerOptions()
    options.configfile = str(home.supervisord_conf)
    return options.processes_from_section(parser, f"program:{name}", name)


def record(**values: object) -> InstallRecord:
    return InstallRecord.model_validate({"name": "worker", "spec": "/srv/p/worker.py", "directory": "/srv/p",
                                         **values})


def test_each_instance_runs_skynet_run_with_the_records_spec_name_queue_and_config(tmp_path: Path) -> None:
    home = PoolHome(tmp_path)
    text = render_program(record(instances=3, queue="q.work", config="/etc/boss/w.yaml"), home, "/venv/bin/python")
    processes = parsed(text, home, "worker")
    assert [p.name for p in processes] == ["worker-0", "worker-1", "worker-2"]
    assert shlex.split(processes[1].command) == ["/venv/bin/python", "-m", "skynet", "run", "/srv/p/worker.py",
                                                 "--name", "worker", "--queue", "q.work", "--config",
                                                 "/etc/boss/w.yaml"]
    assert processes[1].environment["SKYNET_INSTANCE_NUM"] == "1"
    assert processes[1].environment["SKYNET_STATUS_FILE"] == str(home.status / "worker-1.json")
    assert processes[1].stdout_logfile == str(home.logs / "worker-1.log")
    assert processes[1].redirect_stderr and processes[1].directory == "/srv/p"
    assert processes[1].stopsignal == 15 and processes[1].stopwaitsecs >= 45  # the runtime's grace + flush


def test_environment_values_with_commas_quotes_percent_and_spaces_survive_supervisors_parser(tmp_path: Path) -> None:
    home = PoolHome(tmp_path)
    env = {"BOSS_AMQP_URL": "amqps://u:p%2Cw@h:5671/v,x", "BOSS_WORKER_TOKEN": 'a"b c=d', "BOSS_ETC": "/etc/b oss"}
    processes = parsed(render_program(record(env=env), home), home, "worker")
    assert {key: processes[0].environment[key] for key in env} == env


@pytest.mark.parametrize("value", ["line\nbreak", "it's \"quoted\"", "x ;comment", "x #comment"])
def test_a_value_supervisor_cannot_hold_is_refused_naming_the_variable_not_the_value(tmp_path: Path,
                                                                                      value: str) -> None:
    with pytest.raises(PoolError, match="BOSS_WORKER_TOKEN") as caught:
        render_program(record(env={"BOSS_WORKER_TOKEN": value}), PoolHome(tmp_path))
    assert value not in str(caught.value)


def test_an_install_keeps_the_broker_the_key_the_etc_and_the_participants_own_variables() -> None:
    env = {"BOSS_AMQP_URL": "amqp://x", "BOSS_SIGNING_KEY": "k", "BOSS_ETC": "/etc/boss", "BOSS_STORE_URL": "db",
           "BOSS_WORKER_TOKEN": "t", "BOSS_OTHER_TOKEN": "o", "HOME": "/root", "BOSS_API_TOKEN": ""}
    assert install_environment("worker", env) == {"BOSS_AMQP_URL": "amqp://x", "BOSS_ETC": "/etc/boss",
                                                  "BOSS_SIGNING_KEY": "k", "BOSS_WORKER_TOKEN": "t"}
    assert install_environment("jira-cloud", {"BOSS_JIRA_CLOUD_TOKEN": "j"}) == {"BOSS_JIRA_CLOUD_TOKEN": "j"}


def test_a_disabled_participant_neither_autostarts_nor_autorestarts(tmp_path: Path) -> None:
    home = PoolHome(tmp_path)
    enabled = parsed(render_program(record(), home), home, "worker")[0]
    disabled = parsed(render_program(record(enabled=False), home), home, "worker")[0]
    assert enabled.autostart and enabled.autorestart
    assert not disabled.autostart and not disabled.autorestart


def test_a_user_is_set_only_when_installed_with_one(tmp_path: Path) -> None:
    home = PoolHome(tmp_path)
    assert "user =" not in render_program(record(), home)
    assert "\nuser = nobody\n" in render_program(record(user="nobody"), home)


def test_rendering_is_byte_for_byte_the_same_each_time(tmp_path: Path) -> None:
    home = PoolHome(tmp_path)
    assert render_program(record(env={"BOSS_AMQP_URL": "amqp://x"}), home) == render_program(
        record(env={"BOSS_AMQP_URL": "amqp://x"}), home)
    assert render_supervisord(home, "p", agent=True) == render_supervisord(home, "p", agent=True)


def test_supervisord_conf_includes_the_programs_and_runs_the_agent_only_when_asked(tmp_path: Path) -> None:
    home = PoolHome(tmp_path)
    with_agent = render_supervisord(home, "build1", agent=True, python="/venv/bin/python")
    assert f"files = {home.programs}/*.ini" in with_agent
    assert f"file = {home.socket}" in with_agent and "chmod = 0700" in with_agent
    assert "[program:skynet-agent]\ncommand = /venv/bin/python -m skynet agent\n" in with_agent
    assert 'SKYNET_POOL="build1"' in with_agent
    assert "skynet-agent" not in render_supervisord(home, "build1", agent=False)


def test_a_file_spec_is_made_absolute_and_keeps_its_class(tmp_path: Path) -> None:
    assert absolute_spec("specs/w.py:Worker", tmp_path) == f"{tmp_path}/specs/w.py:Worker"
    assert absolute_spec("w.py", tmp_path) == f"{tmp_path}/w.py"
    assert absolute_spec("/abs/w.py", tmp_path) == "/abs/w.py"
    assert absolute_spec("package.module:Class", tmp_path) == "package.module:Class"
    assert absolute_spec("jira", tmp_path) == "jira"
