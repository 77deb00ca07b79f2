"""What the interpreter asks the world to do: its outputs.

The engine carries effects out after committing the new state (dispatch over AMQP, store timers, publish
records); the simulator carries them out on a virtual clock. ``Record``s are the observable history of a
process: the audit trail, the CLI's ``--follow`` stream and the dashboard's live view are made of them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class _Effect(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Workitem(_Effect):
    """The work sent to a participant (wire format ``v: 1``)."""

    id: str
    process_id: str
    process_name: str
    step: str
    path: str
    participant: str
    attempt: int
    idempotency_key: str
    fields: dict[str, Any]
    params: dict[str, Any]
    deadline: datetime | None = None
    heartbeat_interval: float
    sent_at: datetime


class Dispatch(_Effect):
    """Send a workitem to its participant's queue."""

    type: Literal["dispatch"] = "dispatch"
    workitem: Workitem


class CancelWork(_Effect):
    """Ask the participant holding a workitem to stop it (its ``cancel`` hook runs)."""

    type: Literal["cancel_work"] = "cancel_work"
    workitem: str
    attempt: int
    participant: str
    instance: str | None = None


class StartTimer(_Effect):
    """Store a timer; a TimerFired event must come back once ``due`` has passed (even after downtime)."""

    type: Literal["start_timer"] = "start_timer"
    timer: str
    due: datetime


class StopTimer(_Effect):
    """Forget a timer; a late TimerFired for it is ignored anyway."""

    type: Literal["stop_timer"] = "stop_timer"
    timer: str


class Record(_Effect):
    """One entry of the process history (``step.done``, ``process.error``...)."""

    type: Literal["record"] = "record"
    kind: str
    at: datetime
    node: str | None = None
    step: str | None = None
    path: str | None = None
    data: dict[str, Any] = {}


class Finished(_Effect):
    """The process reached a final state (done or cancelled)."""

    type: Literal["finished"] = "finished"
    status: str


Effect = Dispatch | CancelWork | StartTimer | StopTimer | Record | Finished
