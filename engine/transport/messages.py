"""The wire format: JSON messages versioned with ``"v": 1`` (see docs/wire-format in interfaces.md).

Every message type is an immutable pydantic model with ``encode()`` / ``decode()``. Decoding failures are
:class:`MessageError` (raised ``from`` the cause), which the engine turns into a dead letter with the reason.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.errors import BossError
from engine.interpreter.effects import Workitem

VERSION = 1
M = TypeVar("M", bound="Message")


class MessageError(BossError):
    """A message could not be decoded or does not match its schema."""


class Message(BaseModel):
    """Base of wire messages."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    v: int = VERSION

    def encode(self) -> bytes:
        """The JSON body."""
        return self.model_dump_json(exclude_none=False).encode("utf-8")

    @classmethod
    def decode(cls: type[M], body: bytes | str) -> M:
        """Parse and validate a body.

        Raises:
            MessageError: not JSON, not an object, an unknown version, or invalid fields.
        """
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MessageError(f"not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise MessageError(f"expected a JSON object, got {type(data).__name__}")
        if data.get("v", VERSION) != VERSION:
            raise MessageError(f"unsupported message version {data.get('v')!r} (this boss speaks v{VERSION})")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "message"
            raise MessageError(f"invalid {cls.__name__}: {where}: {first['msg']}") from exc


class WorkitemMessage(Message):
    """Engine -> ``participant.<name>``: the work to do."""

    id: str
    process_id: str
    process_name: str
    step: str
    path: str = ""
    participant: str
    attempt: int
    idempotency_key: str
    fields: dict[str, Any] = {}
    params: dict[str, Any] = {}
    deadline: datetime | None = None
    heartbeat_interval: float = 10.0
    sent_at: datetime

    @classmethod
    def of(cls, workitem: Workitem) -> WorkitemMessage:
        """The wire form of an interpreter workitem."""
        return cls.model_validate(workitem.model_dump())


class ErrorBody(BaseModel):
    """The error part of a reply."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: str = "ParticipantError"
    message: str = ""
    retryable: bool = False
    detail: Any = None
    retry_after: float | None = None  # seconds the service asked to wait before the next attempt


class ReplyMessage(Message):
    """Participant -> ``boss.replies``: accepted, progress (heartbeat), done or error."""

    id: str
    process_id: str
    step: str = ""
    attempt: int
    kind: Literal["accepted", "progress", "done", "error"]
    result: Any = None
    fields: dict[str, Any] = {}
    progress: dict[str, Any] = {}
    error: ErrorBody | None = None
    instance: str | None = None
    sent_at: datetime


class LaunchMessage(Message):
    """Anyone -> ``boss.launch``: start a process (answered on ``reply_to`` when given)."""

    definition: str = Field(min_length=1)  # a definition name, or inline YAML
    bundle: dict[str, str] | None = None  # with inline YAML: the YAML of the definitions it calls
    fields: dict[str, Any] = {}
    request_id: str = Field(min_length=1)
    reply_to: str | None = None
    by: str | None = None


class CommandMessage(Message):
    """CLI / API -> ``boss.commands``: act on a running process."""

    request_id: str = Field(min_length=1)
    process_id: str
    command: Literal["cancel", "pause", "resume", "retry", "skip", "approve"]
    step: str | None = None
    fields: dict[str, Any] = {}
    approved: bool = True
    comment: str = ""
    by: str | None = None
    groups: list[str] = []
    reply_to: str | None = None


class ResponseMessage(Message):
    """Engine -> the requester: a launch or command was applied (``ok``) or refused (``error``)."""

    request_id: str
    ok: bool
    process_id: str | None = None
    status: str | None = None
    error: str | None = None
    warnings: list[str] = []


class ControlMessage(Message):
    """Engine -> ``boss.control``: stop a workitem (the participant's ``cancel`` hook runs)."""

    type: Literal["cancel"] = "cancel"
    workitem: str
    attempt: int
    participant: str
    sent_at: datetime


class CurrentWork(BaseModel):
    """The workitem an instance is working on, in its heartbeats."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    workitem: str
    attempt: int
    process_id: str
    step: str
    since: datetime


class Announcement(Message):
    """Participant instance -> ``boss.events``: register, heartbeat or goodbye."""

    kind: Literal["register", "heartbeat", "goodbye"]
    participant: str
    instance: str
    host: str
    pool: str | None = None
    pid: int | None = None
    version: str | None = None
    description: str | None = None
    queue: str
    params_schema: dict[str, Any] | None = None
    config_keys: list[str] = []
    started_at: datetime
    sent_at: datetime
    current: CurrentWork | None = None
    handled: int = 0


class Registration(Message):
    """``skynet install / register / uninstall`` -> the engine: a participant is (no longer) installed in a pool.

    Sent straight to the engine's registry queue with ``reply_to`` and header ``boss-type: registration``;
    the engine answers with a :class:`ResponseMessage` once the registry row is committed, so registration
    is confirmed, not fire-and-forget.
    """

    kind: Literal["register", "unregister"]
    request_id: str
    participant: str
    pool: str = ""
    host: str
    queue: str | None = None
    version: str | None = None
    description: str | None = None
    params_schema: dict[str, Any] | None = None
    config_keys: list[str] = []
    by: str | None = None
    sent_at: datetime
