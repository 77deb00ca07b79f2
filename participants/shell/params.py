"""The params of a shell step: which allowed command, with what args, env and timeout.

Kept apart from the allow-list check (:mod:`participants.shell.invocation`): the runtime validates params
against this model, and its JSON Schema is what ``skynet`` publishes for process authors, before any
config is known. What the params may actually ask for depends on the config and is checked later.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from participants.shell.config import EnvName, Text
from skynet.durations import Duration


class Params(BaseModel):
    """A step's params: which allowed command, with what args, env and timeout."""

    model_config = ConfigDict(extra="forbid")

    command: Annotated[str, Field(min_length=1)] | Annotated[list[str], Field(min_length=1)] = Field(
        description="an allowed command's name, or an argv starting with an allowed command's argv")
    args: list[Text] = Field(default=[], description="appended to the argv (needs allow_args)")
    env: dict[EnvName, Text] = Field(default={}, description="variables named in the command's allow_env")
    timeout: Duration | None = Field(default=None, description="may lower the configured timeout")
