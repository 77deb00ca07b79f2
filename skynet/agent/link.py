"""The agent's one connection to the broker: its control queue, and publishing states and answers.

Used from the agent's connection thread only (pika's BlockingConnection is not thread-safe). Everything it
publishes is confirmed by the broker and, with a signing key, carries the ``x-boss-signature`` header.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pika  # type: ignore[import-untyped, unused-ignore]

from engine.transport import topology
from engine.transport.pool_messages import BROADCAST, pool_control_route
from engine.transport.signing import signature_of, signed_headers

OnRequest = Callable[[bytes, str | None, str | None], None]  # body, signature header, reply_to


def direct_reply_address(reply_to: str | None) -> str | None:
    """``reply_to`` when it is a RabbitMQ direct reply-to address, else None.

    Answering only there means a request cannot make the agent drop a signed message into some other
    queue (``boss.commands``, a participant's queue) by naming it as its ``reply_to``.
    """
    if reply_to and reply_to.startswith(topology.DIRECT_REPLY_TO):
        return reply_to
    return None


class AgentLink:
    """A BlockingConnection with one confirming channel, consuming the pool's control requests."""

    def __init__(self, connection: Any, channel: Any, signing_key: str | None) -> None:
        self.connection = connection
        self.channel = channel
        self.signing_key = signing_key

    @classmethod
    def open(cls, url: str, *, pool: str, host: str, signing_key: str | None) -> AgentLink:
        """Connect, declare the common topology, open a confirming channel.

        Raises:
            pika.exceptions.AMQPError, OSError: the broker is unreachable or refused a declaration.
        """
        parameters = pika.URLParameters(url)
        parameters.client_properties = {"connection_name": f"skynet-agent {pool}@{host}",
                                        "product": "boss skynet agent"}
        connection = pika.BlockingConnection(parameters)
        try:
            channel = connection.channel()
            channel.confirm_delivery()
            topology.declare_common(channel)
        except BaseException:
            _close_quietly(connection)
            raise
        return cls(connection, channel, signing_key)

    def listen(self, pool: str, on_request: OnRequest) -> None:
        """Consume requests for this pool and for every pool, on an exclusive queue that dies with us.

        Requests are not kept while the agent is away: a request to a pool whose agent is not connected
        is unroutable, which its sender sees at once.
        """
        declared = self.channel.queue_declare(queue="", exclusive=True, auto_delete=True)
        queue = declared.method.queue
        for route in (pool_control_route(pool), pool_control_route(BROADCAST)):
            self.channel.queue_bind(queue=queue, exchange=topology.CONTROL_EXCHANGE, routing_key=route)

        def deliver(_channel: Any, _method: Any, properties: Any, body: bytes) -> None:
            on_request(body, signature_of(properties.headers), properties.reply_to)

        self.channel.basic_consume(queue, deliver, auto_ack=True)

    def publish(self, exchange: str, routing_key: str, body: bytes, *, correlation_id: str | None = None) -> None:
        """Publish a transient JSON message and wait for the broker's confirm (states and answers are news,
        not records: a newer one replaces them)."""
        properties = pika.BasicProperties(content_type="application/json", correlation_id=correlation_id,
                                          headers=signed_headers(self.signing_key, body) or None)
        self.channel.basic_publish(exchange, routing_key, body, properties)

    def process(self, time_limit: float) -> None:
        """Service the connection (heartbeats, deliveries) for up to ``time_limit`` seconds."""
        self.connection.process_data_events(time_limit=time_limit)

    def close(self) -> None:
        """Close the connection, ignoring errors (it may already be gone)."""
        _close_quietly(self.connection)


def _close_quietly(connection: Any) -> None:
    with contextlib.suppress(Exception):  # already closing or gone: nothing to release
        if connection.is_open:
            connection.close()
