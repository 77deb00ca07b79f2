"""The pool agent over the real broker, with an in-memory pool: states, actions, answers, refusals."""

from __future__ import annotations

import logging
import subprocess
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pika  # type: ignore[import-untyped, unused-ignore]
import pytest

from engine.transport import topology
from engine.transport.pool_messages import PoolControl, PoolControlAnswer, pool_control_route
from engine.transport.signing import SIGNATURE_HEADER, sign, verify
from skynet.agent import Agent, AgentSettings, ClusterClient, MemoryBackend, NoAgent
from tests.agent.conftest import Events, StartAgent
from tests.conftest import wait_for

pytestmark = pytest.mark.integration


class Raw:
    """A requester that sends hand-made bodies and headers, for what ClusterClient would never send."""

    def __init__(self, url: str) -> None:
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel = self.connection.channel()
        self.answers: list[tuple[PoolControlAnswer, dict[str, Any]]] = []
        self.channel.basic_consume(topology.DIRECT_REPLY_TO, lambda _c, _m, properties, body: self.answers.append(
            (PoolControlAnswer.decode(body), dict(properties.headers or {}))), auto_ack=True)

    def send(self, pool: str, body: bytes, *, headers: dict[str, Any] | None = None,
             reply_to: str | None = topology.DIRECT_REPLY_TO) -> None:
        properties = pika.BasicProperties(reply_to=reply_to, headers=headers)
        self.channel.basic_publish(topology.CONTROL_EXCHANGE, pool_control_route(pool), body, properties)

    def wait(self, count: int, timeout: float = 5.0) -> list[PoolControlAnswer]:
        deadline = time.monotonic() + timeout
        while len(self.answers) < count and time.monotonic() < deadline:
            self.connection.process_data_events(time_limit=0.05)
        assert len(self.answers) >= count, f"expected {count} answers, got {len(self.answers)}"
        return [answer for answer, _ in self.answers]

    def settle(self, seconds: float = 0.5) -> list[PoolControlAnswer]:
        self.connection.process_data_events(time_limit=seconds)
        return [answer for answer, _ in self.answers]

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def raw(amqp_url: str):
    requester = Raw(amqp_url)
    yield requester
    requester.close()


def control(pool: str = "alpha", action: str = "stop", programs: tuple[str, ...] = ("sleeper",),
            sent_at: datetime | None = None) -> PoolControl:
    return PoolControl(request_id=uuid.uuid4().hex, pool=pool, action=action, programs=list(programs),
                       by="tests", sent_at=sent_at or datetime.now(UTC))


def test_the_agent_publishes_its_pool_state_every_interval(start_agent: StartAgent, events: Events):
    start_agent("alpha", interval=0.2)
    states = events.wait(lambda got: len(got) >= 3, what="three states")
    assert all(state.pool == "alpha" and state.host == "testhost" and state.agent == "running" for state in states)
    assert [state.sent_at for state in states] == sorted(state.sent_at for state in states)
    program = states[-1].programs[0]
    assert (program.name, program.enabled, program.running, program.instances[0].state) == (
        "sleeper", True, 1, "RUNNING")


def test_a_control_request_runs_the_action_and_answers_with_the_new_state(
        start_agent: StartAgent, client: ClusterClient, events: Events):
    _, backend = start_agent("alpha")
    gathered = client.request("alpha", "stop", ["sleeper"], wait=5)
    [answer] = gathered.answers
    assert (answer.ok, answer.refused, answer.error, answer.pool) == (True, False, None, "alpha")
    assert answer.state is not None and answer.state.programs[0].instances[0].state == "STOPPED"
    assert backend.done == [("stop", ("sleeper",))]
    events.wait(lambda got: got[-1].programs[0].running == 0, what="a state published right after the action")
    [answer] = client.request("alpha", "disable", ["sleeper"], wait=5).answers
    assert answer.ok and answer.state is not None and not answer.state.programs[0].enabled


