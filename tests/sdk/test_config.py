"""Participant configuration: file < environment, and secrets never printed."""

from __future__ import annotations

import pytest

from skynet.config import describe, load_config, redact
from skynet.errors import ConfigError


@pytest.fixture
def etc(tmp_path):
    (tmp_path / "participants").mkdir()
    return tmp_path


def test_a_missing_default_file_means_empty_config(etc):
    assert load_config("greeter", env={"BOSS_ETC": str(etc)}) == {}


def test_the_file_is_read_from_boss_etc(etc):
    (etc / "participants" / "greeter.yaml").write_text("greeting: hello\nretries: 3\n")
    assert load_config("greeter", env={"BOSS_ETC": str(etc)}) == {"greeting": "hello", "retries": 3}


def test_environment_variables_override_the_file_with_lowercased_keys(etc):
    (etc / "participants" / "greeter.yaml").write_text("greeting: hello\nurl: https://x\n")
    env = {"BOSS_ETC": str(etc), "BOSS_GREETER_GREETING": "hi", "BOSS_GREETER_API_TOKEN": "t0k",
           "BOSS_OTHER_GREETING": "no", "BOSS_GREETER_": "ignored"}
    assert load_config("greeter", env=env) == {"greeting": "hi", "url": "https://x", "api_token": "t0k"}


def test_a_dashed_name_maps_to_underscores_in_variables(etc):
    env = {"BOSS_ETC": str(etc), "BOSS_JIRA_CLOUD_TOKEN": "t"}
    assert load_config("jira-cloud", env=env) == {"token": "t"}


def test_an_explicit_file_wins_over_the_default_and_must_exist(etc, tmp_path):
    (etc / "participants" / "greeter.yaml").write_text("greeting: default\n")
    own = tmp_path / "own.yaml"
    own.write_text("greeting: own\n")
    assert load_config("greeter", config_file=own, env={"BOSS_ETC": str(etc)}) == {"greeting": "own"}
    with pytest.raises(ConfigError, match="no such config file"):
        load_config("greeter", config_file=tmp_path / "missing.yaml", env={})


def test_malformed_yaml_is_a_one_line_error_with_the_line(etc):
    path = etc / "participants" / "greeter.yaml"
    path.write_text("greeting: hello\nbad: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        load_config("greeter", env={"BOSS_ETC": str(etc)})
    assert str(caught.value).startswith(f"{path}:")
    assert "not valid YAML" in str(caught.value) and "\n" not in str(caught.value)


def test_a_file_that_is_not_a_mapping_is_refused(etc):
    (etc / "participants" / "greeter.yaml").write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config("greeter", env={"BOSS_ETC": str(etc)})


def test_an_empty_file_is_empty_config(etc):
    (etc / "participants" / "greeter.yaml").write_text("# nothing yet\n")
    assert load_config("greeter", env={"BOSS_ETC": str(etc)}) == {}


def test_secret_values_are_redacted_even_when_nested():
    config = {"url": "https://x", "api_token": "t", "Password": "p", "client": {"secret": "s", "id": 1},
              "ssh_key": "k"}
    assert redact(config) == {"url": "https://x", "api_token": "***", "Password": "***",
                              "client": {"secret": "***", "id": 1}, "ssh_key": "***"}
    assert describe({"greeting": "hi", "token": "t"}) == "greeting='hi', token=***"
    assert describe({}) == "(none)"
