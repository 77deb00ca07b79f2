"""The agent's settings: built-in defaults < ``SKYNET_HOME/agent.yaml`` < environment < flags.

``agent.yaml`` holds what an operator decides once per host (which actions remote requesters may take);
the environment holds what the deployment decides (broker, signing key, pool name). The pool name is
``--pool``, else ``SKYNET_POOL``, else ``name:`` in ``SKYNET_HOME/pool.yaml`` (written by ``skynet up``),
else derived from the host name: the same rule as the pool's own (:meth:`skynet.pool.home.PoolHome.pool_name`).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.transport.pool_messages import ACTIONS, Action, valid_pool_name
from skynet.errors import ConfigError
from skynet.pool.home import PoolHome, read_yaml

DEFAULT_AMQP_URL = "amqp://guest:guest@localhost:5672/%2F"
DEFAULT_INTERVAL = 10.0
DEFAULT_MAX_AGE = 60.0
FILE_KEYS = ("interval", "allow", "max_age")  # what agent.yaml may set; the rest is the deployment's


class AgentSettings(BaseModel):
    """Everything one agent needs to know; immutable once loaded."""

    model_config = ConfigDict(frozen=True)

    pool: str
    host: str
    home: Path
    amqp_url: str = DEFAULT_AMQP_URL
    signing_key: str | None = Field(default=None, repr=False)
    interval: float = Field(default=DEFAULT_INTERVAL, gt=0)  # seconds between two published states
    allow: frozenset[Action] = frozenset(ACTIONS)  # the actions remote requesters may take
    max_age: float = Field(default=DEFAULT_MAX_AGE, gt=0)  # older (or that far future) requests are refused
    own_program: str | None = None  # the agent's own supervisord program: never acted on remotely


def load_settings(env: Mapping[str, str] = os.environ, *, home: Path | None = None, pool: str | None = None,
                  interval: float | None = None, amqp_url: str | None = None) -> AgentSettings:
    """The agent's settings from ``agent.yaml``, the environment and the flags given here.

    Args:
        env: The environment: ``SKYNET_HOME``, ``SKYNET_POOL``, ``SKYNET_AGENT_INTERVAL``,
            ``SKYNET_AGENT_ALLOW`` (comma-separated actions, or ``none``), ``SKYNET_AGENT_MAX_AGE``,
            ``BOSS_AMQP_URL``, ``BOSS_SIGNING_KEY``.
        home: ``--home`` (overrides ``SKYNET_HOME``).
        pool: ``--pool``.
        interval: ``--interval``.
        amqp_url: ``--amqp-url``.

    Raises:
        ConfigError: a value is invalid (the message names where it came from).
        PoolError: ``agent.yaml`` or ``pool.yaml`` cannot be read, or the pool name is invalid.
    """
    home = PoolHome.at(home, env).root
    values: dict[str, Any] = dict(read_yaml(home / "agent.yaml"))
    unknown = sorted(set(values) - set(FILE_KEYS))
    if unknown:
        raise ConfigError(f"{home / 'agent.yaml'}: unknown setting {', '.join(unknown)} "
                          f"(the file may set {', '.join(FILE_KEYS)})")
    for variable, key in (("SKYNET_AGENT_INTERVAL", "interval"), ("SKYNET_AGENT_ALLOW", "allow"),
                          ("SKYNET_AGENT_MAX_AGE", "max_age")):
        if env.get(variable):
            values[key] = env[variable]
    if interval is not None:
        values["interval"] = interval
    if "allow" in values:
        values["allow"] = _actions(values["allow"])
    host = socket.gethostname()
    values.update(pool=_pool_name(pool, env, home), host=host, home=home,
                  amqp_url=amqp_url or env.get("BOSS_AMQP_URL") or DEFAULT_AMQP_URL,
                  signing_key=env.get("BOSS_SIGNING_KEY") or None,
                  own_program=env.get("SUPERVISOR_GROUP_NAME") or None)
    try:
        return AgentSettings.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"agent setting {where}: {first['msg']} (from flags, SKYNET_AGENT_* or "
                          f"{home / 'agent.yaml'})") from exc


def _pool_name(flag: str | None, env: Mapping[str, str], home: Path) -> str:
    if flag is None:
        return PoolHome.at(home, env).pool_name(env)
    if not valid_pool_name(flag):
        raise ConfigError(f"--pool: invalid pool name {flag!r}: use letters, digits, '-' and '_' "
                          "(no dots; 'all' is reserved)")
    return flag


def _actions(value: Any) -> frozenset[str]:
    """The allowed actions from a list or a comma-separated string; ``none`` (or nothing) allows none."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ConfigError(f"agent setting allow: expected a list of actions, got {value!r}")
    names = {str(item).strip().lower() for item in items} - {"", "none"}
    unknown = sorted(names - set(ACTIONS))
    if unknown:
        raise ConfigError(f"agent setting allow: unknown action {', '.join(unknown)} "
                          f"(choose from {', '.join(ACTIONS)}, or none)")
    return frozenset(names)
