"""launchers.client.launch against a real engine: confirmed, refused with the engine's reason, idempotent."""

from __future__ import annotations

import pytest

from engine.config import ConfigError
from engine.errors import TransportError
from launchers.client import LaunchRefused, launch
from tests.integration.conftest import Deployment
from tests.launchers.conftest import launched

pytestmark = pytest.mark.integration


def test_a_launch_returns_the_process_id_once_the_engine_has_stored_it(engine: Deployment) -> None:
    result = launch("launched", {"version": "1.0", "origin": "client"}, amqp_url=engine.amqp_url, signing_key="",
                    by="a-script")

    row = engine.process(result.process_id)  # already in the store: the engine confirmed after its commit
    assert row.state.fields["version"] == "1.0"
    assert engine.wait(result.process_id).state.fields["recorded"] == "1.0 from client"
    assert engine.records(result.process_id, "process.launched")[0].data["by"] == "a-script"


def test_the_same_request_id_launches_once_and_returns_the_first_process(engine: Deployment) -> None:
    first = launch("launched", {"version": "2.0", "origin": "twice"}, request_id="client-test-twice",
                   amqp_url=engine.amqp_url, signing_key="")
    again = launch("launched", {"version": "2.0", "origin": "twice"}, request_id="client-test-twice",
                   amqp_url=engine.amqp_url, signing_key="")

    assert again.process_id == first.process_id
    assert [r.id for r in launched(engine, "twice")] == [first.process_id]


def test_an_unknown_process_is_refused_with_the_engines_reason(engine: Deployment) -> None:
    with pytest.raises(LaunchRefused) as refused:
        launch("no-such-process", {}, amqp_url=engine.amqp_url, signing_key="")

    assert refused.value.process == "no-such-process"
    assert "no-such-process" in refused.value.reason
    assert str(refused.value).startswith("launch of 'no-such-process' refused: ")


def test_invalid_fields_are_refused_before_any_process_exists(engine: Deployment) -> None:
    before = engine.store.count_processes(name="launched")
    with pytest.raises(LaunchRefused, match="version"):
        launch("launched", {"origin": "no-version"}, amqp_url=engine.amqp_url, signing_key="")
    assert engine.store.count_processes(name="launched") == before


def test_settings_not_given_come_from_the_environment(engine: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOSS_AMQP_URL", engine.amqp_url)
    monkeypatch.setenv("BOSS_CONFIG", "/nonexistent/boss.yaml")
    monkeypatch.delenv("BOSS_SIGNING_KEY", raising=False)

    with pytest.raises(ConfigError, match=r"boss\.yaml"):  # the config file named must exist
        launch("launched", {"version": "3.0", "origin": "env"})
    monkeypatch.delenv("BOSS_CONFIG")
    monkeypatch.chdir(engine.workdir)  # no ./etc/boss.yaml here
    result = launch("launched", {"version": "3.0", "origin": "env"})

    assert engine.process(result.process_id).state.fields["origin"] == "env"


def test_an_unreachable_broker_is_a_transport_error_saying_so() -> None:
    with pytest.raises(TransportError, match="cannot reach the broker"):
        launch("launched", {"version": "1"}, amqp_url="amqp://guest:guest@127.0.0.1:1/%2F", signing_key="",
               timeout=2)
