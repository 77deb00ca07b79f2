"""The participant registry: confirmed registration, the schema in `boss participants`, launch warnings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import TransportError
from skynet.loader import load_participant
from skynet.registry import register, unregister
from tests.integration.conftest import ROOT, Deployment

GREETER = load_participant(str(ROOT / "etc" / "examples" / "greeter.py"))


def test_a_registration_is_confirmed_and_shows_with_its_params_schema_until_unregistered(local: Deployment) -> None:
    local.start_engine()

    register(local.amqp_url, GREETER, "greeter", "participant.greeter", pool="pool-a", host="host-a")

    (greeter,) = json.loads(local.boss("participants", "--json").stdout)
    assert (greeter["participant"], greeter["pools"], greeter["alive"]) == ("greeter", ["pool-a"], 0)
    assert greeter["params_schema"]["properties"]["who"]["type"] == "string"
    assert greeter["config_keys"] == ["greeting"]
    assert "who" in local.boss("participants").stdout

    unregister(local.amqp_url, "greeter", pool="pool-a", host="host-a")
    assert json.loads(local.boss("participants", "--json").stdout) == []


def test_registering_without_a_running_engine_fails_with_one_line_instead_of_pretending(local: Deployment) -> None:
    local.start_engine()
    local.engine.stop()  # type: ignore[union-attr]

    with pytest.raises(TransportError, match="no answer from the engine"):
        register(local.amqp_url, GREETER, "greeter", "participant.greeter", pool=None, host="h", timeout=1.0)


def test_launching_a_process_whose_participant_is_missing_warns_clearly(local: Deployment) -> None:
    local.start_engine()

    unregistered = local.boss("launch", "hello")
    register(local.amqp_url, GREETER, "greeter", "participant.greeter", pool="pool-a", host="host-a")
    stopped = local.boss("launch", "hello")

    assert "participant 'greeter' is not registered" in unregistered.stderr
    assert "no instance of participant 'greeter' is running (installed in pool-a" in stopped.stderr


def test_validate_checks_params_against_the_registered_schema(local: Deployment, tmp_path: Path) -> None:
    local.start_engine()
    definition = tmp_path / "greet.yaml"
    definition.write_text("name: greet\nsteps:\n  - name: hi\n    greeter: {whom: world}\n")
    assert local.boss("validate", str(definition)).exit_code == 0  # nobody registered greeter yet

    register(local.amqp_url, GREETER, "greeter", "participant.greeter", pool="pool-a", host="host-a")
    result = local.boss("validate", str(definition), expect=2)

    assert result.stderr.strip() == f"{definition}:3 steps[0]: greeter: missing required param 'who'"
    assert local.boss("validate", "--no-registry", str(definition)).exit_code == 0
