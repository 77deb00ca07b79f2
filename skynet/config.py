"""Participant configuration: ``etc/participants/<name>.yaml`` overridden by ``BOSS_<NAME>_<KEY>`` variables.

The YAML file holds what may be committed (URLs, project keys); secrets (tokens, passwords) come from the
environment so they never sit in a file of the repository. :func:`redact` hides them when config is logged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from skynet.errors import ConfigError

SECRET_WORDS = ("token", "password", "secret", "key")


def config_path(name: str, env: Mapping[str, str] = os.environ) -> Path:
    """Where the config file of participant ``name`` lives (``$BOSS_ETC``, default ``./etc``)."""
    return Path(env.get("BOSS_ETC", "./etc")) / "participants" / f"{name}.yaml"


def env_prefix(name: str) -> str:
    """The prefix of a participant's environment variables: ``BOSS_JIRA_CLOUD_`` for ``jira-cloud``."""
    return f"BOSS_{name.upper().replace('-', '_')}_"


def load_config(name: str, config_file: str | os.PathLike[str] | None = None,
                env: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """The configuration handed to ``setup``.

    Args:
        name: The participant name.
        config_file: An explicit file (``--config``); it must exist. Without it the default file is read
            when present, and a missing default file means an empty configuration.
        env: The environment; ``BOSS_<NAME>_<KEY>=value`` sets ``key`` (lower-cased) to the string value.

    Raises:
        ConfigError: the file cannot be read, is not YAML, or is not a mapping.
    """
    path = Path(config_file) if config_file is not None else config_path(name, env)
    config = _read(path, required=config_file is not None)
    prefix = env_prefix(name)
    for variable, value in env.items():
        if variable.startswith(prefix) and len(variable) > len(prefix):
            config[variable[len(prefix):].lower()] = value
    return config


def _read(path: Path, *, required: bool) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise ConfigError(f"no such config file: {path}") from None
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise ConfigError(f"{where}: not valid YAML: {problem}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of config keys to values, got {type(data).__name__}")
    return {str(key): value for key, value in data.items()}


def is_secret(key: str) -> bool:
    """Whether a config key names a secret (its value is never printed)."""
    lowered = key.lower()
    return any(word in lowered for word in SECRET_WORDS)


def redact(config: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``config`` safe to log: secret values (nested ones too) replaced by ``***``."""
    return {key: "***" if is_secret(str(key)) else redact(value) if isinstance(value, Mapping) else value
            for key, value in config.items()}


def describe(config: Mapping[str, Any]) -> str:
    """One log line's worth of config: ``greeting='hello', token=***``."""
    shown = redact(config)
    return ", ".join(f"{key}={'***' if value == '***' else repr(value)}" for key, value in shown.items()) or "(none)"
