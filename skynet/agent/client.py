"""Asking pool agents from anywhere on the bus: report every pool's state, or act on one pool (or all).

A request goes to ``boss.control`` with ``mandatory`` set, so a request to a pool whose agent is not
connected fails at once instead of waiting for an answer that cannot come. Answers arrive on RabbitMQ's
direct reply-to; with a signing key, answers that are not signed with it are dropped and counted.
"""

from __future__ import annotations

import getpass
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pika  # type: ignore[import-untyped, unused-ignore]
import pika.exceptions  # type: ignore[import-untyped, unused-ignore]

from engine.errors import BossError, TransportError
from engine.transport import topology
from engine.transport.messages import MessageError
from engine.transport.pool_messages import BROADCAST, PoolControl, PoolControlAnswer, RequestKind, pool_control_route
from engine.transport.signing import signature_of, signed_headers, verify
from engine.urls import mask_url


class NoAgent(BossError):
    """No agent of the pool asked for is connected to the broker (the request could not be routed)."""


@dataclass
class Gathered:
    """The answers to one request, and how many answers were dropped for a bad signature."""

    answers: list[PoolControlAnswer] = field(default_factory=list)
    unverified: int = 0


def requester() -> str:
    """Who is asking, for the agents' logs: ``user@host``, plus ``/pool`` when run inside a pool."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        user = str(os.getuid())
    pool = os.environ.get("SKYNET_POOL")
    return f"{user}@{socket.gethostname()}" + (f"/{pool}" if pool else "")


class ClusterClient:
    """A short-lived connection for requests to pool agents (signed with ``signing_key`` when one is set)."""

    def __init__(self, amqp_url: str, signing_key: str | None = None) -> None:
        self.signing_key = signing_key
        try:
            self.connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
            self.channel = self.connection.channel()
            self.channel.confirm_delivery()
            topology.declare_common(self.channel)
        except (pika.exceptions.AMQPError, OSError) as exc:
            raise TransportError(f"cannot reach the broker at {mask_url(amqp_url)} ({type(exc).__name__}): "
                                 "is RabbitMQ running? set BOSS_AMQP_URL") from exc
        self._received: list[tuple[bytes, str | None]] = []
        self.channel.basic_consume(topology.DIRECT_REPLY_TO, self._on_answer, auto_ack=True)

    def __enter__(self) -> ClusterClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        if self.connection.is_open:
            self.connection.close()

    def report(self, wait: float, expect: int | None = None) -> Gathered:
        """Every connected pool's state: the answers to a broadcast ``report`` that arrive within ``wait`` s
        (or until ``expect`` pools answered, when the caller knows how many there are)."""
        try:
            return self.request(BROADCAST, "report", [], wait=wait, expect=expect)
        except NoAgent:
            return Gathered()

    def request(self, pool: str, action: RequestKind, programs: list[str], *, wait: float,
                expect: int | None = None) -> Gathered:
        """Send a request to ``pool`` (or ``all``) and gather the answers for at most ``wait`` seconds.

        A request to one pool returns with its first answer; a broadcast returns once ``expect`` answers
        arrived, else waits the whole ``wait`` (nobody knows how many pools there are).

        Raises:
            NoAgent: no agent of ``pool`` is connected.
            TransportError: the broker refused the request.
        """
        request = PoolControl(request_id=uuid.uuid4().hex, pool=pool, action=action, programs=programs,
                              by=requester(), sent_at=datetime.now(UTC))
        body = request.encode()
        properties = pika.BasicProperties(content_type="application/json", reply_to=topology.DIRECT_REPLY_TO,
                                          correlation_id=request.request_id,
                                          headers=signed_headers(self.signing_key, body) or None)
        try:
            self.channel.basic_publish(topology.CONTROL_EXCHANGE, pool_control_route(pool), body, properties,
                                       mandatory=True)
        except pika.exceptions.UnroutableError as exc:
            where = "no pool agent is" if pool == BROADCAST else f"no agent of pool {pool} is"
            raise NoAgent(f"{where} connected to the broker (is the pool up? `skynet up` starts its agent)") from exc
        except pika.exceptions.AMQPError as exc:
            raise TransportError(f"could not send the request to pool {pool}: {exc!r}") from exc
        return self._gather(request.request_id, expect=1 if pool != BROADCAST else expect, wait=wait)

    def _gather(self, request_id: str, *, expect: int | None, wait: float) -> Gathered:
        """Answers to ``request_id`` until ``expect`` came (an unverified one counts: its pool did answer,
        with another key, and waiting longer would not change that) or ``wait`` seconds passed."""
        gathered = Gathered()
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0 and (
                expect is None or len(gathered.answers) + gathered.unverified < expect):
            self.connection.process_data_events(time_limit=min(left, 0.1))
            while self._received:
                body, signature = self._received.pop(0)
                try:
                    answer = PoolControlAnswer.decode(body)
                except MessageError:
                    continue
                if answer.request_id != request_id:
                    continue
                if self.signing_key and not verify(self.signing_key, body, signature):
                    gathered.unverified += 1
                else:
                    gathered.answers.append(answer)
        return gathered

    def _on_answer(self, _channel: Any, _method: Any, properties: Any, body: bytes) -> None:
        self._received.append((body, signature_of(properties.headers)))
