"""BOSS_SIGNING_KEY end to end: a real engine and participants; unsigned replies, requests and work go nowhere."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pika  # type: ignore[import-untyped, unused-ignore]

from engine.transport import topology
from engine.transport.messages import ReplyMessage, WorkitemMessage
from tests.conftest import wait_for
from tests.integration.conftest import Deployment

KEY = "integration-signing-key"

DeadLetter = tuple[dict[str, Any], bytes]  # headers, body


@contextmanager
def channel(deployment: Deployment) -> Iterator[Any]:
    connection = pika.BlockingConnection(pika.URLParameters(deployment.amqp_url))
    try:
        yield connection.channel()
    finally:
        connection.close()


def dead_letter(deployment: Deployment, matches: Callable[[DeadLetter], bool], timeout: float = 8) -> DeadLetter:
    """The first message in ``boss.dead`` that ``matches`` (the others are consumed on the way)."""
    with channel(deployment) as ch:
        def find() -> DeadLetter | None:
            while True:
                method, properties, body = ch.basic_get(topology.DEAD_QUEUE, auto_ack=True)
                if method is None:
                    return None
                letter = (properties.headers or {}, body)
                if matches(letter):
                    return letter

        found: DeadLetter = wait_for(find, timeout, "a dead letter")
        return found


def dead_count(deployment: Deployment) -> int:
    with channel(deployment) as ch:
        return int(ch.queue_declare(topology.DEAD_QUEUE, passive=True).method.message_count)


def test_with_the_key_everywhere_a_process_completes_and_nothing_is_dead_lettered(local: Deployment) -> None:
    local.env["BOSS_SIGNING_KEY"] = KEY
    local.start_engine()
    local.participant("Echo")

    process_id = local.launch("chain", steps=2)

    row = local.wait(process_id, "done", timeout=8)
    assert row.state.fields["count"] == 2
    assert dead_count(local) == 0
    assert KEY not in local.logs()


def test_an_unsigned_reply_is_dead_lettered_and_the_process_goes_on(local: Deployment) -> None:
    local.env["BOSS_SIGNING_KEY"] = KEY
    local.start_engine()
    local.participant("Echo")
    process_id = local.launch("chain", steps=1, pause=1.5)

    def dispatched() -> tuple[str, int] | None:
        steps = local.store.steps(process_id)
        return next(((s.workitem, s.attempt) for s in steps if s.participant == "echo" and s.workitem), None)

    workitem, attempt = wait_for(dispatched, 5, "the echo step to be dispatched")
    forged = ReplyMessage(id=workitem, process_id=process_id, step="link", attempt=attempt, kind="done",
                          result={"forged": True}, sent_at=datetime.now(UTC))
    with channel(local) as ch:
        ch.basic_publish("", topology.REPLIES_QUEUE, forged.encode(), pika.BasicProperties(delivery_mode=2))

    headers, body = dead_letter(local, lambda letter: letter[0].get("x-boss-queue") == topology.REPLIES_QUEUE)
    assert "signature" in headers["x-boss-reason"]
    assert ReplyMessage.decode(body).result == {"forged": True}
    row = local.wait(process_id, "done", timeout=8)
    assert "forged" not in row.state.fields["last"]


def test_a_launch_without_the_key_is_refused_with_one_clear_line(local: Deployment) -> None:
    local.env["BOSS_SIGNING_KEY"] = KEY
    local.start_engine()
    local.env["BOSS_SIGNING_KEY"] = ""  # the CLI runs without it from now on

    result = local.boss("launch", "chain", expect=2)

    assert result.output.strip() == "boss: launch refused: bad or missing signature (set BOSS_SIGNING_KEY)"
    assert local.store.count_processes() == 0
    headers, _body = dead_letter(local, lambda letter: letter[0].get("x-boss-queue") == topology.LAUNCH_QUEUE)
    assert headers["x-boss-reason"] == "bad or missing signature"


def test_a_participant_without_the_key_never_runs_signed_work(local: Deployment) -> None:
    local.env["BOSS_SIGNING_KEY"] = KEY
    # Started before the engine: its unsigned registration would never be accepted, so do not wait for it.
    echo = local.participant("Echo", BOSS_SIGNING_KEY="")
    local.start_engine()
    process_id = local.launch("chain", steps=1)

    def the_workitem(letter: DeadLetter) -> bool:
        try:
            return WorkitemMessage.decode(letter[1]).process_id == process_id
        except Exception:
            return False

    headers, _body = dead_letter(local, the_workitem)
    assert headers["x-death"][0]["queue"] == topology.participant_queue("echo")
    assert "BOSS_SIGNING_KEY is not set" in echo.text()
    assert "received workitem" not in echo.text()
    assert local.process(process_id).status == "running"