def test_a_report_reaches_every_pool_and_an_action_only_its_target(start_agent: StartAgent, client: ClusterClient):
    _, alpha = start_agent("alpha")
    _, beta = start_agent("beta")
    report = client.report(wait=5, expect=2)
    assert sorted(answer.pool for answer in report.answers) == ["alpha", "beta"]
    assert all(answer.ok and answer.state is not None for answer in report.answers)
    [answer] = client.request("beta", "restart", ["sleeper"], wait=5).answers
    assert answer.pool == "beta" and answer.ok
    assert (alpha.done, beta.done) == ([], [("restart", ("sleeper",))])


def test_a_request_whose_body_names_another_pool_is_ignored(start_agent: StartAgent, raw: Raw):
    _, alpha = start_agent("alpha")
    raw.send("alpha", control(pool="beta").encode())  # routed to alpha, but the (signed) body says beta
    assert raw.settle() == [] and alpha.done == []


def test_a_request_to_a_pool_without_an_agent_fails_at_once(start_agent: StartAgent, client: ClusterClient):
    start_agent("alpha")
    started = time.monotonic()
    with pytest.raises(NoAgent, match="no agent of pool gamma is connected"):
        client.request("gamma", "stop", ["sleeper"], wait=5)
    assert time.monotonic() - started < 2


def test_an_unknown_program_fails_with_the_reason(start_agent: StartAgent, client: ClusterClient):
    start_agent("alpha")
    [answer] = client.request("alpha", "start", ["nosuch"], wait=5).answers
    assert (answer.ok, answer.refused) == (False, False)
    assert answer.error == "no program named nosuch in pool alpha"


def test_an_unsigned_request_is_refused_when_a_key_is_set(start_agent: StartAgent, client: ClusterClient):
    _, backend = start_agent("alpha", signing_key="k1")
    [answer] = client.request("alpha", "stop", ["sleeper"], wait=5).answers
    assert (answer.ok, answer.refused) == (False, True)
    assert "bad or missing signature" in (answer.error or "")
    [report] = client.request("alpha", "report", [], wait=5).answers
    assert report.refused and report.state is None
    assert backend.done == []


def test_a_request_signed_with_another_key_is_refused(start_agent: StartAgent, amqp_url: str):
    _, backend = start_agent("alpha", signing_key="k1")
    with ClusterClient(amqp_url, signing_key="k2") as wrong:
        gathered = wrong.request("alpha", "stop", ["sleeper"], wait=1)
    assert gathered.answers == [] and gathered.unverified == 1  # the refusal is signed with k1: not believed
    assert backend.done == []


def test_a_signed_request_is_carried_out_and_every_message_of_the_agent_is_signed(
        start_agent: StartAgent, amqp_url: str, events: Events):
    _, backend = start_agent("alpha", signing_key="k1")
    with ClusterClient(amqp_url, signing_key="k1") as keyed:
        gathered = keyed.request("alpha", "stop", ["sleeper"], wait=5)
    assert [answer.ok for answer in gathered.answers] == [True] and gathered.unverified == 0
    assert backend.done == [("stop", ("sleeper",))]
    events.states()
    assert events.seen and all(verify("k1", state.encode(), headers.get(SIGNATURE_HEADER))
                               for state, headers in events.seen)


def test_an_action_outside_the_allow_list_is_refused_but_a_report_is_answered(
        start_agent: StartAgent, client: ClusterClient):
    _, backend = start_agent("alpha", allow=frozenset({"start"}))
    [answer] = client.request("alpha", "stop", ["sleeper"], wait=5).answers
    assert answer.refused and answer.error == (
        "action stop is not allowed on pool alpha (allowed: start; see SKYNET_AGENT_ALLOW)")
    assert backend.done == []
    [report] = client.request("alpha", "report", [], wait=5).answers
    assert report.ok and report.state is not None


