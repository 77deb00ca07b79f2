"""Scripted participants and operator actions for simulations (the conformance ``responses`` format).

A script lists, per participant, its answers in call order; a participant without a script, or whose
script is used up, answers at once with its params as the result ("echo").
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from engine.errors import BossError
from engine.timing import parse_duration


class ScriptError(BossError):
    """A responses or actions script is malformed."""


class Response(BaseModel):
    """One scripted answer: a result, an error, or a hang (accepted, never answers)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    result: Any = None
    fields: dict[str, Any] = {}
    error: str | None = None
    retryable: bool = False
    type: str | None = None
    hang: bool = False
    after: timedelta = timedelta(0)  # answer after this much virtual time (a long Jenkins job, say)

    @field_validator("after", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return parse_duration(value) if isinstance(value, str | int | float) else value


class Action(BaseModel):
    """An operator action, applied as soon as it is possible."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    approve: str | None = None
    reject: str | None = None
    retry: str | None = None
    skip: str | None = None
    cancel: bool = False
    pause: bool = False
    resume: bool = False
    by: str = "simulator"
    comment: str = ""
    fields: dict[str, Any] = {}
    after: timedelta | None = None

    @field_validator("after", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return parse_duration(value) if isinstance(value, str | int | float) else value

    @property
    def verb(self) -> Literal["approve", "reject", "retry", "skip", "cancel", "pause", "resume"]:
        """What the action does."""
        for verb in ("approve", "reject", "retry", "skip", "cancel", "pause", "resume"):
            if getattr(self, verb):
                return verb
        raise ScriptError("an action needs one of approve, reject, retry, skip, cancel, pause, resume")


class Script(BaseModel):
    """Everything a simulation is told in advance."""

    model_config = ConfigDict(extra="forbid")

    responses: dict[str, list[Response]] = Field(default_factory=dict)
    actions: list[Action] = Field(default_factory=list)
    reply_order: Literal["dispatch", "reverse"] = "dispatch"
    auto_approve: bool = True  # approve steps no action answers are approved at once by "simulator"

    def next_response(self, participant: str, used: dict[str, int]) -> Response | None:
        """The participant's next scripted answer, or None to echo."""
        script = self.responses.get(participant, [])
        index = used.get(participant, 0)
        used[participant] = index + 1
        return script[index] if index < len(script) else None


def read_script(data: Any, where: str) -> Script:
    """A script from YAML data (``responses``, ``actions``, ``reply_order`` keys)."""
    if data is None:
        return Script()
    if not isinstance(data, dict):
        raise ScriptError(f"{where}: expected a mapping with 'responses' and/or 'actions'")
    if not {"responses", "actions", "reply_order", "auto_approve"} & set(data):
        data = {"responses": data}  # a bare mapping of participant -> answers
    try:
        script = Script.model_validate(data)
        for action in script.actions:
            _ = action.verb
        return script
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        raise ScriptError(f"{where}: {path}: {first['msg']}") from exc
