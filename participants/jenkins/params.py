"""The params of a jenkins step: one model per action, told apart by ``action``.

The union is published as the participant's JSON Schema, so ``boss validate`` can check steps before a
release runs. ``action`` may be left out for ``build``, the common case (``jenkins: {job: load-tests}``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, RootModel, WithJsonSchema, model_validator

from skynet.durations import Duration


def _text(value: Any) -> Any:
    """Parameter values as Jenkins receives them: text (booleans as ``true``/``false``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


JobName = Annotated[str, Field(pattern=r"^[^/]+(/[^/]+)*$", description="the job's full name: "
                               "load-tests, or folder/sub/job for a job in folders")]
ParameterValue = Annotated[str, BeforeValidator(_text), WithJsonSchema({"type": ["string", "number", "boolean"]})]


class BuildParams(BaseModel):
    """Trigger a build (with parameters), follow it from the queue, and wait for its result."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["build"] = "build"
    job: JobName
    parameters: dict[Annotated[str, Field(min_length=1)], ParameterValue] = Field(
        default={}, description="build parameters; the job must define them (Jenkins drops the others)")
    wait: bool = Field(default=True, description="false: return as soon as the build has started")
    timeout: Duration | None = Field(default=None, description="stop the build and fail when it runs longer "
                                     "(default: the configured timeout, none by default)")
    accept_unstable: bool = Field(default=False, description="count an UNSTABLE build as a success")


class StatusParams(BaseModel):
    """Look at one build without waiting: result (RUNNING while it builds), duration, tests."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["status"]
    job: JobName
    number: Annotated[int, Field(ge=1)] | Literal["lastBuild", "lastCompletedBuild", "lastSuccessfulBuild",
                                                   "lastFailedBuild"] = Field(
        default="lastBuild", description="a build number or a permalink")


class JenkinsParams(RootModel[Annotated[BuildParams | StatusParams, Field(discriminator="action")]]):
    """A jenkins step's params: ``{action: build, ...}`` or ``{action: status, ...}``."""

    @model_validator(mode="before")
    @classmethod
    def _build_by_default(cls, data: Any) -> Any:
        if isinstance(data, dict) and "action" not in data:
            return {**data, "action": "build"}
        return data
