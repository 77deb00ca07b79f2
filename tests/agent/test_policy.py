"""Which control requests an agent carries out: signature, age, replays, the allow-list, its own program."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from engine.transport.pool_messages import PoolControl
from engine.transport.signing import sign
from skynet.agent import AgentSettings
from skynet.agent.policy import Gate, addressed_to

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def gate(**values: Any) -> Gate:
    return Gate(AgentSettings(pool="alpha", host="h", home=Path("/tmp/alpha"), **values))


def request(action: str = "stop", programs: tuple[str, ...] = ("sleeper",), **values: Any) -> PoolControl:
    fields: dict[str, Any] = {"request_id": uuid.uuid4().hex, "pool": "alpha", "action": action,
                              "programs": list(programs), "sent_at": NOW, **values}
    return PoolControl(**fields)


def refusal(judge: Gate, req: PoolControl, signature: str | None = None, now: datetime = NOW) -> str | None:
    return judge.refusal(req, body=req.encode(), signature=signature, now=now)


def test_without_a_key_a_fresh_allowed_request_is_carried_out():
    assert refusal(gate(), request()) is None


def test_with_a_key_only_a_request_signed_with_it_is_carried_out():
    judge = gate(signing_key="k1")
    unsigned, wrong, right = request(), request(), request()
    assert "bad or missing signature" in (refusal(judge, unsigned) or "")
    assert "bad or missing signature" in (refusal(judge, wrong, sign("k2", wrong.encode())) or "")
    assert refusal(judge, right, sign("k1", right.encode())) is None


def test_a_signature_covers_the_exact_body_received():
    judge = gate(signing_key="k1")
    req = request()
    tampered = req.encode().replace(b'"stop"', b'"start"')
    assert judge.refusal(req, body=tampered, signature=sign("k1", req.encode()), now=NOW) is not None


def test_a_request_older_than_max_age_or_from_the_future_is_refused():
    judge = gate(max_age=30)
    assert "is 31s old (at most 30s)" in (refusal(judge, request(sent_at=NOW - timedelta(seconds=31))) or "")
    assert "in the future" in (refusal(judge, request(sent_at=NOW + timedelta(seconds=31))) or "")
    assert refusal(judge, request(sent_at=NOW - timedelta(seconds=29))) is None


def test_a_request_without_a_time_zone_is_taken_as_utc():
    assert refusal(gate(), request(sent_at=NOW.replace(tzinfo=None))) is None


def test_the_same_request_is_carried_out_once_while_it_is_fresh():
    judge = gate(max_age=30)
    req = request()
    assert refusal(judge, req) is None
    assert refusal(judge, req, now=NOW + timedelta(seconds=10)) == f"request {req.request_id} was already handled"


def test_replay_memory_forgets_requests_that_became_stale():
    judge = gate(max_age=30)
    for _ in range(3):
        refusal(judge, request())
    refusal(judge, request(sent_at=NOW + timedelta(seconds=61)), now=NOW + timedelta(seconds=61))
    assert len(judge._seen) == 1


def test_an_action_outside_the_allow_list_is_refused_but_a_report_is_not():
    judge = gate(allow=frozenset({"start", "restart"}))
    assert refusal(judge, request("stop")) == ("action stop is not allowed on pool alpha (allowed: restart, start; "
                                              "see SKYNET_AGENT_ALLOW)")
    assert refusal(judge, request("restart")) is None
    assert refusal(gate(allow=frozenset()), request("report", ())) is None
    assert "(allowed: none;" in (refusal(gate(allow=frozenset()), request("start")) or "")


def test_an_action_needs_a_program_and_never_touches_the_agent_itself():
    judge = gate(own_program="skynet-agent")
    assert refusal(judge, request("stop", ())) == "stop needs at least one program name"
    assert refusal(judge, request("stop", ("sleeper", "skynet-agent"))) == (
        "skynet-agent is the agent of pool alpha: it is not controlled remotely")


def test_a_request_is_for_the_pool_its_body_names_or_for_all():
    assert addressed_to(request(), "alpha") and addressed_to(request(pool="all"), "alpha")
    assert not addressed_to(request(pool="beta"), "alpha")
