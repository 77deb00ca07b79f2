"""Fixtures for the SDK tests: a test-side bus standing in for the engine, runtimes in threads."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pika  # type: ignore[import-untyped, unused-ignore]
import pytest

from engine.transport import topology
from engine.transport.messages import Announcement, ControlMessage, ReplyMessage, WorkitemMessage
from skynet.participant import Participant
from skynet.runtime import Runtime


class Bus:
    """The engine's side of the wire, for tests: send workitems and cancels, read replies and events."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.connect()

    def connect(self) -> None:
        self.connection = pika.BlockingConnection(pika.URLParameters(self.url))
        self.channel = self.connection.channel()
        topology.declare_engine(self.channel)
        declared = self.channel.queue_declare(queue="", exclusive=True)
        self.events_queue = declared.method.queue
        self.channel.queue_bind(self.events_queue, topology.EVENTS_EXCHANGE, "participant.#")

    def close(self) -> None:
        if self.connection.is_open:
            self.connection.close()

    def workitem(self, participant: str, **values: Any) -> WorkitemMessage:
        """Publish a workitem (unique id unless given) to the participant's queue and return it."""
        wid = values.pop("id", f"p-{secrets.token_hex(4)}/n1")
        defaults: dict[str, Any] = {
            "process_id": wid.split("/")[0], "process_name": "test", "step": participant,
            "participant": participant, "attempt": 1, "idempotency_key": wid, "sent_at": datetime.now(UTC),
        }
        message = WorkitemMessage(id=wid, **{**defaults, **values})
        self.raw(topology.participant_queue(participant), message.encode())
        return message

    def raw(self, queue: str, body: bytes) -> None:
        topology.declare_participant(self.channel, queue.removeprefix("participant."))
        self.channel.basic_publish("", queue, body, pika.BasicProperties(delivery_mode=2))

    def cancel(self, participant: str, workitem: str, attempt: int = 1, instance: str | None = None) -> None:
        route = topology.instance_route(instance) if instance else topology.participant_route(participant)
        message = ControlMessage(workitem=workitem, attempt=attempt, participant=participant,
                                 sent_at=datetime.now(UTC))
        self.channel.basic_publish(topology.CONTROL_EXCHANGE, route, message.encode())

    def _get(self, queue: str) -> bytes | None:
        method, _properties, body = self.channel.basic_get(queue, auto_ack=True)
        return body if method is not None else None

    def replies_until(self, done: Callable[[list[ReplyMessage]], bool], timeout: float = 5.0) -> list[ReplyMessage]:
        """Replies from ``boss.replies`` until ``done(replies)`` holds (fails after ``timeout``)."""
        return self._collect(topology.REPLIES_QUEUE, ReplyMessage.decode, done, timeout)

    def final(self, workitem: str, timeout: float = 5.0) -> list[ReplyMessage]:
        """Every reply about ``workitem`` up to and including its done or error."""
        replies = self.replies_until(lambda got: any(r.id == workitem and r.kind in ("done", "error") for r in got),
                                     timeout)
        return [r for r in replies if r.id == workitem]

    def replies_now(self, settle: float = 0.3) -> list[ReplyMessage]:
        """Whatever replies arrive within ``settle`` seconds (to check that none came)."""
        time.sleep(settle)
        got: list[ReplyMessage] = []
        while (body := self._get(topology.REPLIES_QUEUE)) is not None:
            got.append(ReplyMessage.decode(body))
        return got

    def events_until(self, done: Callable[[list[Announcement]], bool], timeout: float = 5.0) -> list[Announcement]:
        return self._collect(self.events_queue, Announcement.decode, done, timeout)

    def dead_until(self, count: int, timeout: float = 5.0) -> list[bytes]:
        return self._collect(topology.DEAD_QUEUE, lambda body: body, lambda got: len(got) >= count, timeout)

    def _collect(self, queue: str, decode: Callable[[bytes], Any], done: Callable[[list[Any]], bool],
                 timeout: float) -> list[Any]:
        got: list[Any] = []
        deadline = time.monotonic() + timeout
        while not done(got):
            body = self._get(queue)
            if body is not None:
                got.append(decode(body))
                continue
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting on {queue}; got {got!r}")
            time.sleep(0.02)
        return got

    def pending(self, queue: str) -> int:
        """Messages ready in a queue (unacked ones are not counted)."""
        return int(self.channel.queue_declare(queue=queue, passive=True).method.message_count)


@pytest.fixture
def bus(amqp_url: str) -> Iterator[Bus]:
    test_bus = Bus(amqp_url)
    yield test_bus
    test_bus.close()


@pytest.fixture
def start_runtime(amqp_url: str, bus: Bus) -> Iterator[Callable[..., Runtime]]:
    """Start a runtime in a thread of this process (stopped at the end of the test)."""
    started: list[Runtime] = []

    def start(participant_cls: type[Participant], **options: Any) -> Runtime:
        options = {"amqp_url": amqp_url, "config": {}, "accept_after": 1.0, "grace": 2.0, **options}
        runtime = Runtime(participant_cls, **options).start()
        started.append(runtime)
        return runtime

    yield start
    for runtime in started:
        runtime.stop()
    for runtime in started:
        assert runtime.join(15), "a runtime did not stop"
