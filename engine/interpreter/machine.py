"""The interpreter's entry points: ``launch`` and ``advance``. Pure functions of their inputs.

``advance(program, state, event)`` never mutates ``state``: it works on a deep copy and returns the new
state with the effects to carry out. It never raises on a well-formed event either: events that do not
apply (a stale reply, a late timer) are ignored, commands that do not apply are *rejected* with a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict

from engine.interpreter import commands
from engine.interpreter.effects import Effect, Finished
from engine.interpreter.events import (
    Answer,
    Cancel,
    Event,
    Launch,
    Pause,
    Reply,
    Resume,
    Retry,
    Skip,
    TimerFired,
)  # fmt: skip
from engine.interpreter.failure import timed_out
from engine.interpreter.flow import begin, restart
from engine.interpreter.kinds.participant import lease_expired, on_reply
from engine.interpreter.kinds.waiting import wait_over
from engine.interpreter.run import Run
from engine.interpreter.state import Node, ProcessState, ProcessStatus, Role
from engine.language import Program, launch_fields, redact


class Transition(BaseModel):
    """The outcome of one event: the new state, what to do, or why a command was refused."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    state: ProcessState
    effects: tuple[Effect, ...] = ()
    rejected: str | None = None


def launch(program: Program, event: Launch) -> Transition:
    """Start a process of ``program``.

    Raises:
        LaunchError: the launch fields do not satisfy the definition (the one input checked here).
    """
    definition = program.definition
    fields = launch_fields(definition, event.fields)
    state = ProcessState(id=event.process_id, name=definition.name, version=definition.version,
                         digest=definition.digest, fields=fields, launched_at=event.at, updated_at=event.at,
                         options=event.options, events=1)
    run = Run(program, state, event.at)
    run.record("process.launched", None, fields=redact(fields, definition.secret_fields), by=event.by,
               version=definition.version, digest=definition.digest)
    root = run.add_node(parent=None, role=Role.PROCESS, definition=program.main, path="process")
    state.root = root.id
    begin(run, root)
    run.drain()
    _settle(run)
    return Transition(state=state, effects=tuple(run.effects))


def advance(program: Program, state: ProcessState, event: Event) -> Transition:
    """Apply one event to a process."""
    if isinstance(event, Launch):
        return Transition(state=state, rejected=f"process {state.id} is already launched")
    if state.status.finished:
        if isinstance(event, Reply | TimerFired):
            return Transition(state=state)
        return Transition(state=state, rejected=f"process {state.id} is {state.status.value}")
    work = state.model_copy(deep=True)
    work.events += 1
    run = Run(program, work, event.at)
    _HANDLERS[type(event)](run, event)
    if run.rejected is not None:
        return Transition(state=state, rejected=run.rejected)
    run.drain()
    _settle(run)
    work.updated_at = event.at
    return Transition(state=work, effects=tuple(run.effects))


def _timer_fired(run: Run, event: TimerFired) -> None:
    timer = run.state.timers.pop(event.timer, None)
    node = run.node(timer.node) if timer is not None else None
    if timer is None or node is None:
        return
    node.timers.pop(timer.purpose, None)
    _TIMER_PURPOSES[timer.purpose](run, node)


_TIMER_PURPOSES: dict[str, Callable[[Run, Node], None]] = {
    "timeout": timed_out, "retry": restart, "wait": wait_over, "lease": lease_expired,
}
_HANDLERS: dict[type, Callable[[Run, Any], None]] = {
    Reply: on_reply, TimerFired: _timer_fired, Cancel: commands.cancel, Pause: commands.pause,
    Resume: commands.resume, Retry: commands.retry, Skip: commands.skip, Answer: commands.approve,
}


def _settle(run: Run) -> None:
    """Derive the process status after a transition; finish the process when nothing is left."""
    state = run.state
    before = state.status
    if not state.nodes:
        final = ProcessStatus.CANCELLED if before is ProcessStatus.CANCELLING else ProcessStatus.DONE
        state.status = final
        state.finished_at = run.now
        state.paused = False
        run.record(f"process.{final.value}", None, message=state.message)
        run.effects.append(Finished(status=final.value))
        return
    if before is ProcessStatus.CANCELLING:
        return
    if state.failed_nodes():
        state.status = ProcessStatus.ERROR
    else:
        state.status = ProcessStatus.PAUSED if state.paused else ProcessStatus.RUNNING
    if before is ProcessStatus.ERROR and state.status is not ProcessStatus.ERROR:
        run.record(f"process.{state.status.value}", None)  # back from error after a retry or skip
