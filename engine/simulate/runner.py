"""Run a process on a virtual clock with simulated participants.

The same interpreter the engine uses is driven by an event queue ordered by virtual time: replies come at
the instant of their dispatch (or ``after`` a scripted delay), timers fire at their due time, operator
actions apply as soon as they can. A month-long release cycle is therefore checked in a fraction of a
second, and the conformance cases run exactly this way.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine.interpreter import ProcessState, advance, launch
from engine.interpreter.effects import CancelWork, Dispatch, Finished, Record, StartTimer, StopTimer, Workitem
from engine.interpreter.events import (
    Answer,
    Cancel,
    Event,
    Launch,
    Pause,
    Reply,
    ReplyError,
    Resume,
    Retry,
    Skip,
    TimerFired,
)  # fmt: skip
from engine.interpreter.machine import Transition
from engine.language import Program
from engine.simulate.script import Action, Response, Script

HORIZON = timedelta(days=5 * 366)
MAX_EVENTS = 200_000


@dataclass
class Outcome:
    """What a simulation observed."""

    state: ProcessState
    records: list[Record] = field(default_factory=list)
    dispatches: list[tuple[datetime, Workitem]] = field(default_factory=list)
    cancels: list[tuple[datetime, CancelWork]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    end_time: datetime | None = None
    stopped: str | None = None  # why the simulation stopped before the process finished

    def calls(self, participant: str) -> list[Workitem]:
        """Workitems dispatched to ``participant``, in order."""
        return [wi for _, wi in self.dispatches if wi.participant == participant]


class Simulation:
    """One simulated process run."""

    def __init__(self, program: Program, *, fields: dict[str, Any] | None = None,
                 start: datetime, script: Script | None = None, process_id: str = "sim") -> None:
        self.program = program
        self.fields = fields or {}
        self.start = start
        self.script = script or Script()
        self.process_id = process_id
        self._queue: list[tuple[datetime, int, int, Event]] = []
        self._seq = itertools.count()
        self._timers: dict[str, datetime] = {}
        self._used: dict[str, int] = {}
        self._pending_actions: list[Action] = []

    def run(self) -> Outcome:
        """Run until the process finishes or nothing more can happen."""
        transition = launch(self.program, Launch(at=self.start, process_id=self.process_id, fields=self.fields))
        outcome = Outcome(state=transition.state)
        self._absorb(transition, outcome, self.start)
        self._pending_actions = [a for a in self.script.actions if a.after is None]
        for action in self.script.actions:
            if action.after is not None:
                self._push(self.start + action.after, 2, _event_for(action, self.start + action.after))
        steps = 0
        while not outcome.state.status.finished:
            steps += 1
            if steps > MAX_EVENTS:
                outcome.stopped = f"more than {MAX_EVENTS} events"
                break
            event = self._next_event(outcome)
            if event is None:
                break
            if event.at - self.start > HORIZON:
                outcome.stopped = "the next event is more than five years away"
                break
            transition = advance(self.program, outcome.state, event)
            if transition.rejected and isinstance(event, Cancel | Pause | Resume):
                outcome.rejected.append(transition.rejected)
            self._absorb(transition, outcome, event.at)
        return outcome

    # ---- the event queue ---------------------------------------------------------------------------
    def _push(self, at: datetime, rank: int, event: Event) -> None:
        heapq.heappush(self._queue, (at, rank, next(self._seq), event))

    def _next_event(self, outcome: Outcome) -> Event | None:
        """The next event: queued replies/timers at the earliest time, else an action that now applies."""
        while self._queue:
            at, _, _, event = self._queue[0]
            if isinstance(event, TimerFired) and self._timers.get(event.timer) != at:
                heapq.heappop(self._queue)  # a stopped or restarted timer
                continue
            now = outcome.state.updated_at
            if at > now and self._try_actions(outcome, now):
                continue
            heapq.heappop(self._queue)
            return event
        now = outcome.state.updated_at
        if self._try_actions(outcome, now):
            return self._next_event(outcome)
        return None

    def _try_actions(self, outcome: Outcome, now: datetime) -> bool:
        """Apply the first pending action the process accepts now; True if one applied."""
        for action in list(self._pending_actions):
            transition = advance(self.program, outcome.state, _event_for(action, now))
            if transition.rejected is None:
                self._pending_actions.remove(action)
                self._absorb(transition, outcome, now)
                return True
        return False

    # ---- effects -----------------------------------------------------------------------------------
    def _absorb(self, transition: Transition, outcome: Outcome, now: datetime) -> None:
        outcome.state = transition.state
        replies: list[tuple[datetime, Reply]] = []
        for effect in transition.effects:
            if isinstance(effect, Dispatch):
                outcome.dispatches.append((now, effect.workitem))
                reply = self._answer(effect.workitem, now)
                if reply is not None:
                    replies.append(reply)
            elif isinstance(effect, CancelWork):
                outcome.cancels.append((now, effect))
            elif isinstance(effect, StartTimer):
                self._timers[effect.timer] = effect.due
                self._push(effect.due, 1, TimerFired(at=effect.due, timer=effect.timer))
            elif isinstance(effect, StopTimer):
                self._timers.pop(effect.timer, None)
            elif isinstance(effect, Record):
                outcome.records.append(effect)
                self._maybe_approve(effect)
            elif isinstance(effect, Finished):
                outcome.end_time = now
        if self.script.reply_order == "reverse":
            replies.reverse()
        for at, answer in replies:
            self._push(at, 0, answer)

    def _maybe_approve(self, record: Record) -> None:
        """Simulated people approve at once, unless the script's actions answer that step."""
        if record.kind != "approval.requested" or not self.script.auto_approve:
            return
        scripted = {a.approve or a.reject for a in self.script.actions}
        if record.step in scripted:
            return
        answer = Answer(at=record.at, by="simulator", step=record.step, approved=True,
                        comment="", groups=tuple(record.data.get("by", ())))
        self._push(record.at, 0, answer)

    def _answer(self, workitem: Workitem, now: datetime) -> tuple[datetime, Reply] | None:
        response = self.script.next_response(workitem.participant, self._used) or Response(
            result=workitem.params)
        if response.hang:
            return None
        at = now + response.after
        base = {"at": at, "workitem": workitem.id, "attempt": workitem.attempt, "instance": "simulated"}
        if response.error is not None:
            error = ReplyError(type=response.type or ("RetryableError" if response.retryable else
                                                      "ParticipantError"),
                               message=response.error, retryable=response.retryable)
            return at, Reply(kind="error", error=error, **base)
        return at, Reply(kind="done", result=response.result, fields=response.fields, **base)


def _event_for(action: Action, now: datetime) -> Event:
    verb = action.verb
    if verb in ("approve", "reject"):
        return Answer(at=now, by=action.by, step=action.approve or action.reject, approved=verb == "approve",
                      comment=action.comment)
    if verb == "retry":
        return Retry(at=now, by=action.by, step=action.retry, fields=action.fields)
    if verb == "skip":
        return Skip(at=now, by=action.by, step=action.skip)
    if verb == "pause":
        return Pause(at=now, by=action.by)
    if verb == "resume":
        return Resume(at=now, by=action.by)
    return Cancel(at=now, by=action.by, reason=action.comment or None)
