"""The shell participant's configuration: the allow-list of commands, validated when the daemon starts.

The allow-list is the participant's whole security boundary (a step names a command, never a command line),
so it is checked strictly (unknown keys are errors) and a bad file stops the daemon at start with one line
naming every problem, rather than failing a release later; a program not installed (yet) is only a
warning. The value types (durations, scalar text, variable names) are shared with the step's params. The
keys are described in the package docstring.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema, model_validator

from skynet.durations import Duration
from skynet.errors import ConfigError

log = logging.getLogger("skynet.participant.shell")

DEFAULT_PASS_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME")


def _text(value: Any) -> Any:
    """Scalars as the text a program receives; YAML and templates give numbers and booleans too."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


Text = Annotated[str, BeforeValidator(_text), WithJsonSchema({"type": ["string", "number", "boolean"]})]
EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
CommandName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


class CommandConfig(BaseModel):
    """One allow-listed command (see the module docstring for each key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    argv: list[str] = Field(min_length=1)
    shell: bool = False
    cwd: str | None = None
    timeout: Duration | None = None
    allow_args: bool = False
    allow_env: list[EnvName] = []
    env: dict[EnvName, Text] = {}
    pass_env: list[EnvName] = []
    env_fields: list[str] = []
    json_output: bool = False
    retryable_exit_codes: list[int] = []
    description: str = ""

    @model_validator(mode="before")
    @classmethod
    def _one_line_for_shell(cls, data: Any) -> Any:
        # A string argv is only right for a shell line; for a program it would be one word with spaces.
        if isinstance(data, dict) and isinstance(data.get("argv"), str):
            if data.get("shell") is not True:
                raise ValueError("argv is a list of words, such as [git, describe]; a string needs shell: true")
            return {**data, "argv": [data["argv"]]}
        return data

    @model_validator(mode="after")
    def _shell_takes_one_line(self) -> CommandConfig:
        if self.shell and len(self.argv) != 1:
            raise ValueError("a shell: true command has one command line: argv: 'make notes | tee notes.txt'")
        return self


class ShellConfig(BaseModel):
    """The whole configuration of the shell participant."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    commands: dict[CommandName, CommandConfig] = Field(min_length=1)
    timeout: Duration = timedelta(hours=1)
    grace: Duration = timedelta(seconds=10)
    max_output: int = Field(default=65536, ge=0)
    progress_interval: Duration = timedelta(seconds=2)
    pass_env: list[EnvName] = list(DEFAULT_PASS_ENV)


def read_config(config: Mapping[str, Any]) -> ShellConfig:
    """The validated configuration.

    Raises:
        ConfigError: one line naming every bad key, so a typo stops the daemon at start, not a release.
    """
    if "commands" not in config:
        raise ConfigError("shell config: no commands: list the commands processes may run under `commands:` in "
                          "etc/participants/shell.yaml (or the file given with --config)")
    try:
        return ShellConfig.model_validate(dict(config))
    except ValidationError as exc:
        problems = exc.errors(include_url=False, include_context=False, include_input=False)
        text = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'config'}: {e['msg']}" for e in problems)
        raise ConfigError(f"shell config: {text}") from None


def check_installed(name: str, spec: CommandConfig) -> None:
    """Warn when the program or the cwd of a command is missing.

    Only a warning: a checkout may create the script or the directory after the daemon starts.
    """
    if spec.cwd is not None and not Path(spec.cwd).is_dir():
        log.warning("shell command %s: cwd %s is not a directory (yet)", name, spec.cwd)
        return
    program = "/bin/sh" if spec.shell else spec.argv[0]
    if "/" in program:
        found = Path(spec.cwd or ".", program).is_file()
    else:
        found = shutil.which(program, path=os.environ.get("PATH")) is not None
    if not found:
        log.warning("shell command %s: program %s not found (yet)", name, program)
