"""The participant daemon: one participant, one broker connection, until SIGTERM.

The connection thread (the caller of :meth:`Runtime.run`) owns the pika BlockingConnection: it services
AMQP heartbeats, receives workitems and cancels, and publishes everything. ``handle`` runs in worker
threads (:mod:`skynet.runtime.worker`) whose events reach this thread through a queue plus
``add_callback_threadsafe``. When the broker goes away the loop reconnects with exponential backoff while
the work goes on; replies wait in the outbox. On SIGTERM it stops consuming, waits ``grace`` seconds for
running work, hands back what did not finish, tears the participant down and says goodbye.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from types import FrameType
from typing import Any

from engine.errors import TransportError
from engine.transport import topology
from engine.transport.signing import UNSIGNED, verify
from engine.urls import mask_url
from skynet.config import describe as describe_config
from skynet.config import load_config
from skynet.errors import SetupError
from skynet.participant import Participant, check_name
from skynet.runtime.announcements import AnnouncementKind, Announcer, new_instance_id
from skynet.runtime.connection import Delivery, Link, LinkErrors, describe
from skynet.runtime.dispatcher import Dispatcher
from skynet.runtime.outbox import Outbox
from skynet.runtime.status_file import StatusFile

log = logging.getLogger("skynet.runtime")

BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
MAX_WAIT = 0.5  # the longest the loop sleeps: bounds how late a signal or a stop() is noticed
FLUSH_LIMIT = 10.0  # after the grace period, how long shutdown keeps trying to reach the broker


class Runtime:
    """Runs one participant against the broker; see :func:`run_participant` for the arguments."""

    def __init__(self, participant_cls: type[Participant], *, amqp_url: str, name: str | None = None,
                 queue: str | None = None, config: dict[str, Any] | None = None, concurrency: int = 1,
                 accept_after: float = 1.0, announce_interval: float = 15.0, grace: float = 30.0,
                 instance: str | None = None, signing_key: str | None = None) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.participant_cls = participant_cls
        self.name = check_name(name or participant_cls.name)
        self.queue = queue or topology.participant_queue(self.name)
        self.instance = instance or new_instance_id(self.name)
        self.amqp_url = amqp_url
        self.config = config
        self.concurrency = concurrency
        self.accept_after = accept_after
        self.announce_interval = announce_interval
        self.grace = grace
        self.signing_key = signing_key or None
        self.announcer = Announcer(participant_cls, name=self.name, queue=self.queue, instance=self.instance)
        self.outbox = Outbox()
        self.status_file = StatusFile.from_env(self.instance)  # set when run by a pool (skynet status)
        self.dispatcher: Dispatcher | None = None
        self._link: Link | None = None
        self._epoch = 0
        self._backoff = BACKOFF_FIRST
        self._next_connect = 0.0
        self._next_announce = 0.0
        self._stop_requested = threading.Event()
        self._nudge = threading.Event()
        self._stopping_since: float | None = None
        self._torn_down = False
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._previous_handlers: dict[int, Any] = {}

    # ---- public ------------------------------------------------------------------------------------
    def run(self) -> None:
        """Serve until stopped (SIGTERM/SIGINT when called in the main thread, or :meth:`stop`).

        Raises:
            SetupError: the participant's ``setup`` raised.
            TransportError: the broker cannot be reached at start (later outages are waited out).
        """
        self._install_signals()
        try:
            self._start_up()
            self._ready.set()
            self._serve()
        finally:
            self._close_down()

    def start(self, timeout: float = 30.0) -> Runtime:
        """Run in a background thread (tests); returns once consuming, or raises the startup error."""
        self._thread = threading.Thread(target=self._run_in_thread, name=f"skynet-{self.name}", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TransportError(f"the runtime of {self.name} did not start within {timeout:g}s")
        if self._failure is not None:
            raise self._failure
        return self

    def stop(self) -> None:
        """Ask for a graceful stop, as SIGTERM does (thread-safe; returns at once)."""
        self._stop_requested.set()
        self._wake()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for a runtime started with :meth:`start` to end; True when it has."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # ---- start and stop ----------------------------------------------------------------------------
    def _run_in_thread(self) -> None:
        try:
            self.run()
        except BaseException as exc:
            self._failure = exc
            log.error("runtime of %s failed: %s", self.name, exc)
        finally:
            self._ready.set()

    def _start_up(self) -> None:
        config = self.config if self.config is not None else load_config(self.name)
        log.info("starting %s as instance %s (queue %s, concurrency %d, signing %s); config: %s", self.name,
                 self.instance, self.queue, self.concurrency, "on" if self.signing_key else "off",
                 describe_config(config))
        try:
            participant = self.participant_cls()
            participant.setup(config)
        except Exception as exc:
            raise SetupError(f"setup of {self.name} failed: {type(exc).__name__}: {exc}") from exc
        self.dispatcher = Dispatcher(participant, name=self.name, instance=self.instance,
                                     accept_after=self.accept_after, outbox=self.outbox, wake=self._wake)
        try:
            self._connect()
        except LinkErrors as exc:
            self._teardown()
            raise TransportError(f"cannot reach the broker at {mask_url(self.amqp_url)} ({describe(exc)}): "
                                 "is RabbitMQ running? set BOSS_AMQP_URL or --amqp-url") from exc

    def _connect(self) -> None:
        assert self.dispatcher is not None
        self._epoch += 1
        link = Link.open(self.amqp_url, epoch=self._epoch, name=self.name, queue=self.queue,
                         prefetch=self.concurrency, instance=self.instance, signing_key=self.signing_key)
        try:
            link.listen_for_control(self.name, self.instance, self._on_control)
            if self._stopping_since is None:
                link.consume(self.queue, self._on_work)
        except BaseException:
            link.close()
            raise
        self._link = link
        self._backoff = BACKOFF_FIRST
        log.info("connected to %s; %s", mask_url(self.amqp_url),
                 f"consuming {self.queue}" if self._stopping_since is None else "stopping")
        if self._stopping_since is None:
            self._announce("register")

    def _on_work(self, delivery: Delivery, body: bytes) -> None:
        assert self.dispatcher is not None
        refusal = self._refusal(body, delivery.signature)
        if refusal is not None:
            log.warning("dead-lettering a workitem (delivery %d): %s; handle is not called", delivery.tag, refusal)
            self.outbox.settle(delivery, "reject", "a workitem without a valid signature")
            return
        try:
            self.dispatcher.on_work(delivery, body)
        except Exception:  # a bug here must not stop the daemon: dead-letter the message and go on
            log.exception("could not handle a delivery; dead-lettering it")
            self.outbox.settle(delivery, "reject", "a message that broke the runtime")

    def _on_control(self, body: bytes, signature: str | None) -> None:
        assert self.dispatcher is not None
        refusal = self._refusal(body, signature)
        if refusal is not None:
            log.warning("ignoring a control message: %s", refusal)
            return
        self.dispatcher.on_control(body)

    def _refusal(self, body: bytes, signature: str | None) -> str | None:
        """Why a workitem or control message must not be acted on, or None when it may.

        Without a key nothing is verified, but a signed message is refused all the same: it comes from an
        engine that signs, which would dead-letter this instance's unsigned replies. Running the work would
        do its side effects with nobody hearing of the outcome; refusing it shows the misconfiguration.
        """
        if self.signing_key:
            return None if verify(self.signing_key, body, signature) else UNSIGNED
        if signature is not None:
            return "it is signed but BOSS_SIGNING_KEY is not set for this participant"
        return None

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # run in a thread (tests): stop() is the way to stop
        for signum in (signal.SIGTERM, signal.SIGINT):
            self._previous_handlers[signum] = signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Only set flags here: the loop notices within MAX_WAIT. Touching pika from a handler could deadlock.
        if self._stop_requested.is_set():
            log.warning("second %s: exiting now", signal.Signals(signum).name)
            os._exit(128 + signum)
        log.info("%s: stopping (a second one exits at once)", signal.Signals(signum).name)
        self._stop_requested.set()

    def _close_down(self) -> None:
        if not self._torn_down and self.dispatcher is not None:
            self._teardown()
        if self._link is not None:
            self._link.close()
            self._link = None
        if self.status_file is not None:
            self.status_file.remove()
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler)
        self._previous_handlers.clear()
        if self._stopping_since is not None:
            log.info("stopped %s (handled %d workitems)", self.instance,
                     self.dispatcher.handled if self.dispatcher else 0)

    def _teardown(self) -> None:
        self._torn_down = True
        if self.dispatcher is None:
            return
        try:
            self.dispatcher.participant.teardown()
        except Exception:
            log.exception("teardown of %s raised", self.name)

    # ---- the loop ----------------------------------------------------------------------------------
    def _serve(self) -> None:
        assert self.dispatcher is not None
        while not self._finished():
            if self._link is None and time.monotonic() >= self._next_connect:
                self._reconnect()
            try:
                self._wait(self._time_limit())
                self.dispatcher.drain()
                self._tick(time.monotonic())
                if self._link is not None:
                    self.outbox.flush(self._link)
                if self.status_file is not None:
                    self.status_file.update(self.dispatcher.current(), self.dispatcher.handled)
            except LinkErrors as exc:
                self._lost(exc)

    def _wait(self, time_limit: float) -> None:
        if self._link is not None:
            self._link.process(time_limit)
        else:
            self._nudge.wait(time_limit)
            self._nudge.clear()

    def _wake(self) -> None:
        """From any thread: make the loop look at new events now rather than at its next tick."""
        self._nudge.set()
        link, dispatcher = self._link, self.dispatcher
        if link is not None and dispatcher is not None:
            link.wake(dispatcher.drain)

    def _time_limit(self) -> float:
        assert self.dispatcher is not None
        due = [self.dispatcher.next_due(connected=self._link is not None)]
        if self._stopping_since is not None:
            if self.dispatcher.jobs:
                due.append(self._stopping_since + self.grace)
        elif self._link is not None:
            due.append(self._next_announce)
        if self._link is None:
            due.append(self._next_connect)
        elif len(self.outbox):
            due.append(self.outbox.retry_at)
        return min(MAX_WAIT, max(0.01, min(due) - time.monotonic()))

    def _tick(self, now: float) -> None:
        assert self.dispatcher is not None
        dispatcher = self.dispatcher
        if self._stop_requested.is_set() and self._stopping_since is None:
            self._begin_stop(now)
        dispatcher.tick(now, connected=self._link is not None)
        if self._stopping_since is None:
            if now >= self._next_announce and self._link is not None:
                self._announce("heartbeat")
            return
        if dispatcher.jobs and now - self._stopping_since >= self.grace:
            dispatcher.hand_back()
        if not dispatcher.jobs and not self._torn_down:
            self._teardown()
            self._announce("goodbye")

    def _begin_stop(self, now: float) -> None:
        assert self.dispatcher is not None
        self._stopping_since = now
        self.dispatcher.stopping = True
        running = len(self.dispatcher.jobs)
        log.info("stopping: %s", f"waiting up to {self.grace:g}s for {running} running workitem(s)"
                 if running else "no work in progress")
        if self._link is not None:
            self._link.stop_consuming()

    def _finished(self) -> bool:
        if not self._torn_down:
            return False
        if not len(self.outbox):
            return True
        assert self._stopping_since is not None
        if time.monotonic() < self._stopping_since + self.grace + FLUSH_LIMIT:
            return False
        log.warning("gave up sending %d messages: the broker is unreachable", self.outbox.drop_all())
        return True

    def _reconnect(self) -> None:
        try:
            self._connect()
        except LinkErrors as exc:
            log.warning("cannot reach the broker at %s (%s); retrying in %.1fs", mask_url(self.amqp_url),
                        describe(exc), self._backoff)
            self._next_connect = time.monotonic() + self._backoff
            self._backoff = min(self._backoff * 2, BACKOFF_MAX)

    def _lost(self, exc: BaseException) -> None:
        log.warning("lost the broker connection (%s); reconnecting in %.1fs", describe(exc), self._backoff)
        if self._link is not None:
            self._link.close()
            self._link = None
        self._next_connect = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, BACKOFF_MAX)

    def _announce(self, kind: AnnouncementKind) -> None:
        assert self.dispatcher is not None
        note = self.announcer.announcement(kind, current=self.dispatcher.current(), handled=self.dispatcher.handled)
        self.outbox.event(topology.EVENTS_EXCHANGE, self.announcer.route(kind), note.encode())
        self._next_announce = time.monotonic() + self.announce_interval


def run_participant(participant_cls: type[Participant], *, amqp_url: str, name: str | None = None,
                    queue: str | None = None, config: dict[str, Any] | None = None, concurrency: int = 1,
                    accept_after: float = 1.0, announce_interval: float = 15.0, grace: float = 30.0,
                    instance: str | None = None, signing_key: str | None = None) -> None:
    """Run a participant daemon in the foreground until SIGTERM/SIGINT.

    Args:
        participant_cls: The Participant subclass.
        amqp_url: The broker (``amqp://user:password@host:5672/vhost``).
        name: The participant name (default: the class's ``name``).
        queue: The queue to consume (default ``participant.<name>``).
        config: What ``setup`` receives (default: ``etc/participants/<name>.yaml`` plus environment).
        concurrency: How many workitems run at once (the prefetch); ``handle`` must then be thread-safe.
        accept_after: Work still running after this many seconds is accepted (acked) and heartbeated.
        announce_interval: Seconds between heartbeat announcements on ``boss.events``.
        grace: Seconds a shutdown waits for running work before handing it back.
        instance: The instance id (default ``<name>-<host>-<pid>-<random>``).
        signing_key: The shared ``BOSS_SIGNING_KEY``: only workitems and cancels signed with it are acted
            on, and replies and announcements are signed with it (see :mod:`engine.transport.signing`).

    Raises:
        SetupError, TransportError, ConfigError: the daemon cannot start.
    """
    Runtime(participant_cls, amqp_url=amqp_url, name=name, queue=queue, config=config, concurrency=concurrency,
            accept_after=accept_after, announce_interval=announce_interval, grace=grace, instance=instance,
            signing_key=signing_key).run()