def test_a_replayed_or_stale_request_is_refused(start_agent: StartAgent, raw: Raw):
    _, backend = start_agent("alpha", signing_key="k1")
    body = control().encode()
    raw.send("alpha", body, headers={SIGNATURE_HEADER: sign("k1", body)})
    raw.send("alpha", body, headers={SIGNATURE_HEADER: sign("k1", body)})
    stale = control(sent_at=datetime.now(UTC) - timedelta(minutes=5)).encode()
    raw.send("alpha", stale, headers={SIGNATURE_HEADER: sign("k1", stale)})
    errors = sorted(answer.error or "" for answer in raw.wait(3))
    assert errors[0] == "" and "already handled" in errors[1] and "is 300s old" in errors[2]
    assert backend.done == [("stop", ("sleeper",))]


def test_answers_go_only_to_direct_reply_to_addresses(start_agent: StartAgent, raw: Raw, amqp_url: str):
    start_agent("alpha")
    raw.channel.queue_declare("victim")
    raw.send("alpha", control(action="report").encode(), reply_to="victim")
    raw.settle()
    method, _, _ = raw.channel.basic_get("victim", auto_ack=True)
    assert method is None


def test_garbage_on_the_control_queue_is_logged_and_ignored(
        start_agent: StartAgent, raw: Raw, client: ClusterClient, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.WARNING, logger="skynet.agent")
    start_agent("alpha")
    for body in (b"\xff not json", b"[1, 2]", b'{"v": 1, "pool": "alpha"}', b'{"v": 7}'):
        raw.send("alpha", body)
    wait_for(lambda: len([r for r in caplog.records if "ignored a message" in r.getMessage()]) == 4,
             what="four warnings")
    assert "invalid PoolControl: request_id: Field required" in caplog.text
    assert "unsupported message version 7" in caplog.text
    [answer] = client.request("alpha", "report", [], wait=5).answers
    assert answer.ok


def test_the_agent_says_it_stopped_in_its_last_state(start_agent: StartAgent, events: Events):
    agent, _ = start_agent("alpha")
    agent.stop()
    events.wait(lambda got: got[-1].agent == "stopped", what="the stopped state")


def test_the_agent_reconnects_when_the_broker_drops_its_connection(
        start_agent: StartAgent, amqp_url: str, vhost: str, events: Events):
    start_agent("alpha")
    events.close()
    subprocess.run(["rabbitmqctl", "-q", "close_all_connections", "-p", vhost, "test"], check=True,
                   capture_output=True, timeout=30)

    def answered() -> bool:
        try:
            with ClusterClient(amqp_url) as fresh:
                return bool(fresh.request("alpha", "report", [], wait=1).answers)
        except NoAgent:
            return False

    wait_for(answered, timeout=10, what="the agent to answer again")


class Broken(MemoryBackend):
    """A pool whose reads or actions raise what no backend should."""

    def __init__(self, name: str, *, reads: bool = True, acts: bool = True) -> None:
        super().__init__(name)
        self.add("sleeper")
        self.reads, self.acts = reads, acts

    def snapshot(self):
        if not self.reads:
            raise RuntimeError("snapshot bug")
        return super().snapshot()

    def control(self, action, programs):
        if not self.acts:
            raise RuntimeError("control bug")
        super().control(action, programs)


def test_a_backend_bug_is_reported_to_the_requester_and_the_agent_stays(
        amqp_url: str, tmp_path, client: ClusterClient, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.ERROR, logger="skynet.agent")
    backend = Broken("alpha", reads=False, acts=False)
    agent = Agent(AgentSettings(pool="alpha", host="h", home=tmp_path, amqp_url=amqp_url), backend)
    thread = threading.Thread(target=agent.run, daemon=True)
    thread.start()
    try:
        def answered() -> PoolControlAnswer | None:
            try:
                answers = client.request("alpha", "stop", ["sleeper"], wait=5).answers
            except NoAgent:
                return None
            return answers[0] if answers else None

        answer = wait_for(answered, what="an answer")
        assert (answer.ok, answer.refused, answer.error) == (False, False, "stop failed: RuntimeError: control bug")
        assert answer.state is not None and answer.state.error == (
            "the agent cannot read the pool: RuntimeError: snapshot bug")
        assert "reading the pool failed" in caplog.text and "stop sleeper failed" in caplog.text
    finally:
        agent.stop()
        thread.join(timeout=5)
    assert not thread.is_alive()
