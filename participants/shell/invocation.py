"""Checking a step's params against the allow-list, and building what to run: argv, environment, timeout.

This is where a process definition (and any field templated into it) meets the operator's allow-list, so
it is kept pure (no process is started here) and every refusal says what the allow-list permits. The
environment is built from scratch, so nothing of the daemon's own (broker URL, signing key) leaks out.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from engine.timing.durations import format_duration
from participants.shell.config import CommandConfig, ShellConfig
from participants.shell.errors import CommandNotAllowed
from participants.shell.params import Params
from skynet import Workitem


@dataclass(frozen=True)
class Invocation:
    """What to run for one workitem, once the params passed the allow-list."""

    name: str
    spec: CommandConfig
    args: list[str]
    argv: list[str]
    env: dict[str, str]
    timeout: timedelta


def resolve(config: ShellConfig, wi: Workitem, params: Params) -> Invocation:
    """What ``params`` may run, or a CommandNotAllowed saying what the allow-list permits."""
    extra: list[str] = []
    if isinstance(params.command, str):
        name = params.command
        spec = config.commands.get(name)
        if spec is None:
            raise CommandNotAllowed(f"command {name!r} is not allowed; allowed: {allowed(config)}")
    else:
        name, spec, extra = match_argv(config, params.command)
    args = [*extra, *params.args]
    if args and not spec.allow_args:
        raise CommandNotAllowed(f"command {name} takes no args from a process (its config has no "
                                f"allow_args: true); got {len(args)}")
    refused = sorted(set(params.env) - set(spec.allow_env))
    if refused:
        permitted = ", ".join(spec.allow_env) or "none"
        raise CommandNotAllowed(f"command {name} may not get env {', '.join(refused)} from a process; "
                                f"allowed: {permitted} (allow_env in its config)")
    argv = [spec.argv[0], name, *args] if spec.shell else [*spec.argv, *args]
    timeout = step_timeout(config, wi, name, spec, params)
    return Invocation(name=name, spec=spec, args=args, argv=argv, env=environment(config, wi, spec, params),
                      timeout=timeout)


def allowed(config: ShellConfig) -> str:
    """The allowed command names, for the message of a refusal."""
    return ", ".join(sorted(config.commands))


def match_argv(config: ShellConfig, argv: list[str]) -> tuple[str, CommandConfig, list[str]]:
    """The command whose ``argv`` starts ``argv`` (the longest wins), and the words after it."""
    matches = [(name, spec) for name, spec in config.commands.items()
               if not spec.shell and argv[: len(spec.argv)] == spec.argv]
    if not matches:
        raise CommandNotAllowed(f"argv {argv[:3]!r}... starts with no allowed command's argv; allowed: "
                                f"{allowed(config)}")
    name, spec = max(matches, key=lambda match: len(match[1].argv))
    return name, spec, argv[len(spec.argv):]


def step_timeout(config: ShellConfig, wi: Workitem, name: str, spec: CommandConfig, params: Params) -> timedelta:
    """The configured timeout, or the step's when it is shorter: a step may lower it, never raise it."""
    configured = spec.timeout or config.timeout
    if params.timeout is not None and params.timeout > configured:
        wi.log.warning("timeout %s of the step exceeds the %s configured for %s: using %s",
                       format_duration(params.timeout), format_duration(configured), name,
                       format_duration(configured))
    return min(configured, params.timeout or configured)


def environment(config: ShellConfig, wi: Workitem, spec: CommandConfig, params: Params) -> dict[str, str]:
    """The command's whole environment, later sources winning (see the package docstring)."""
    env = {key: os.environ[key] for key in (*config.pass_env, *spec.pass_env) if key in os.environ}
    env.update(spec.env)
    env.update(params.env)
    env.update(field_env(wi.fields, spec.env_fields))
    env.update(workitem_env(wi))
    return env


def field_env(fields: Mapping[str, Any], names: list[str]) -> dict[str, str]:
    """``BOSS_FIELD_<NAME>`` for each named field present: strings as they are, other values as JSON."""
    exported: dict[str, str] = {}
    for name in names:
        if name not in fields:
            continue
        value = fields[name]
        variable = "BOSS_FIELD_" + "".join(c if c.isalnum() and c.isascii() else "_" for c in name).upper()
        exported[variable] = value if isinstance(value, str) else json.dumps(value, default=str)
    return exported


def workitem_env(wi: Workitem) -> dict[str, str]:
    """What the command may want to know about its step (the idempotency key makes reruns safe)."""
    return {"BOSS_PROCESS_ID": wi.process_id, "BOSS_PROCESS_NAME": wi.process_name, "BOSS_STEP": wi.step,
            "BOSS_WORKITEM_ID": wi.id, "BOSS_ATTEMPT": str(wi.attempt), "BOSS_IDEMPOTENCY_KEY": wi.idempotency_key}
