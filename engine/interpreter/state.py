"""Process state: plain pydantic data that survives a JSON round trip.

A running process is a tree of *nodes*, one per step (or step list) in progress, much like ruote's
expression tree. A node remembers only what it needs to go on: where it is in its step list, its running
children, its timers and its workitem in flight. Finished steps leave the tree; what happened to them is
told by the records the interpreter emits (the store projects them into the step table users see).

Scopes: a node may carry ``locals`` (a foreach's ``as`` name, a call's fields, ``error`` in a handler,
``loop``) and may be *isolated* (``changes`` is a dict): parallel branches and concurrent foreach
iterations write into their own ``changes``, merged into the enclosing scope at the join, in definition
order. Reads see the process fields overlaid by every ancestor's changes and locals, innermost last.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class ProcessStatus(StrEnum):
    """Where a process is in its life."""

    RUNNING = "running"
    PAUSED = "paused"
    ERROR = "error"
    CANCELLING = "cancelling"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        """True for the states a process never leaves."""
        return self in (ProcessStatus.DONE, ProcessStatus.CANCELLED)


class NodeStatus(StrEnum):
    """Where one node is."""

    ACTIVE = "active"  # running, or waiting for its children, a reply, a timer or a person
    DELAYED = "delayed"  # waiting for its retry delay
    FAILED = "failed"  # waiting for an operator (retry, skip, cancel)
    PARKED = "parked"  # about to start, held while the process is paused


class Role(StrEnum):
    """What a node stands for."""

    PROCESS = "process"  # the root; carries the process timeout
    BLOCK = "block"  # a step list run in order (bodies, branches of if, subprocesses, handlers)
    STEP = "step"  # one step of the definition


class Purpose(StrEnum):
    """Why a block runs, when it is not plainly the body of its parent."""

    BODY = "body"
    ON_ERROR = "on_error"  # a step's on_error / on_timeout subprocess
    PROCESS_ON_ERROR = "process_on_error"
    ON_CANCEL = "on_cancel"


class Mutable(BaseModel):
    """Base of state models: mutable inside one transition (the interpreter works on a copy)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class ErrorInfo(Mutable):
    """Why a step failed."""

    type: str
    message: str
    step: str = ""
    path: str = ""
    participant: str | None = None
    retryable: bool = False
    detail: Any = None
    retry_after: float | None = None  # the least delay before a retry, as the service asked

    def scope(self) -> dict[str, Any]:
        """The ``error`` value expressions see inside handlers."""
        return {"type": self.type, "message": self.message, "step": self.step, "participant": self.participant}


class Work(Mutable):
    """The workitem a participant step has in flight."""

    id: str
    attempt: int
    participant: str
    sent_at: datetime
    instance: str | None = None
    accepted_at: datetime | None = None
    last_seen: datetime | None = None
    progress: dict[str, Any] = {}


class Timer(Mutable):
    """A durable timer owned by a node."""

    id: str
    node: str
    purpose: str
    due: datetime


class Node(Mutable):
    """One step or step list in progress."""

    id: str
    parent: str | None = None
    role: Role
    definition: str
    path: str
    purpose: Purpose = Purpose.BODY
    status: NodeStatus = NodeStatus.ACTIVE
    started_at: datetime
    slot: int = 0  # index among the parent's branches / the foreach item
    locals: dict[str, Any] = {}
    changes: dict[str, Any] | None = None
    index: int = 0  # block: next step; loop: iterations begun; foreach: items begun
    children: list[str] = []
    results: dict[str, dict[str, Any]] = {}  # finished branches' / iterations' changes, by slot
    items: list[Any] | None = None
    attempt: int = 0
    retries: int = 0
    timers: dict[str, str] = {}  # purpose -> timer id
    work: Work | None = None
    error: ErrorInfo | None = None
    handling: bool = False  # an on_error / on_timeout subprocess of this step runs
    detached: bool = False  # a parallel that completed but lets its remaining branches finish
    spins: int = 0  # loop iterations begun during the current event
    spin_event: int = 0


class Options(Mutable):
    """Per-process settings the engine passes in at launch."""

    heartbeat_interval: timedelta = timedelta(seconds=10)
    heartbeat_timeout: timedelta = timedelta(seconds=60)
    lost_retries: int = 3


class ProcessState(Mutable):
    """Everything the interpreter needs to go on with a process."""

    id: str
    name: str
    version: int | None = None
    digest: str = ""
    status: ProcessStatus = ProcessStatus.RUNNING
    fields: dict[str, Any] = {}
    launched_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    paused: bool = False
    root: str | None = None
    nodes: dict[str, Node] = {}
    timers: dict[str, Timer] = {}
    parked: list[str] = []
    counter: int = 0
    events: int = 0
    message: str | None = None  # the end step's message, or why the process was cancelled
    options: Options = Options()

    def failed_nodes(self) -> list[Node]:
        """Nodes waiting in error for an operator, in creation order."""
        return [n for n in self.nodes.values() if n.status is NodeStatus.FAILED]

    def encode(self) -> str:
        """JSON for the store."""
        return self.model_dump_json()

    @classmethod
    def decode(cls, text: str | bytes) -> ProcessState:
        """State from the store's JSON."""
        return cls.model_validate_json(text)
