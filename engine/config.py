"""Engine and CLI settings in one place: built-in defaults < config file < environment < flags.

The config file is ``--config FILE``, else ``$BOSS_CONFIG``, else ``./etc/boss.yaml`` when it exists, else
none. Environment variables are the ``BOSS_*`` names of interfaces.md (``BOSS_AMQP_URL``,
``BOSS_STORE_URL``, ``BOSS_PROCESS_PATH``, ...). Secrets belong in the environment or in files with
restricted permissions, never on the command line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine.errors import BossError
from engine.urls import default_store_url

DEFAULT_AMQP_URL = "amqp://guest:guest@localhost:5672/%2F"


class ConfigError(BossError):
    """The configuration file or an environment variable is malformed."""


class ApiToken(BaseModel):
    """A named REST API token (``api_tokens`` in the config file); its name is who acts through it.

    The token itself never sits in the config file: it is read from an environment variable or a file.
    ``read`` tokens may only read; ``operate`` tokens may also launch and command processes and pools.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["read", "operate"] = "read"
    token_env: str | None = None  # the environment variable that holds the token
    token_file: str | None = None  # or the file that holds it (surrounding whitespace ignored)

    @model_validator(mode="after")
    def _one_source(self) -> ApiToken:
        if (self.token_env is None) == (self.token_file is None):
            raise ValueError("give exactly one of token_env and token_file")
        return self


class Settings(BaseModel):
    """Everything the engine daemon and the ``boss`` commands read from configuration."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amqp_url: str = DEFAULT_AMQP_URL
    store_url: str = Field(default_factory=default_store_url)
    process_path: list[str] = Field(default_factory=lambda: ["processes"])
    heartbeat_interval: float = 10.0  # seconds between participant heartbeats (sent in workitems)
    heartbeat_timeout: float = 60.0  # a participant silent this long has lost its workitem
    lost_retries: int = 3  # re-dispatches of lost work for steps without a retry policy
    batch_size: int = 500  # messages handled in one transaction
    prefetch: int = 1000  # unacked deliveries the broker may push to the engine
    request_timeout: float = 15.0  # how long the CLI waits for the engine to confirm a request
    clock_offset: float = 0.0  # seconds added to the engine's clock: for time-travel drills and tests
    groups: dict[str, list[str]] = Field(default_factory=dict)  # approver groups: name -> members
    api_token: str | None = None  # REST API operator token (BOSS_API_TOKEN); acts as "api"
    api_read_token: str | None = None  # REST API read-only token (BOSS_API_READ_TOKEN)
    api_tokens: dict[str, ApiToken] = Field(default_factory=dict)  # more API tokens, by the name they act as
    signing_key: str | None = None


_ENV = {
    "BOSS_AMQP_URL": "amqp_url", "BOSS_STORE_URL": "store_url", "BOSS_PROCESS_PATH": "process_path",
    "BOSS_HEARTBEAT_INTERVAL": "heartbeat_interval", "BOSS_HEARTBEAT_TIMEOUT": "heartbeat_timeout",
    "BOSS_CLOCK_OFFSET": "clock_offset", "BOSS_REQUEST_TIMEOUT": "request_timeout",
    "BOSS_API_TOKEN": "api_token", "BOSS_API_READ_TOKEN": "api_read_token", "BOSS_SIGNING_KEY": "signing_key",
}  # fmt: skip


def config_file(explicit: str | None, env: Mapping[str, str] = os.environ) -> Path | None:
    """The configuration file to read, if any."""
    if explicit:
        return Path(explicit)
    if env.get("BOSS_CONFIG"):
        return Path(env["BOSS_CONFIG"])
    local = Path("etc/boss.yaml")
    return local if local.is_file() else None


def load_settings(explicit: str | None = None, flags: Mapping[str, Any] | None = None,
                  env: Mapping[str, str] = os.environ) -> Settings:
    """Settings from defaults, the config file, the environment and flags, in that order."""
    data: dict[str, Any] = {}
    path = config_file(explicit, env)
    if path is not None:
        data.update(_read_file(path))
    for variable, key in _ENV.items():
        if env.get(variable):
            value: Any = env[variable]
            data[key] = value.split(os.pathsep) if key == "process_path" else value
    data.update({k: v for k, v in (flags or {}).items() if v is not None})
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"bad setting {where}: {first['msg']} (from {path or 'the environment'})") from exc


def read_mapping_file(path: Path, kind: str, shape: str) -> dict[str, Any]:
    """A YAML file holding one mapping (an empty file is an empty mapping), for every boss config file.

    Args:
        path: The file.
        kind: What the file is, for messages (``config file``, ``webhooks file``...).
        shape: What the top level must be, for the message when it is not a mapping.

    Raises:
        ConfigError: unreadable, not YAML, or not a mapping — one line naming the file.
    """
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {kind} {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{kind} {path} is not valid YAML: {_yaml_problem(exc)}") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{kind} {path} must be {shape}")
    return loaded


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """PyYAML's multi-line message as one line: what is wrong and where."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else str(problem)


def _read_file(path: Path) -> dict[str, Any]:
    loaded = read_mapping_file(path, "config file", "a mapping of settings")
    engine = loaded.get("engine", loaded)
    if not isinstance(engine, dict):
        raise ConfigError(f"config file {path}: 'engine' must be a mapping of settings")
    return {k.replace("-", "_"): v for k, v in engine.items()}
