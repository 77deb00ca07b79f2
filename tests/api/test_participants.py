"""Participants (from the store) and pools (from their agents): listed, shown, started, stopped, restarted."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from skynet.agent import Agent, AgentSettings, MemoryBackend
from tests.api.conftest import Api
from tests.conftest import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def pool(api: Api, tmp_path: Path) -> Iterator[MemoryBackend]:
    """A pool agent ``alpha`` over an in-memory pool with a program ``sleeper``, on the deployment's vhost."""
    assert api.deployment is not None
    backend = MemoryBackend("alpha")
    backend.add("sleeper")
    agent = Agent(AgentSettings(pool="alpha", host="testhost", home=tmp_path / "alpha",
                                amqp_url=api.deployment.amqp_url, interval=60.0,
                                allow=frozenset({"start", "stop", "restart"})), backend)
    thread = threading.Thread(target=agent.run, name="agent-alpha", daemon=True)
    thread.start()
    wait_for(lambda: api.get("/api/pools?wait=0.3").json()["items"], 10, "the agent to answer")
    yield backend
    agent.stop()
    thread.join(5)


def test_participants_lists_the_echo_participant_with_its_live_instance(api: Api):
    listed = api.get("/api/participants").json()
    echo = next(p for p in listed["items"] if p["participant"] == "echo")
    assert echo["queue"] == "participant.echo" and echo["alive"] == 1
    instance = echo["instances"][0]
    assert instance["state"] == "alive" and instance["pid"] and instance["last_seen"]
    shown = api.get("/api/participants/echo").json()
    assert shown["participant"] == "echo" and [i["instance"] for i in shown["instances"]] == [instance["instance"]]


def test_participants_are_paged_by_name(api: Api):
    page = api.get("/api/participants?limit=1").json()
    assert len(page["items"]) == 1 and page["next"] is None  # one participant only
    assert api.get("/api/participants?limit=0").status_code == 422


def test_an_unknown_participant_is_404(api: Api):
    answer = api.get("/api/participants/nosuch")
    assert answer.status_code == 404
    assert answer.json()["error"]["message"] == "no participant 'nosuch' is registered (see GET /api/participants)"


def test_pools_lists_every_connected_pool_with_its_programs(api: Api, pool: MemoryBackend):
    listed = api.get("/api/pools?wait=0.5").json()
    alpha = next(a for a in listed["items"] if a["pool"] == "alpha")
    assert alpha["host"] == "testhost" and alpha["ok"] is True
    assert [p["name"] for p in alpha["state"]["programs"]] == ["sleeper"]
    assert listed["unverified"] == 0


def test_a_pool_program_is_restarted_and_stopped_through_the_api(api: Api, pool: MemoryBackend):
    answer = api.post("/api/pools/alpha/restart", {"programs": ["sleeper"], "wait": 10})
    assert answer.status_code == 200, answer.text
    assert answer.json()["items"][0]["pool"] == "alpha" and answer.json()["items"][0]["ok"] is True
    assert api.post("/api/pools/all/stop", {"programs": ["sleeper"], "wait": 10}).status_code == 200
    assert pool.done == [("restart", ("sleeper",)), ("stop", ("sleeper",))]


def test_a_pool_action_the_agent_refuses_or_fails_is_409_with_its_answer(api: Api, pool: MemoryBackend):
    refused = api.post("/api/pools/alpha/disable", {"programs": ["sleeper"], "wait": 10})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "refused" and "not allowed" in refused.json()["error"]["message"]
    assert refused.json()["error"]["detail"][0]["refused"] is True
    failed = api.post("/api/pools/alpha/start", {"programs": ["nosuch"], "wait": 10})
    assert failed.status_code == 409 and failed.json()["error"]["code"] == "failed"
    assert pool.done == []


def test_a_pool_nobody_serves_is_404(api: Api):
    answer = api.post("/api/pools/nowhere/restart", {"programs": ["echo"], "wait": 2})
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "no_agent"


@pytest.mark.parametrize(("path", "body"), [
    ("/api/pools/alpha/explode", {"programs": ["x"]}),
    ("/api/pools/bad.name/stop", {"programs": ["x"]}),
    ("/api/pools/alpha/stop", {"programs": []}),
    ("/api/pools/alpha/stop", {"programs": ["x"], "wait": 0}),
])  # fmt: skip
def test_a_bad_pool_request_is_422(api: Api, path: str, body: dict[str, object]):
    answer = api.post(path, body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid"
