"""What can happen to a process: the interpreter's inputs.

Every event carries its time (``at``); nothing inside the interpreter reads a clock. Events are immutable
and tagged by ``type`` so that the engine can store and replay them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.interpreter.state import Options


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    at: datetime
    by: str | None = None


class Launch(_Event):
    """Start a process with the given (already declared-checked) fields."""

    type: Literal["launch"] = "launch"
    process_id: str
    fields: dict[str, Any] = {}
    options: Options = Field(default_factory=Options)


class ReplyError(BaseModel):
    """The error part of a participant's reply."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: str = "ParticipantError"
    message: str = ""
    retryable: bool = False
    detail: Any = None
    retry_after: float | None = None


class Reply(_Event):
    """A participant's answer about a workitem: accepted, progress (heartbeat), done or error."""

    type: Literal["reply"] = "reply"
    workitem: str
    attempt: int
    kind: Literal["accepted", "progress", "done", "error"]
    result: Any = None
    fields: dict[str, Any] = {}
    progress: dict[str, Any] = {}
    error: ReplyError | None = None
    instance: str | None = None


class TimerFired(_Event):
    """A timer the interpreter asked for is due."""

    type: Literal["timer"] = "timer"
    timer: str


class Cancel(_Event):
    """Cancel the process: running work is cancelled, then ``on_cancel`` runs."""

    type: Literal["cancel"] = "cancel"
    reason: str | None = None


class Pause(_Event):
    """Hold the process: no new step starts until it resumes."""

    type: Literal["pause"] = "pause"


class Resume(_Event):
    """Let a paused process go on."""

    type: Literal["resume"] = "resume"


class Retry(_Event):
    """Re-run a failed step, after correcting fields."""

    type: Literal["retry"] = "retry"
    step: str | None = None
    fields: dict[str, Any] = {}


class Skip(_Event):
    """Mark a failed step skipped and go on."""

    type: Literal["skip"] = "skip"
    step: str | None = None


class Answer(_Event):
    """A person's answer to an ``approve`` step."""

    type: Literal["answer"] = "answer"
    step: str | None = None
    approved: bool
    comment: str = ""
    groups: tuple[str, ...] = ()


Event = Annotated[
    Launch | Reply | TimerFired | Cancel | Pause | Resume | Retry | Skip | Answer, Field(discriminator="type")
]
Command = Cancel | Pause | Resume | Retry | Skip | Answer
