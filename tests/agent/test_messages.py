"""The pool wire messages: names that fit a routing key, routes, and round trips through JSON."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.transport.messages import MessageError
from engine.transport.pool_messages import (
    InstanceState,
    PoolControl,
    PoolControlAnswer,
    PoolState,
    ProgramState,
    pool_control_route,
    pool_name_from_host,
    pool_state_route,
    valid_pool_name,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("name", "valid"), [("build1", True), ("eu_west-2", True), ("all", False),
                                             ("a.b", False), ("-a", False), ("", False), ("x" * 64, False)])
def test_a_pool_name_is_one_word_of_a_routing_key_and_not_the_broadcast_word(name: str, valid: bool):
    assert valid_pool_name(name) is valid


@pytest.mark.parametrize(("host", "pool"), [("build1.example.com", "build1-example-com"), ("all", "all-pool"),
                                            ("...", "pool"), ("Host_2", "Host_2")])
def test_a_host_name_becomes_a_valid_pool_name(host: str, pool: str):
    assert pool_name_from_host(host) == pool and valid_pool_name(pool)


def test_routes_put_the_pool_name_in_one_word():
    assert pool_state_route("b1") == "pool.b1.state" and pool_control_route("all") == "pool.all"


def test_a_pool_state_survives_the_wire_inside_an_answer():
    state = PoolState(host="h", pool="p", agent_started_at=NOW, sent_at=NOW, programs=[
        ProgramState(name="greeter", enabled=False, instances=[InstanceState(name="greeter-0", state="RUNNING"),
                                                               InstanceState(name="greeter-1", state="FATAL")])])
    answer = PoolControlAnswer(request_id="r", pool="p", host="h", ok=True, state=state)
    decoded = PoolControlAnswer.decode(answer.encode())
    assert decoded == answer and decoded.state is not None and decoded.state.programs[0].running == 1


def test_a_control_request_with_an_unknown_action_does_not_decode():
    body = PoolControl(request_id="r", pool="p", action="stop", sent_at=NOW).encode().replace(b"stop", b"reboot")
    with pytest.raises(MessageError, match="invalid PoolControl: action"):
        PoolControl.decode(body)
