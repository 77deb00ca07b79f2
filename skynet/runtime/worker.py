"""One workitem in progress: its delivery, its acceptance state, and the thread that runs ``handle``.

``handle`` runs in a worker thread so the connection thread stays free to answer AMQP heartbeats, send
the workitem's heartbeats and receive cancel requests. The worker never touches the connection: it hands
its progress and its outcome to the connection thread as events.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from engine.transport.messages import CurrentWork, ErrorBody, ReplyMessage, WorkitemMessage
from skynet.outcome import Outcome, execute
from skynet.participant import Participant
from skynet.runtime.connection import Delivery
from skynet.workitem import Workitem

JobKey = tuple[str, int]
ReplyKind = Literal["accepted", "progress", "done", "error"]
MIN_HEARTBEAT = 0.1


@dataclass(eq=False)
class Job:
    """A workitem this instance is working on.

    Attributes:
        message: The workitem as received.
        wi: What ``handle`` sees.
        delivery: The delivery still to be acked; None once the ack is queued (accepted or answered).
        started: ``time.monotonic()`` when the work began (for ``accept_after``).
        since: The wall-clock start, reported in heartbeat announcements.
        accepted: Whether ``accepted`` was sent (then heartbeats follow until the final reply).
        last_sent: ``time.monotonic()`` of the last reply sent for it (heartbeats are due after that).
    """

    message: WorkitemMessage
    wi: Workitem
    delivery: Delivery | None
    started: float = field(default_factory=time.monotonic)
    since: datetime = field(default_factory=lambda: datetime.now(UTC))
    accepted: bool = False
    last_sent: float = 0.0

    @property
    def key(self) -> JobKey:
        """The workitem id and attempt: what the engine matches replies and cancels on."""
        return (self.message.id, self.message.attempt)

    @property
    def heartbeat_interval(self) -> float:
        """Seconds between heartbeats, as the engine asked (bounded below so a zero cannot flood)."""
        return max(self.message.heartbeat_interval, MIN_HEARTBEAT)

    def current(self) -> CurrentWork:
        """What heartbeat announcements say this instance is doing."""
        return CurrentWork(workitem=self.message.id, attempt=self.message.attempt,
                           process_id=self.message.process_id, step=self.message.step, since=self.since)

    def final_reply(self, outcome: Outcome, instance: str) -> ReplyMessage:
        """The ``done`` or ``error`` reply of an outcome."""
        return reply_to(self.message, outcome.kind, instance, result=outcome.result, fields=outcome.changed,
                        error=outcome.error)

    def lost_reply(self, instance: str) -> ReplyMessage:
        """The reply that hands accepted work back when the instance stops before it finished."""
        error = ErrorBody(type="lost", retryable=True,
                          message=f"instance {instance} stopped before finishing; handed back")
        return reply_to(self.message, "error", instance, error=error)


def reply_to(message: WorkitemMessage, kind: ReplyKind, instance: str, **values: Any) -> ReplyMessage:
    """A reply about ``message`` from ``instance`` (``values``: result, fields, progress, error)."""
    return ReplyMessage(id=message.id, process_id=message.process_id, step=message.step, attempt=message.attempt,
                        kind=kind, instance=instance, sent_at=datetime.now(UTC), **values)


@dataclass(frozen=True)
class Progress:
    """Event: ``wi.progress()`` was called."""

    job: Job
    payload: dict[str, Any]


@dataclass(frozen=True)
class Finished:
    """Event: ``handle`` returned or raised."""

    job: Job
    outcome: Outcome


Event = Progress | Finished


def start_worker(participant: Participant, job: Job, post: Callable[[Event], None]) -> threading.Thread:
    """Run ``handle`` for ``job`` in a daemon thread and post its outcome.

    Daemon, because a handle that ignores a shutdown must not keep the process alive after the grace period
    (its work has been handed back by then).
    """

    def work() -> None:
        post(Finished(job, execute(participant, job.wi)))

    thread = threading.Thread(target=work, name=f"skynet-work-{job.message.id}", daemon=True)
    thread.start()
    return thread
