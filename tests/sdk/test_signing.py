"""BOSS_SIGNING_KEY seen from the engine's side of the wire: only signed work runs, and what comes back is signed."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import pika  # type: ignore[import-untyped, unused-ignore]
import pytest

from engine.transport import topology
from engine.transport.messages import Announcement, ControlMessage, ReplyMessage, WorkitemMessage
from engine.transport.signing import SIGNATURE_HEADER, sign, signature_of, verify
from tests.conftest import wait_for
from tests.sdk.conftest import Bus
from tests.sdk.participants import CALLS, Echo, Stoppable

pytestmark = pytest.mark.integration

KEY = "the-shared-key"


def new_workitem(participant: str, **values: Any) -> tuple[WorkitemMessage, bytes]:
    """A workitem with a unique id, and its body (signatures cover these exact bytes)."""
    process_id = f"p-{secrets.token_hex(4)}"
    wid = f"{process_id}/n1"
    message = WorkitemMessage(id=wid, process_id=process_id, process_name="test", step=participant,
                              participant=participant, attempt=1, idempotency_key=wid, sent_at=datetime.now(UTC),
                              **values)
    return message, message.encode()


def send_workitem(bus: Bus, participant: str, signature: str | None, **values: Any) -> WorkitemMessage:
    """Publish a workitem with the given signature header (none when None)."""
    message, body = new_workitem(participant, **values)
    topology.declare_participant(bus.channel, participant)
    bus.channel.basic_publish("", topology.participant_queue(participant), body, properties(signature))
    return message


def signed_workitem(bus: Bus, participant: str, key: str = KEY, **values: Any) -> WorkitemMessage:
    """Publish a workitem signed with ``key``."""
    message, body = new_workitem(participant, **values)
    topology.declare_participant(bus.channel, participant)
    bus.channel.basic_publish("", topology.participant_queue(participant), body, properties(sign(key, body)))
    return message


def send_cancel(bus: Bus, participant: str, workitem: str, key: str | None) -> None:
    body = ControlMessage(workitem=workitem, attempt=1, participant=participant, sent_at=datetime.now(UTC)).encode()
    signature = sign(key, body) if key else None
    bus.channel.basic_publish(topology.CONTROL_EXCHANGE, topology.participant_route(participant), body,
                              properties(signature))


def properties(signature: str | None) -> Any:
    headers = {SIGNATURE_HEADER: signature} if signature is not None else None
    return pika.BasicProperties(delivery_mode=2, headers=headers)


def get_signed(bus: Bus, queue: str, timeout: float = 5.0) -> tuple[bytes, str | None]:
    """The next message of a queue: its body and its signature header."""
    def one() -> tuple[bytes, str | None] | None:
        method, props, body = bus.channel.basic_get(queue, auto_ack=True)
        return (body, signature_of(props.headers)) if method is not None else None

    got: tuple[bytes, str | None] = wait_for(one, timeout, f"a message on {queue}")
    return got


def test_a_signed_workitem_runs_and_its_reply_and_announcements_are_signed(bus: Bus, start_runtime):
    start_runtime(Echo, signing_key=KEY)
    register, signature = get_signed(bus, bus.events_queue)
    assert Announcement.decode(register).kind == "register"
    assert verify(KEY, register, signature)

    sent = signed_workitem(bus, "echo", params={"n": 1})
    body, signature = get_signed(bus, topology.REPLIES_QUEUE)
    reply = ReplyMessage.decode(body)
    assert (reply.id, reply.kind, reply.result) == (sent.id, "done", {"echo": {"n": 1}, "attempt": 1})
    assert verify(KEY, body, signature)
    assert not verify("another-key", body, signature)


@pytest.mark.parametrize("signature", [None, "0" * 64, "forged"], ids=["unsigned", "zeros", "garbage"])
def test_a_workitem_without_a_valid_signature_is_dead_lettered_and_never_handled(bus: Bus, start_runtime,
                                                                                 signature: str | None):
    start_runtime(Echo, signing_key=KEY)
    bad = send_workitem(bus, "echo", signature, params={"n": 1})
    dead = bus.dead_until(1)
    assert WorkitemMessage.decode(dead[0]).id == bad.id
    good = signed_workitem(bus, "echo")  # handled after the bad one: its reply proves the bad one is settled
    assert [r.kind for r in bus.final(good.id)] == ["done"]
    assert bad.id not in CALLS["echo"]
    assert good.id in CALLS["echo"]
    assert bus.pending("participant.echo") == 0


def test_a_workitem_signed_with_another_key_is_dead_lettered(bus: Bus, start_runtime):
    start_runtime(Echo, signing_key=KEY)
    sent = signed_workitem(bus, "echo", key="another-key")
    assert WorkitemMessage.decode(bus.dead_until(1)[0]).id == sent.id
    assert bus.replies_now() == []
    assert sent.id not in CALLS["echo"]


def test_a_participant_without_the_key_refuses_signed_work_rather_than_answer_unsigned(bus: Bus, start_runtime):
    start_runtime(Echo)
    sent = signed_workitem(bus, "echo")
    assert WorkitemMessage.decode(bus.dead_until(1)[0]).id == sent.id
    assert sent.id not in CALLS["echo"]
    plain = bus.workitem("echo")  # unsigned work still runs: signing is off here
    assert [r.kind for r in bus.final(plain.id)] == ["done"]


def test_a_cancel_without_a_valid_signature_is_ignored(bus: Bus, start_runtime):
    runtime = start_runtime(Stoppable, accept_after=0.1, signing_key=KEY)
    sent = signed_workitem(bus, "stoppable")
    bus.replies_until(lambda got: any(r.kind == "accepted" for r in got))
    send_cancel(bus, "stoppable", sent.id, key=None)
    send_cancel(bus, "stoppable", sent.id, key="another-key")
    marker = f"p-{secrets.token_hex(4)}/n1"
    send_cancel(bus, "stoppable", marker, key=KEY)  # same queue, so the forged cancels were seen before it
    wait_for(lambda: (marker, 1) in runtime.dispatcher.cancels, what="the signed cancel to arrive")
    assert (sent.id, 1) not in CALLS["stoppable-cancel"]
    assert (sent.id, 1) not in runtime.dispatcher.cancels
    assert sent.id in {key[0] for key in runtime.dispatcher.jobs}

    send_cancel(bus, "stoppable", sent.id, key=KEY)
    wait_for(lambda: (sent.id, 1) in CALLS["stoppable-cancel"], what="the cancel hook")
    error = bus.final(sent.id)[-1].error
    assert error is not None and error.type == "Cancelled"
