"""Small drivers for interpreter tests: launch a YAML definition and feed it events by hand."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta

from engine.interpreter import ProcessState, Transition, advance, launch
from engine.interpreter.effects import CancelWork, Dispatch, Record, StartTimer
from engine.interpreter.events import Event, Launch, Reply, ReplyError, TimerFired
from engine.interpreter.state import Options
from engine.language import Program, load_text

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def program_of(text: str) -> Program:
    return Program.single(load_text(textwrap.dedent(text)))


class Driver:
    """Holds a process's state; each call applies one event and keeps the transition."""

    def __init__(self, text: str, fields: dict[str, object] | None = None, **options: object) -> None:
        self.program = program_of(text)
        self.now = T0
        self.last = launch(self.program, Launch(at=T0, process_id="p1", fields=fields or {},
                                                options=Options.model_validate(options)))
        self.state: ProcessState = self.last.state

    def apply(self, event: Event) -> Transition:
        self.last = advance(self.program, self.state, event)
        self.state = self.last.state
        return self.last

    def later(self, **delta: float) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now

    def dispatches(self) -> list[Dispatch]:
        return [e for e in self.last.effects if isinstance(e, Dispatch)]

    def cancels(self) -> list[CancelWork]:
        return [e for e in self.last.effects if isinstance(e, CancelWork)]

    def timers(self) -> list[StartTimer]:
        return [e for e in self.last.effects if isinstance(e, StartTimer)]

    def records(self) -> list[str]:
        return [e.kind for e in self.last.effects if isinstance(e, Record)]

    def reply(self, dispatch: Dispatch, kind: str = "done", **data: object) -> Transition:
        wi = dispatch.workitem
        return self.apply(Reply(at=self.now, workitem=wi.id, attempt=wi.attempt, kind=kind,  # type: ignore[arg-type]
                                instance="i1", **data))  # type: ignore[arg-type]

    def fail(self, dispatch: Dispatch, message: str, retryable: bool = False) -> Transition:
        return self.reply(dispatch, "error", error=ReplyError(message=message, retryable=retryable))

    def fire(self, timer: StartTimer) -> Transition:
        self.now = max(self.now, timer.due)
        return self.apply(TimerFired(at=self.now, timer=timer.timer))
