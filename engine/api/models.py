"""Request bodies and response shapes of the REST API (they make the OpenAPI document, and 422s).

Request bodies refuse unknown keys (``extra="forbid"``): a misspelt ``"feilds"`` must be an error, not a
launch without fields. Times are ISO 8601 in UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$"  # a definition name, never a path


def is_definition_name(text: str) -> bool:
    """Whether ``text`` names a definition of the process path, and cannot be taken for a file (``x.yaml``)."""
    return not text.endswith((".yaml", ".yml"))


class Body(BaseModel):
    """Base of request bodies."""

    model_config = ConfigDict(extra="forbid")


class LaunchBody(Body):
    """Start a process: a definition by name (on the server's BOSS_PROCESS_PATH), or its YAML inline."""

    definition: str | None = Field(None, pattern=NAME_PATTERN, description="A definition name.",
                                   examples=["hello"])
    source: str | None = Field(None, min_length=1, max_length=1_000_000,
                               description="A definition's YAML, instead of a name.")
    fields: dict[str, Any] = Field(default_factory=dict, description="Launch fields.", examples=[{"who": "world"}])
    request_id: str | None = Field(None, min_length=1, max_length=200,
                                   description="Idempotency key: a repeated id gets the first launch's answer.")

    @field_validator("definition")
    @classmethod
    def _a_name(cls, value: str | None) -> str | None:
        if value is not None and not is_definition_name(value):
            raise ValueError("a definition name, without .yaml (the API reads only the process path)")
        return value

    @model_validator(mode="after")
    def _one_definition(self) -> LaunchBody:
        if (self.definition is None) == (self.source is None):
            raise ValueError("give exactly one of definition (a name) and source (YAML)")
        return self


class CommentBody(Body):
    """Cancel, pause or resume: an optional comment, kept in the history."""

    comment: str = Field("", max_length=2000)


class RetryBody(Body):
    """Re-run a failed step, optionally with corrected fields."""

    step: str | None = Field(None, description="The failed step (needed when several failed).")
    fields: dict[str, Any] = Field(default_factory=dict, description="Fields to correct first.")


class SkipBody(Body):
    """Mark a failed step skipped and go on."""

    step: str | None = Field(None, description="The failed step (needed when several failed).")


class ApproveBody(Body):
    """Answer an approve step (as the token's name)."""

    step: str | None = Field(None, description="The approve step (needed when several wait).")
    approved: bool = Field(True, description="false rejects.")
    comment: str = Field("", max_length=2000)


class ValidateBody(Body):
    """A definition to check, as ``boss validate`` does."""

    source: str = Field(min_length=1, max_length=1_000_000)


class PoolActionBody(Body):
    """Programs to act on in a pool, and how long to wait for the agents' answers."""

    programs: list[str] = Field(min_length=1, description="Program names (usually participant names).")
    wait: float = Field(90.0, gt=0, le=600, description="Seconds to wait for the answers.")


class ProcessSummary(BaseModel):
    """A process as listed."""

    id: str
    name: str
    version: int | None
    status: str
    launched_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    error_step: str | None
    error_message: str | None


class ProcessPage(BaseModel):
    """A page of processes, newest launched first."""

    items: list[ProcessSummary]
    total: int = Field(description="How many processes match the filters, on every page.")
    next: str | None = None
    next_cursor: str | None = None


class StepView(BaseModel):
    """One step of a process: status, attempts, times, progress, result, error."""

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


class ProcessDetail(ProcessSummary):
    """A process with its fields (secrets redacted) and its step tree, as ``boss show --json``."""

    fields: dict[str, Any]
    steps: list[StepView]


class Record(BaseModel):
    """One record of a process's history."""

    seq: int
    at: datetime
    kind: str
    node: str | None
    step: str | None
    path: str | None
    data: dict[str, Any]


class HistoryPage(BaseModel):
    """A page of a process's history, in order."""

    items: list[Record]
    next: str | None = None
    next_cursor: str | None = None


class LaunchAnswer(BaseModel):
    """The engine accepted a launch."""

    process_id: str
    status: str | None
    warnings: list[str] = []
    url: str


class CommandAnswer(BaseModel):
    """The engine applied a command."""

    process_id: str
    command: str
    status: str | None
