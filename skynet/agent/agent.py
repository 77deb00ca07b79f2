"""The pool agent: publishes this pool's state on the bus and carries out authorised control requests.

One thread owns the broker connection: it publishes the state every ``interval`` seconds, receives
requests, judges them (:mod:`skynet.agent.policy`) and answers. Actions run on a second thread, because
stopping a program can take as long as the program's stop timeout and the connection must keep being
serviced meanwhile; their outcome comes back through a queue, and the connection thread answers and
publishes the new state. When the broker goes away the agent reconnects with backoff; actions finished in
the meantime are answered after the reconnection (direct reply-to addresses outlive our connection, not
the requester's).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, cast

from engine.transport import topology
from engine.transport.messages import MessageError
from engine.transport.pool_messages import Action, PoolControl, PoolControlAnswer, PoolState, pool_state_route
from engine.urls import mask_url
from skynet.agent.backend import PoolActionError, PoolBackend, PoolSnapshot
from skynet.agent.link import AgentLink, direct_reply_address
from skynet.agent.policy import Gate, addressed_to
from skynet.agent.settings import AgentSettings
from skynet.runtime.connection import LinkErrors, describe

log = logging.getLogger("skynet.agent")

TICK = 0.2  # longest wait before the connection thread looks at finished actions and the stop flag
BACKOFF = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class Job:
    """An authorised action waiting for (or back from) the worker thread."""

    request: PoolControl
    reply_to: str | None
    error: str | None = None
    refused: bool = False


class Agent:
    """One pool's agent; :meth:`run` until :meth:`stop` (from a signal handler or another thread)."""

    def __init__(self, settings: AgentSettings, backend: PoolBackend) -> None:
        self.settings = settings
        self.backend = backend
        self.gate = Gate(settings)
        self.started_at = datetime.now(UTC)
        self._stopping = threading.Event()
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self._finished: queue.Queue[Job] = queue.Queue()
        self._unanswered: list[Job] = []  # finished, but the connection failed before they were answered

    def stop(self) -> None:
        """Ask :meth:`run` to publish a last state and return (safe from signal handlers and any thread)."""
        self._stopping.set()

    def run(self) -> None:
        """Serve until stopped, reconnecting with backoff whenever the broker is unreachable."""
        worker = threading.Thread(target=self._work, name="skynet-agent-worker", daemon=True)
        worker.start()
        failures = 0
        try:
            while not self._stopping.is_set():
                try:
                    link = AgentLink.open(self.settings.amqp_url, pool=self.settings.pool, host=self.settings.host,
                                          signing_key=self.settings.signing_key)
                except LinkErrors as exc:
                    failures = self._back_off(failures, f"cannot reach the broker ({describe(exc)})")
                    continue
                try:
                    failures = 0
                    self._serve(link)
                    self._answer_finished(link)
                    self._publish_state(link, agent="stopped")
                except LinkErrors as exc:
                    failures = self._back_off(failures, f"lost the broker ({describe(exc)})")
                finally:
                    link.close()
        finally:
            self._jobs.put(None)
        log.info("pool agent of %s stopped", self.settings.pool)

    def _back_off(self, failures: int, reason: str) -> int:
        delay = BACKOFF[min(failures, len(BACKOFF) - 1)]
        log.warning("%s: retrying in %gs", reason, delay)
        self._stopping.wait(delay)
        return failures + 1

    def _serve(self, link: AgentLink) -> None:
        settings = self.settings
        link.listen(settings.pool, lambda body, signature, reply_to: self._on_request(
            link, body, signature, reply_to))
        log.info("pool agent of %s on %s connected to %s (state every %gs, allowed: %s)", settings.pool,
                 settings.host, mask_url(settings.amqp_url), settings.interval,
                 ", ".join(sorted(settings.allow)) or "none")
        next_state = 0.0
        while not self._stopping.is_set():
            self._answer_finished(link)
            if time.monotonic() >= next_state:
                self._publish_state(link)
                next_state = time.monotonic() + settings.interval
            link.process(max(0.0, min(TICK, next_state - time.monotonic())))

    def _on_request(self, link: AgentLink, body: bytes, signature: str | None, reply_to: str | None) -> None:
        try:
            request = PoolControl.decode(body)
        except MessageError as exc:
            log.warning("ignored a message on the control queue of pool %s: %s", self.settings.pool, exc)
            return
        if not addressed_to(request, self.settings.pool):
            return
        reply_to = direct_reply_address(reply_to)
        refusal = self.gate.refusal(request, body=body, signature=signature, now=datetime.now(UTC))
        what = one_line(f"{request.action} {' '.join(request.programs)}")
        who = f"request {one_line(request.request_id)} by {one_line(request.by or '?')}"
        if refusal is not None:
            log.warning("refused %s (%s): %s", what, who, refusal)
            self._answer(link, Job(request, reply_to, refusal, refused=True), state=None)
        elif request.action == "report":
            self._answer(link, Job(request, reply_to), state=self._state())
        else:
            log.info("%s (%s)", what, who)
            self._jobs.put(Job(request, reply_to))

    def _work(self) -> None:
        """The worker thread: carry out actions one at a time, in the order they were received."""
        while (job := self._jobs.get()) is not None:
            request = job.request
            what = one_line(f"{request.action} {' '.join(request.programs)}")
            try:
                self.backend.control(cast(Action, request.action), request.programs)  # never "report" here
                error = None
            except PoolActionError as exc:
                error = str(exc)
            except Exception as exc:  # a backend bug must not kill the worker: report it to the requester
                log.exception("%s failed", what)
                error = f"{request.action} failed: {describe(exc)}"
            if error:
                log.warning("%s failed: %s", what, error)
            else:
                log.info("%s: done", what)
            self._finished.put(Job(request, job.reply_to, error))

    def _answer_finished(self, link: AgentLink) -> None:
        while True:
            try:
                job = self._unanswered.pop(0) if self._unanswered else self._finished.get_nowait()
            except queue.Empty:
                return
            try:
                state = self._state()
                self._answer(link, job, state=state)
                self._publish(link, state)
            except LinkErrors:
                self._unanswered.insert(0, job)
                raise

    def _answer(self, link: AgentLink, job: Job, *, state: PoolState | None) -> None:
        if job.reply_to is None:
            return
        answer = PoolControlAnswer(request_id=job.request.request_id, pool=self.settings.pool,
                                   host=self.settings.host, ok=job.error is None, refused=job.refused, error=job.error,
                                   state=state)
        link.publish("", job.reply_to, answer.encode(), correlation_id=job.request.request_id)

    def _publish_state(self, link: AgentLink, agent: Literal["running", "stopped"] = "running") -> None:
        self._publish(link, self._state(agent))

    def _publish(self, link: AgentLink, state: PoolState) -> None:
        link.publish(topology.EVENTS_EXCHANGE, pool_state_route(self.settings.pool), state.encode())

    def _state(self, agent: Literal["running", "stopped"] = "running") -> PoolState:
        try:
            snapshot = self.backend.snapshot()
        except Exception as exc:  # a backend bug: keep the agent on the bus, say what is wrong in the state
            log.exception("reading the pool failed")
            snapshot = PoolSnapshot(error=f"the agent cannot read the pool: {describe(exc)}")
        return PoolState(host=self.settings.host, pool=self.settings.pool, skynet_home=str(self.settings.home),
                         agent=agent, agent_started_at=self.started_at, sent_at=datetime.now(UTC),
                         programs=list(snapshot.programs), error=snapshot.error)


def one_line(text: str, limit: int = 200) -> str:
    """``text`` on one line and at most ``limit`` characters: request fields are written by the requester,
    and must not forge log lines."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 3] + "..."
