"""What the connection thread still has to tell the broker, in order: publishes and acks.

Order matters within a workitem: ``accepted`` must be confirmed before the delivery is acked (else a crash
in between would leave the engine waiting for a workitem nobody holds), and a fast job's ``done`` must be
confirmed before its ack. One FIFO keeps that order for every job. Items stay queued while the broker is
away and are sent after the reconnect, so a reply computed during an outage is not lost.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass

from engine.transport import topology
from engine.transport.messages import ReplyMessage
from skynet.runtime.connection import Delivery, Link, NotDelivered, Settlement

log = logging.getLogger("skynet.runtime")

RETRY_AFTER = 1.0


@dataclass(frozen=True)
class Send:
    """Publish one message with a confirm."""

    exchange: str
    routing_key: str
    body: bytes
    mandatory: bool
    what: str


@dataclass(frozen=True)
class Settle:
    """Ack, requeue or reject one delivery."""

    delivery: Delivery
    how: Settlement
    what: str


class Outbox:
    """An ordered queue of Send and Settle items, flushed by the connection thread."""

    def __init__(self) -> None:
        self._items: deque[Send | Settle] = deque()
        self.retry_at = 0.0
        self._warned = False

    def __len__(self) -> int:
        return len(self._items)

    def reply(self, message: ReplyMessage) -> None:
        """Queue a reply for the engine (``boss.replies``, which must exist: mandatory)."""
        what = f"{message.kind} reply for {message.id} attempt {message.attempt}"
        self._items.append(Send("", topology.REPLIES_QUEUE, message.encode(), True, what))

    def event(self, exchange: str, routing_key: str, body: bytes) -> None:
        """Queue an event (nobody listening is fine: not mandatory)."""
        self._items.append(Send(exchange, routing_key, body, False, routing_key))

    def settle(self, delivery: Delivery, how: Settlement, what: str) -> None:
        """Queue an ack (``ack``), a hand-back (``requeue``) or a dead-lettering (``reject``)."""
        self._items.append(Settle(delivery, how, what))

    def flush(self, link: Link) -> None:
        """Send what can be sent, in order; stop at a refused publish and retry it a second later.

        Raises:
            The link's connection errors: the caller reconnects and the unsent items stay queued.
        """
        if time.monotonic() < self.retry_at:
            return
        while self._items:
            item = self._items[0]
            if isinstance(item, Send):
                try:
                    link.publish(item.exchange, item.routing_key, item.body, mandatory=item.mandatory)
                except NotDelivered as exc:
                    if not self._warned:
                        log.warning("could not send the %s: %s (is the engine running?); retrying", item.what, exc)
                        self._warned = True
                    self.retry_at = time.monotonic() + RETRY_AFTER
                    return
                self._warned = False
            elif not link.settle(item.delivery, item.how):
                log.info("not settling %s: it arrived on an earlier connection, so the broker redelivers it",
                         item.what)
            self._items.popleft()

    def drop_all(self) -> int:
        """Forget every queued item (shutdown gave up waiting for the broker); returns how many."""
        count = len(self._items)
        self._items.clear()
        return count
