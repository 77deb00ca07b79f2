"""Deciding, for each workitem, what to reply and when to ack: the delivery contract, without the socket.

A job that finishes within ``accept_after`` seconds is answered (``done``/``error``) and then acked. A
longer one is ``accepted`` and acked, so it may run for hours, far past RabbitMQ's ``consumer_timeout``;
then ``progress`` heartbeats prove it alive until the final reply. Everything the broker must hear goes
through the :class:`~skynet.runtime.outbox.Outbox` in order; this class never touches the connection, and
runs on the connection thread only (workers talk to it through :meth:`Dispatcher.post`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from engine.transport.messages import ControlMessage, CurrentWork, MessageError, WorkitemMessage
from skynet.errors import ParticipantError
from skynet.outcome import Outcome, error_body, validate_params
from skynet.participant import Participant
from skynet.runtime.connection import Delivery
from skynet.runtime.outbox import Outbox
from skynet.runtime.recent import Recent
from skynet.runtime.worker import Event, Finished, Job, JobKey, Progress, ReplyKind, reply_to, start_worker
from skynet.workitem import Workitem

log = logging.getLogger("skynet.runtime")


class Dispatcher:
    """Owns the jobs of one runtime: starts them, accepts them, heartbeats, answers, cancels, hands back."""

    def __init__(self, participant: Participant, *, name: str, instance: str, accept_after: float,
                 outbox: Outbox, wake: Callable[[], None]) -> None:
        self.participant = participant
        self.name = name
        self.instance = instance
        self.accept_after = accept_after
        self.outbox = outbox
        self.jobs: dict[JobKey, Job] = {}
        self.handled = 0
        self.stopping = False
        self.cancels = Recent()  # cancels for work not received (yet): drop it when it comes
        self.answered = Recent()  # work answered here: a redelivery after a reconnect is a duplicate
        self._events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._wake = wake
        self._logger = logging.getLogger(f"skynet.participant.{name}")

    # ---- from other threads ------------------------------------------------------------------------
    def post(self, event: Event) -> None:
        """Hand an event from a worker to the connection thread (thread-safe)."""
        self._events.put(event)
        self._wake()

    # ---- deliveries --------------------------------------------------------------------------------
    def on_work(self, delivery: Delivery, body: bytes) -> None:
        """A workitem arrived: drop it, dead-letter it, answer it at once, or start working on it."""
        try:
            message = WorkitemMessage.decode(body)
        except MessageError as exc:
            log.warning("dead-lettering a message (tag %d): %s", delivery.tag, exc)
            self.outbox.settle(delivery, "reject", "an invalid message")
            return
        key = (message.id, message.attempt)
        what = f"workitem {message.id} attempt {message.attempt}"
        running = self.jobs.get(key)
        if key in self.cancels:
            log.info("%s was cancelled before it arrived: dropping it", what)
            self.outbox.settle(delivery, "ack", what)
        elif running is not None:
            self._duplicate(running, delivery, what)
        elif key in self.answered:
            log.info("%s was already answered by this instance: dropping the duplicate", what)
            self.outbox.settle(delivery, "ack", what)
        elif self.stopping:
            self.outbox.settle(delivery, "requeue", what)
        else:
            self._begin(message, delivery, what)

    def _duplicate(self, job: Job, delivery: Delivery, what: str) -> None:
        if job.delivery is not None and job.delivery.epoch != delivery.epoch:
            # The connection dropped before the ack: the broker redelivered it to us. Keep working and ack
            # the new delivery instead, in the same order (after accepted or the final reply).
            job.delivery = delivery
            log.info("%s came back after a reconnect; still working on it", what)
        else:
            log.info("%s is already being worked on here: acking the duplicate", what)
            self.outbox.settle(delivery, "ack", f"a duplicate of {what}")

    def _begin(self, message: WorkitemMessage, delivery: Delivery, what: str) -> None:
        log.info("received %s (process %s, step %s)", what, message.process_id, message.step)
        try:
            params = validate_params(type(self.participant), message.params)
        except ParticipantError as exc:
            log.warning("%s: %s", what, exc.message)
            self.outbox.reply(reply_to(message, "error", self.instance, error=error_body(exc)))
            self.outbox.settle(delivery, "ack", what)
            self.answered.add((message.id, message.attempt))
            return
        job: Job

        def progress(payload: dict[str, Any]) -> None:
            self.post(Progress(job, payload))

        wi = Workitem(id=message.id, process_id=message.process_id, process_name=message.process_name,
                      step=message.step, path=message.path, attempt=message.attempt,
                      idempotency_key=message.idempotency_key, participant=message.participant,
                      deadline=message.deadline, heartbeat_interval=message.heartbeat_interval, params=params,
                      fields=dict(message.fields), on_progress=progress, logger=self._logger)
        job = Job(message=message, wi=wi, delivery=delivery)
        self.jobs[job.key] = job
        start_worker(self.participant, job, self.post)

    def on_control(self, body: bytes) -> None:
        """A control message arrived: cancel the work it names, or remember the cancel for later."""
        try:
            message = ControlMessage.decode(body)
        except MessageError as exc:
            log.warning("ignoring a control message: %s", exc)
            return
        key = (message.workitem, message.attempt)
        job = self.jobs.get(key)
        what = f"workitem {message.workitem} attempt {message.attempt}"
        if job is None:
            self.cancels.add(key)
            log.info("cancel for %s, which is not running here: it is dropped if it arrives", what)
            return
        if job.wi.cancelled.is_set():
            return
        log.info("cancel for %s: calling the cancel hook", what)
        job.wi.cancelled.set()
        threading.Thread(target=self._call_cancel, args=(job.wi,), name=f"skynet-cancel-{message.workitem}",
                         daemon=True).start()

    def _call_cancel(self, wi: Workitem) -> None:
        try:
            self.participant.cancel(wi)
        except Exception:
            wi.log.exception("the cancel hook raised")

    # ---- on the connection thread ------------------------------------------------------------------
    def drain(self) -> None:
        """Act on what the workers posted: progress (accepting first) and finished work."""
        while True:
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                return
            job = self.jobs.get(event.job.key)
            if job is not event.job:
                continue  # handed back at shutdown: its answer no longer counts
            if isinstance(event, Progress):
                if not job.accepted:
                    self._accept(job)
                self._send(job, "progress", progress=event.payload)
            elif isinstance(event, Finished):
                self._finish(job, event.outcome)

    def tick(self, now: float, connected: bool) -> None:
        """Accept work that takes longer than ``accept_after``; send heartbeats that are due."""
        for job in list(self.jobs.values()):
            if not job.accepted:
                # While stopping, unaccepted work stays unacked so it can be requeued cleanly.
                if not self.stopping and now - job.started >= self.accept_after:
                    self._accept(job)
            elif connected and now - job.last_sent >= job.heartbeat_interval:
                self._send(job, "progress")

    def next_due(self, connected: bool) -> float:
        """The ``time.monotonic()`` when :meth:`tick` next has something to do (inf when nothing)."""
        due = [job.last_sent + job.heartbeat_interval if job.accepted else job.started + self.accept_after
               for job in self.jobs.values()
               if (job.accepted and connected) or not (job.accepted or self.stopping)]
        return min(due, default=float("inf"))

    def current(self) -> CurrentWork | None:
        """The oldest work in progress, for heartbeat announcements."""
        oldest = min(self.jobs.values(), key=lambda job: job.started, default=None)
        return oldest.current() if oldest is not None else None

    def hand_back(self) -> None:
        """Give up on the running work at shutdown: requeue what was not accepted, report the rest lost."""
        for job in self.jobs.values():
            what = f"workitem {job.message.id} attempt {job.message.attempt}"
            if job.delivery is not None:
                log.warning("handing back %s: requeued (it was not accepted yet)", what)
                self.outbox.settle(job.delivery, "requeue", what)
            else:
                log.warning("handing back %s: reported lost (it was accepted)", what)
                self.outbox.reply(job.lost_reply(self.instance))
        self.jobs.clear()

    def _accept(self, job: Job) -> None:
        self._send(job, "accepted")
        self._ack(job)
        job.accepted = True
        log.info("accepted workitem %s attempt %d", job.message.id, job.message.attempt)

    def _send(self, job: Job, kind: ReplyKind, **values: Any) -> None:
        self.outbox.reply(reply_to(job.message, kind, self.instance, **values))
        job.last_sent = time.monotonic()

    def _ack(self, job: Job) -> None:
        if job.delivery is not None:
            self.outbox.settle(job.delivery, "ack", f"workitem {job.message.id} attempt {job.message.attempt}")
            job.delivery = None

    def _finish(self, job: Job, outcome: Outcome) -> None:
        self.outbox.reply(job.final_reply(outcome, self.instance))
        self._ack(job)
        del self.jobs[job.key]
        self.answered.add(job.key)
        self.handled += 1
        took = time.monotonic() - job.started
        error = outcome.error
        if error is None:
            log.info("done workitem %s attempt %d in %.1fs", job.message.id, job.message.attempt, took)
        else:
            log.info("error workitem %s attempt %d in %.1fs: %s%s: %s", job.message.id, job.message.attempt, took,
                     error.type, " (retryable)" if error.retryable else "", error.message)
