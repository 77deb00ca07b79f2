"""One connection to the broker with the participant's consumers on it: the only module that touches pika.

A :class:`Link` is used from the runtime's connection thread only (pika's BlockingConnection is not
thread-safe), except :meth:`Link.wake`, which other threads call to make the connection thread look at
their events at once. Every Link has an ``epoch``: delivery tags are only valid on the channel that
received them, so a tag from an earlier connection must never be acked on a later one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import pika  # type: ignore[import-untyped, unused-ignore]
import pika.exceptions  # type: ignore[import-untyped, unused-ignore]

from engine.transport import topology
from engine.transport.signing import signature_of, signed_headers

log = logging.getLogger("skynet.runtime")

Settlement = Literal["ack", "requeue", "reject"]
OnWork = Callable[["Delivery", bytes], None]
OnControl = Callable[[bytes, str | None], None]  # body, signature header

# Everything that means "the connection or channel is gone or unusable": the runtime reconnects.
LinkErrors: tuple[type[BaseException], ...] = (pika.exceptions.AMQPError, OSError)


class NotDelivered(Exception):
    """The broker refused a published message (no queue to route it to, or a negative confirm)."""


@dataclass(frozen=True)
class Delivery:
    """A received workitem: its delivery tag, the connection epoch the tag belongs to, its signature header."""

    epoch: int
    tag: int
    redelivered: bool = False
    signature: str | None = None


def describe(exc: BaseException) -> str:
    """A short, one-line reason for a connection problem."""
    text = str(exc).strip().replace("\n", " ")
    return f"{type(exc).__name__}: {text}" if text and text != "()" else type(exc).__name__


class Link:
    """A BlockingConnection and one confirming channel, with the work and control consumers.

    With a ``signing_key`` every message it publishes carries the ``x-boss-signature`` header.
    """

    def __init__(self, connection: Any, channel: Any, epoch: int, signing_key: str | None = None) -> None:
        self.connection = connection
        self.channel = channel
        self.epoch = epoch
        self.signing_key = signing_key
        self.consumer_tag: str | None = None

    @classmethod
    def open(cls, url: str, *, epoch: int, name: str, queue: str, prefetch: int, instance: str,
             signing_key: str | None = None) -> Link:
        """Connect, open a confirming channel, declare the topology and set the prefetch.

        The connection is named after the instance, so operators can tell connections apart in RabbitMQ's
        management UI and ``rabbitmqctl list_connections client_properties``.

        Raises:
            pika.exceptions.AMQPError, OSError: the broker is unreachable or refused a declaration.
        """
        parameters = pika.URLParameters(url)
        parameters.client_properties = {"connection_name": instance, "product": "boss skynet"}
        connection = pika.BlockingConnection(parameters)
        try:
            channel = connection.channel()
            channel.confirm_delivery()
            topology.declare_participant(channel, name)
            if queue != topology.participant_queue(name):
                channel.queue_declare(queue=queue, durable=True, arguments=topology.DEAD_LETTERED)
            channel.basic_qos(prefetch_count=prefetch)
        except BaseException:
            _close_quietly(connection)
            raise
        return cls(connection, channel, epoch, signing_key)

    def listen_for_control(self, name: str, instance: str, on_control: OnControl) -> None:
        """Consume cancel requests sent to this instance or to every instance of the participant."""
        declared = self.channel.queue_declare(queue="", exclusive=True, auto_delete=True)
        control_queue = declared.method.queue
        for route in (topology.instance_route(instance), topology.participant_route(name)):
            self.channel.queue_bind(queue=control_queue, exchange=topology.CONTROL_EXCHANGE, routing_key=route)
        self.channel.basic_consume(control_queue, lambda _ch, _m, properties, body: on_control(
            body, signature_of(properties.headers)), auto_ack=True)

    def consume(self, queue: str, on_work: OnWork) -> None:
        """Start receiving workitems (manual acks)."""

        def deliver(_channel: Any, method: Any, properties: Any, body: bytes) -> None:
            signature = signature_of(properties.headers)
            on_work(Delivery(self.epoch, method.delivery_tag, bool(method.redelivered), signature), body)

        self.consumer_tag = self.channel.basic_consume(queue, deliver, auto_ack=False)

    def stop_consuming(self) -> None:
        """Stop receiving workitems; ones received but not yet dispatched go back to the queue."""
        if self.consumer_tag is not None:
            self.channel.basic_cancel(self.consumer_tag)
            self.consumer_tag = None

    def process(self, time_limit: float) -> None:
        """Service the connection (heartbeats, deliveries, wake-ups) for up to ``time_limit`` seconds."""
        self.connection.process_data_events(time_limit=time_limit)

    def wake(self, callback: Callable[[], None]) -> None:
        """From any thread: run ``callback`` on the connection thread soon. Silently a no-op when closed."""
        try:
            self.connection.add_callback_threadsafe(callback)
        except Exception:  # closed or closing: the connection thread drains its events on every tick anyway
            log.debug("wake-up skipped: the connection is closed")

    def publish(self, exchange: str, routing_key: str, body: bytes, *, mandatory: bool) -> None:
        """Publish a persistent JSON message and wait for the broker's confirm.

        Raises:
            NotDelivered: unroutable (with ``mandatory``) or negatively confirmed; worth retrying later.
        """
        properties = pika.BasicProperties(content_type="application/json", delivery_mode=2,
                                          headers=signed_headers(self.signing_key, body) or None)
        try:
            self.channel.basic_publish(exchange, routing_key, body, properties, mandatory=mandatory)
        except pika.exceptions.UnroutableError as exc:
            raise NotDelivered(f"no queue for {exchange or '(default exchange)'} {routing_key}") from exc
        except pika.exceptions.NackError as exc:
            raise NotDelivered(f"the broker refused a message for {routing_key}") from exc

    def settle(self, delivery: Delivery, how: Settlement) -> bool:
        """Ack, requeue or reject a delivery; False when its tag belongs to an earlier connection.

        A delivery that was unacked when its connection dropped is redelivered by the broker, so there is
        nothing left to settle: acking the stale tag would close this channel with PRECONDITION_FAILED.
        """
        if delivery.epoch != self.epoch:
            return False
        if how == "ack":
            self.channel.basic_ack(delivery.tag)
        elif how == "requeue":
            self.channel.basic_nack(delivery.tag, requeue=True)
        else:
            self.channel.basic_reject(delivery.tag, requeue=False)
        return True

    def close(self) -> None:
        """Close the connection, ignoring errors (it may already be gone)."""
        _close_quietly(self.connection)


def _close_quietly(connection: Any) -> None:
    try:
        if connection.is_open:
            connection.close()
    except Exception as exc:
        log.debug("closing the connection failed: %s", describe(exc))
