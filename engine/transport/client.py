"""Requests to the engine from other programs (the CLI, launchers, the API): publish, then await the answer.

Only the engine writes process state, so ``boss launch`` and ``boss cancel`` are messages to the engine's
queues, answered on RabbitMQ's direct reply-to pseudo-queue. Publishing uses confirms and ``mandatory``,
so a request is either in a durable queue or reported as not delivered.
"""

from __future__ import annotations

import time
import uuid

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel
from pika.spec import Basic, BasicProperties

from engine.errors import TransportError
from engine.transport import topology
from engine.transport.messages import CommandMessage, LaunchMessage, MessageError, Registration, ResponseMessage
from engine.transport.signing import signed_headers
from engine.urls import mask_url


def new_request_id() -> str:
    """A unique id for a request (the engine answers it once, even when it is delivered twice)."""
    return uuid.uuid4().hex


class EngineClient:
    """A short-lived connection for requests to the engine (signed with ``signing_key`` when one is set)."""

    def __init__(self, amqp_url: str, timeout: float = 15.0, signing_key: str | None = None) -> None:
        self.amqp_url = amqp_url
        self.timeout = timeout
        self.signing_key = signing_key
        try:
            self.connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
        except pika.exceptions.AMQPError as exc:
            raise TransportError(f"cannot reach the broker at {mask_url(amqp_url)} ({type(exc).__name__}): "
                                 "is RabbitMQ running? set BOSS_AMQP_URL") from exc
        self.channel: BlockingChannel = self.connection.channel()
        self.channel.confirm_delivery()
        self._answers: dict[str, ResponseMessage] = {}
        self.channel.basic_consume(topology.DIRECT_REPLY_TO, self._on_answer, auto_ack=True)

    def close(self) -> None:
        """Close the connection."""
        if self.connection.is_open:
            self.connection.close()

    def __enter__(self) -> EngineClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def launch(self, request: LaunchMessage) -> ResponseMessage:
        """Send a launch request and wait for the engine's answer."""
        return self._request(topology.LAUNCH_QUEUE, request.request_id, request.encode())

    def command(self, request: CommandMessage) -> ResponseMessage:
        """Send a command and wait for the engine's answer."""
        return self._request(topology.COMMANDS_QUEUE, request.request_id, request.encode())

    def register(self, request: Registration) -> ResponseMessage:
        """Send a participant (un)registration and wait for the engine's confirmation."""
        return self._request(topology.REGISTRY_QUEUE, request.request_id, request.encode(),
                             {"boss-type": "registration"})

    def _request(self, queue: str, request_id: str, body: bytes,
                 headers: dict[str, str] | None = None) -> ResponseMessage:
        properties = BasicProperties(content_type="application/json", delivery_mode=2,
                                     reply_to=topology.DIRECT_REPLY_TO, correlation_id=request_id,
                                     headers=signed_headers(self.signing_key, body, headers) or None)
        try:
            self.channel.basic_publish("", queue, body, properties, mandatory=True)
        except pika.exceptions.UnroutableError as exc:
            raise TransportError(f"queue {queue} does not exist: start `boss engine` once to create it") from exc
        except pika.exceptions.AMQPError as exc:
            raise TransportError(f"could not send the request to {queue}: {exc!r}") from exc
        deadline = time.monotonic() + self.timeout
        while request_id not in self._answers:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TransportError(f"no answer from the engine within {self.timeout:g}s (the request is queued "
                                     f"in {queue}): is `boss engine` running?")
            self.connection.process_data_events(time_limit=min(left, 0.5))
        return self._answers.pop(request_id)

    def _on_answer(self, channel: BlockingChannel, method: Basic.Deliver, properties: BasicProperties,
                   body: bytes) -> None:
        try:
            answer = ResponseMessage.decode(body)
        except MessageError:
            return
        self._answers[answer.request_id] = answer
