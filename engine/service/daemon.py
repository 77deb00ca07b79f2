"""``boss engine``: the daemon loop around :class:`EngineCore`, on one asynchronous pika connection.

One thread, one ioloop. Deliveries from the engine's queues accumulate in an inbox; a flush hands up to
``batch_size`` of them to the core (one transaction), then acks them all with one ``multiple`` ack, then
publishes the outbox with publisher confirms *pipelined*: many messages in flight, each outbox row deleted
(in the next transaction) once the broker confirmed it. A tick fires due timers and tidies up. When the
broker goes away, the loop reconnects with backoff: unacked inputs are redelivered by the broker and
unconfirmed outbox rows are published again, so nothing is lost (duplicates are harmless by design).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

import pika
import pika.exceptions
from pika.adapters.select_connection import SelectConnection
from pika.channel import Channel
from pika.spec import Basic, BasicProperties

from engine.config import Settings
from engine.errors import StoreError, TransportError
from engine.service.core import BatchResult, EngineCore, Incoming
from engine.store import OutboxRow, Store
from engine.transport import topology
from engine.urls import mask_url

log = logging.getLogger("boss.engine")

TICK = 0.2
SWEEP_EVERY = 5.0  # seconds between looks for outbox rows nobody confirmed
SWEEP_AGE = 10.0  # an unconfirmed row this old is published again (its engine died, or the broker nacked it)
CONSUMED = (topology.LAUNCH_QUEUE, topology.COMMANDS_QUEUE, topology.REPLIES_QUEUE, topology.REGISTRY_QUEUE)


class Daemon:
    """Runs the engine until stopped; reconnects to the broker when it goes away."""

    def __init__(self, settings: Settings, store: Store, core: EngineCore) -> None:
        self.settings = settings
        self.store = store
        self.core = core
        self.stopping = False
        self.stats = {"handled": 0, "published": 0, "dead": 0, "timers": 0}
        self._reset()

    def _reset(self) -> None:
        self.connection: SelectConnection | None = None
        self.channel: Channel | None = None
        self.inbox: list[Incoming] = []
        self.consumers: dict[str, str] = {}  # consumer tag -> queue
        self.inflight: dict[int, int | None] = {}  # publish delivery tag -> outbox id (None: transient)
        self.inflight_ids: set[int] = set()
        self.confirmed: list[int] = []
        self.publish_tag = 0
        self.declared: set[str] = set()
        self.flush_scheduled = False
        self.next_sweep = 0.0

    # ---- outer loop ----------------------------------------------------------------------------------
    def run(self) -> None:
        """Serve until SIGTERM/SIGINT. The first connection must succeed; later ones are retried."""
        self._install_signals()
        declare_topology(self.settings.amqp_url)
        backoff = 0.5
        while not self.stopping:
            started = time.monotonic()
            self._serve_once()
            if self.stopping:
                break
            if time.monotonic() - started > 30:
                backoff = 0.5
            log.warning("broker connection lost; reconnecting in %.1fs", backoff)
            time.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
            try:
                declare_topology(self.settings.amqp_url)
            except TransportError as exc:
                log.warning("%s", exc)

    def _serve_once(self) -> None:
        self._reset()
        parameters = pika.URLParameters(self.settings.amqp_url)
        self.connection = SelectConnection(parameters, on_open_callback=self._on_open,
                                           on_open_error_callback=self._on_open_error,
                                           on_close_callback=self._on_closed)
        self.connection.ioloop.start()

    def stop(self) -> None:
        """Ask the loop to finish the current batch and close (safe from signal handlers and threads)."""
        self.stopping = True
        connection = self.connection
        if connection is not None:
            connection.ioloop.add_callback_threadsafe(self._close)

    def _install_signals(self) -> None:
        def handler(signum: int, frame: FrameType | None) -> None:
            log.info("signal %d: stopping after the current batch", signum)
            self.stop()

        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(ValueError):  # not the main thread (tests run the daemon in a thread)
                signal.signal(signum, handler)

    # ---- connection callbacks ------------------------------------------------------------------------
    def _on_open(self, connection: Any) -> None:
        log.info("connected to %s", mask_url(self.settings.amqp_url))
        connection.channel(on_open_callback=self._on_channel)

    def _on_open_error(self, connection: Any, error: BaseException) -> None:
        log.warning("cannot connect to %s: %s", mask_url(self.settings.amqp_url), error)
        connection.ioloop.stop()

    def _on_closed(self, connection: Any, reason: BaseException) -> None:
        if not self.stopping:
            log.warning("connection closed: %s", reason)
        connection.ioloop.stop()

    def _on_channel(self, channel: Channel) -> None:
        self.channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        channel.confirm_delivery(self._on_confirm)
        channel.basic_qos(prefetch_count=self.settings.prefetch, callback=self._on_qos)

    def _on_channel_closed(self, channel: Channel, reason: BaseException) -> None:
        if not self.stopping:
            log.warning("channel closed: %s", reason)
        if self.connection is not None and self.connection.is_open:
            self.connection.close()

    def _on_qos(self, frame: Any) -> None:
        assert self.channel is not None
        for queue in CONSUMED:
            tag = self.channel.basic_consume(queue, self._on_message)
            self.consumers[tag] = queue
        self._publish_pending(before=None)  # whatever the last run left unconfirmed
        self._schedule_tick()

    def _close(self) -> None:
        if self.channel is not None and self.channel.is_open:
            for tag in list(self.consumers):
                self.channel.basic_cancel(tag)
        if self.inbox:
            self._flush()
        if self.connection is not None and self.connection.is_open:
            self.connection.close()

    # ---- inputs --------------------------------------------------------------------------------------
    def _on_message(self, channel: Channel, method: Basic.Deliver, properties: BasicProperties,
                    body: bytes) -> None:
        queue = self.consumers.get(method.consumer_tag or "", "")
        self.inbox.append(Incoming(queue=queue, body=body, tag=method.delivery_tag or 0,
                                   reply_to=properties.reply_to, headers=properties.headers))
        if not self.flush_scheduled and self.connection is not None:
            self.flush_scheduled = True
            self.connection.ioloop.call_later(0, self._flush)

    def _flush(self) -> None:
        self.flush_scheduled = False
        if not self.inbox or self.channel is None or not self.channel.is_open:
            return
        batch = self.inbox[: self.settings.batch_size]
        try:
            self._handle(batch)
        except StoreError as exc:
            log.error("store error, retrying in 1s: %s", exc)
            self._later(1.0, self._flush)
            return
        del self.inbox[: len(batch)]
        if self.inbox:
            self.flush_scheduled = True
            self._later(0, self._flush)

    def _handle(self, batch: list[Incoming]) -> None:
        """Apply a batch and ack it; a batch that trips a bug is retried message by message."""
        assert self.channel is not None
        try:
            self._commit(batch)
        except StoreError:
            raise
        except Exception:
            if len(batch) == 1:
                log.exception("engine error on a message from %s; it is dead-lettered", batch[0].queue)
                self.channel.basic_reject(batch[0].tag, requeue=False)
                return
            for message in batch:
                self._handle([message])
            return
        self.channel.basic_ack(batch[-1].tag, multiple=True)
        self.stats["handled"] += len(batch)

    def _commit(self, batch: list[Incoming]) -> None:
        done, self.confirmed = self.confirmed, []
        try:
            result = self.core.handle(batch, done_outbox=done)
        except Exception:
            self.confirmed.extend(done)
            raise
        self.stats["dead"] += result.dead
        self._after_commit(result)

    def _after_commit(self, result: BatchResult) -> None:
        """Publish what the committed batch wrote to the outbox, then its (transient) process events."""
        if self.channel is None or not self.channel.is_open:
            return  # the rows stay in the outbox: published again after the reconnect
        for row in result.outbox:
            self._publish_row(row)
        for routing_key, body in result.events:
            self._basic_publish(topology.EVENTS_EXCHANGE, routing_key, body, None, transient=True)

    # ---- outputs -------------------------------------------------------------------------------------
    def _publish_pending(self, before: datetime | None) -> None:
        """Publish outbox rows nobody confirmed: all of them after a (re)connect, else the stale ones.

        Rows this engine has in flight or has seen confirmed are skipped. With several engines on one
        PostgreSQL store a stale row may be another engine's slow one; publishing it twice is harmless
        (workitems carry (id, attempt) and an idempotency key; answers and dead letters are idempotent).
        """
        if self.channel is None or not self.channel.is_open:
            return
        rows = self.store.pending_outbox(limit=5000, before=before)
        skip = self.inflight_ids | set(self.confirmed)  # confirmed rows wait for their deletion
        for row in rows:
            if row.id not in skip:
                self._publish_row(row)

    def _publish_row(self, row: OutboxRow) -> None:
        assert self.channel is not None
        if row.exchange == "" and row.routing_key.startswith("participant.") and row.routing_key not in self.declared:
            # Same channel, so the broker declares the queue before it routes the publish that follows.
            self.channel.queue_declare(row.routing_key, durable=True, arguments=topology.DEAD_LETTERED)
            self.declared.add(row.routing_key)
        self._basic_publish(row.exchange, row.routing_key, row.body, row, transient=False)

    def _basic_publish(self, exchange: str, routing_key: str, body: bytes, row: OutboxRow | None,
                       transient: bool) -> None:
        assert self.channel is not None
        properties = BasicProperties(
            content_type="application/json", delivery_mode=1 if transient else 2,
            headers=row.headers if row is not None else None, message_id=row.message_id if row else None)
        self.channel.basic_publish(exchange, routing_key, body, properties)
        self.publish_tag += 1
        self.inflight[self.publish_tag] = row.id if row is not None else None
        if row is not None:
            self.inflight_ids.add(row.id)
        self.stats["published"] += 1

    def _on_confirm(self, frame: Any) -> None:
        method = frame.method
        acked = isinstance(method, Basic.Ack)
        tags = [t for t in self.inflight if t <= method.delivery_tag] if method.multiple else [method.delivery_tag]
        for tag in tags:
            outbox_id = self.inflight.pop(tag, None)
            if outbox_id is None:
                continue
            self.inflight_ids.discard(outbox_id)
            if acked:
                self.confirmed.append(outbox_id)
            else:
                log.warning("the broker refused outbox message %d; it will be published again", outbox_id)

    # ---- the tick: timers, tidying -------------------------------------------------------------------
    def _schedule_tick(self) -> None:
        self._later(TICK, self._tick)

    def _tick(self) -> None:
        if self.channel is None or not self.channel.is_open:
            return
        try:
            self._fire_due_timers()
            if self.confirmed and not self.inbox:
                done, self.confirmed = self.confirmed, []
                try:
                    self.core.delete_outbox(done)
                except StoreError:
                    self.confirmed.extend(done)
                    raise
            if time.monotonic() >= self.next_sweep:
                self.next_sweep = time.monotonic() + SWEEP_EVERY
                self._publish_pending(before=datetime.now(UTC) - timedelta(seconds=SWEEP_AGE))
        except StoreError as exc:
            log.error("store error: %s", exc)
        self._schedule_tick()

    def _fire_due_timers(self) -> None:
        due = self.store.next_timer_due()
        while due is not None and due <= self.core.clock():
            fired, result = self.core.fire_timers()
            self.stats["timers"] += fired
            self._after_commit(result)
            if fired == 0:
                break
            due = self.store.next_timer_due()

    def _later(self, delay: float, callback: Any) -> None:
        if self.connection is not None:
            self.connection.ioloop.call_later(delay, callback)


def declare_topology(amqp_url: str) -> None:
    """Declare the engine's exchanges and queues (a short blocking connection; idempotent)."""
    try:
        connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    except pika.exceptions.AMQPError as exc:
        raise TransportError(f"cannot reach the broker at {mask_url(amqp_url)}: {exc!r} "
                             "(is RabbitMQ running? set BOSS_AMQP_URL)") from exc
    try:
        topology.declare_engine(connection.channel())
    finally:
        connection.close()
