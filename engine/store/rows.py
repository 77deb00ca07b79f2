"""The typed rows the store hands out and takes in.

Plain frozen dataclasses rather than pydantic models: they are built by the thousand per second on the
engine's hot path and only ever come from (or go to) the database, which already guarantees their shape.
They keep a ``__dict__`` (no ``slots``) so that callers may turn them into dicts with ``vars()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.interpreter.state import ProcessState


@dataclass(frozen=True)
class ProcessRow:
    """A process as ``boss ps`` / ``boss show`` see it: denormalised columns plus the decoded state."""

    id: str
    name: str
    version: int | None
    digest: str
    program: str  # digest of the stored program bundle the process runs
    status: str
    launched_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    error_step: str | None
    error_message: str | None
    request_id: str | None
    state: ProcessState


@dataclass(frozen=True)
class HistoryRow:
    """One record of a process's history, numbered 1, 2, 3... per process."""

    process_id: str
    seq: int
    at: datetime
    kind: str
    node: str | None
    step: str | None
    path: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class StepRow:
    """What users see of one step: the projection of its records (see :mod:`engine.store.projection`)."""

    process_id: str
    node: str
    path: str | None
    step: str | None
    kind: str | None
    participant: str | None
    status: str
    attempt: int
    started_at: datetime | None
    ended_at: datetime | None
    instance: str | None
    workitem: str | None
    progress: dict[str, Any]
    result: Any
    error: dict[str, Any] | None
    detail: dict[str, Any]
    updated_at: datetime


@dataclass(frozen=True)
class DueTimer:
    """A timer whose time has come, claimed by the transaction that read it."""

    process_id: str
    timer: str
    due: datetime


@dataclass(frozen=True)
class Outgoing:
    """A message to publish after the commit (input of :meth:`Tx.add_outbox`)."""

    exchange: str  # "" is the default exchange (routing key = queue name)
    routing_key: str
    body: bytes
    headers: dict[str, Any] = field(default_factory=dict)
    message_id: str | None = None
    content_type: str = "application/json"


@dataclass(frozen=True)
class OutboxRow:
    """An outbox message waiting for the broker's confirmation; ``id`` only ever grows."""

    id: int
    exchange: str
    routing_key: str
    body: bytes
    headers: dict[str, Any]
    message_id: str | None
    content_type: str


@dataclass(frozen=True)
class InstanceRow:
    """A participant instance, as its last registration or heartbeat described it."""

    instance: str
    participant: str
    host: str
    pool: str | None
    pid: int | None
    version: str | None
    description: str | None
    queue: str
    params_schema: dict[str, Any] | None
    config_keys: list[str]
    started_at: datetime
    last_seen: datetime
    current: dict[str, Any] | None
    handled: int


@dataclass(frozen=True)
class RegistrationRow:
    """A participant registered in a pool: what ``skynet install``/``register`` or an instance announced.

    Registrations outlive instances (a participant installed but stopped is still known, with its params
    schema, so ``boss validate`` can check steps against it); ``skynet uninstall`` removes them.
    """

    participant: str
    pool: str
    host: str
    queue: str
    version: str | None
    description: str | None
    params_schema: dict[str, Any] | None
    config_keys: list[str]
    registered_at: datetime
    registered_by: str | None


@dataclass(frozen=True)
class ScheduleRow:
    """How far the calendar launcher got with one schedule: every occurrence up to ``covered_until`` is handled.

    ``last_*`` describe the last occurrence launched (or refused by the engine, then ``last_error`` says why).
    """

    schedule: str
    covered_until: datetime
    last_occurrence: datetime | None
    last_process: str | None
    last_error: str | None
    updated_at: datetime
