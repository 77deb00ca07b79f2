"""The yardstick: how many raw message round trips per second this broker and this machine manage right now.

Absolute steps/s mean little on a shared, noisy machine. An engine step is, on the wire, one round trip
(workitem to the participant, reply back to the engine) plus the engine's work, so the engine's steps/s as
a fraction of raw round trips/s, both measured in the same run, compares across machines and days far
better than either number alone.

The round trip here is as plain as pika allows: a driver keeps ``in_flight`` persistent messages going
through a durable queue to an echo thread, which publishes each one back on a second durable queue; both
sides ack manually; no publisher confirms, no store, no JSON. Both sides are pika BlockingConnections in
threads of this process (so they share one GIL, like nothing in the real deployment does): a baseline,
not a model of the engine.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

import pika

from tests.bench.services import broker_connection

PERSISTENT = pika.BasicProperties(delivery_mode=2)
WARM_UP = 0.5


class _Echo(threading.Thread):
    """Consumes ``ping`` and publishes every message back to ``pong``, on a connection of its own."""

    def __init__(self, amqp_url: str, ping: str, pong: str, prefetch: int) -> None:
        super().__init__(name="bench-echo", daemon=True)
        self.amqp_url, self.ping, self.pong, self.prefetch = amqp_url, ping, pong, prefetch
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            connection = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
            try:
                channel = connection.channel()
                channel.basic_qos(prefetch_count=self.prefetch)
                channel.basic_consume(self.ping, self._on_ping)
                self.ready.set()
                while not self.stop.is_set():
                    connection.process_data_events(time_limit=0.1)
            finally:
                connection.close()
        except BaseException as exc:  # reported by the driver, which owns the output
            self.error = exc
            self.ready.set()

    def _on_ping(self, channel: Any, method: Any, properties: Any, body: bytes) -> None:
        channel.basic_publish("", self.pong, body, PERSISTENT)
        channel.basic_ack(method.delivery_tag)


def broker_round_trips(amqp_url: str, in_flight: int, seconds: float) -> float:
    """Round trips per second through the broker with ``in_flight`` messages circulating, over ``seconds``.

    The first half second is a warm-up and not counted. The two queues are left behind: they live in
    the benchmark's own vhost, which is deleted at the end.
    """
    tag = secrets.token_hex(3)
    ping, pong = f"bench.ping.{tag}", f"bench.pong.{tag}"
    echo = _Echo(amqp_url, ping, pong, prefetch=in_flight)
    try:
        with broker_connection(amqp_url) as connection:
            channel = connection.channel()
            for queue in (ping, pong):
                channel.queue_declare(queue, durable=True)
            echo.start()
            if not echo.ready.wait(15) or echo.error is not None:
                raise RuntimeError(f"the baseline's echo thread failed to start: {echo.error!r}")
            rate = _drive(connection, channel, ping, pong, in_flight, seconds)
    finally:
        echo.stop.set()
        if echo.is_alive():
            echo.join(5)
    if echo.error is not None:
        raise RuntimeError(f"the baseline's echo thread failed: {echo.error!r}")
    return rate


def _drive(connection: Any, channel: Any, ping: str, pong: str, in_flight: int, seconds: float) -> float:
    """Keep ``in_flight`` messages circulating; count the ones that came back after the warm-up."""
    returned = 0

    def on_pong(ch: Any, method: Any, properties: Any, body: bytes) -> None:
        nonlocal returned
        returned += 1
        ch.basic_ack(method.delivery_tag)
        ch.basic_publish("", ping, body, PERSISTENT)

    channel.basic_qos(prefetch_count=in_flight)
    channel.basic_consume(pong, on_pong)
    for number in range(in_flight):
        channel.basic_publish("", ping, str(number).encode(), PERSISTENT)
    _pump(connection, time.monotonic() + WARM_UP)
    counted_from, started = returned, time.monotonic()
    _pump(connection, started + seconds)
    return (returned - counted_from) / (time.monotonic() - started)


def _pump(connection: Any, until: float) -> None:
    while (left := until - time.monotonic()) > 0:
        connection.process_data_events(time_limit=min(left, 0.1))
