"""Validating a participant before it is installed, and describing it, in a subprocess.

``skynet install`` must refuse a SPEC that does not load, or whose ``setup`` raises, before it writes
anything. Both are checked by running ``python -m skynet check SPEC`` (a hidden command) in a child
process, with the installing shell's environment and working directory: exactly what an instance will
do at start, without importing participant code into the CLI (or into the pool agent, which also
installs). The child prints a :class:`ParticipantInfo` as JSON, or one line on stderr and exit 2.

The same child registers the participant with the engine (``--register POOL``), because the registration
carries the class's params JSON Schema, so it needs the class loaded.
"""

from __future__ import annotations

import inspect
import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from engine.errors import BossError
from engine.transport import topology
from skynet.config import load_config
from skynet.errors import SetupError
from skynet.loader import load_participant
from skynet.participant import Participant, check_name
from skynet.pool.errors import PoolError

CHECK_TIMEOUT = 60.0  # setup may open clients to slow services; a hung setup must not hang install
DEFAULT_AMQP_URL = "amqp://guest:guest@localhost:5672/%2F"


class ParticipantInfo(BaseModel):
    """What a participant class says about itself (``skynet info``)."""

    model_config = ConfigDict(frozen=True)

    name: str
    queue: str
    spec: str
    cls: str  # module:Class
    file: str | None  # where its code is
    version: str
    description: str
    params_schema: dict[str, Any] | None = None
    config_keys: tuple[str, ...] = ()
    registered: bool | None = None  # with --register: whether the engine confirmed
    registration_error: str | None = None


def absolute_spec(spec: str, cwd: Path) -> str:
    """``spec`` with a file path made absolute (``./x.py:C`` -> ``/abs/x.py:C``); other forms unchanged.

    Instances run in the install directory, but an absolute path keeps working when that directory moves
    or when the record is read from elsewhere.
    """
    spec = spec.strip()
    head, sep, tail = spec.rpartition(":")
    target, attribute = (head, sep + tail) if sep and head and tail.isidentifier() else (spec, "")
    if target.endswith(".py") or "/" in target:
        return str((cwd / target).expanduser().absolute()) + attribute
    return spec


# ---- in the child process ------------------------------------------------------------------------------
def describe(cls: type[Participant], name: str, queue: str | None, spec: str) -> ParticipantInfo:
    """The description of a loaded participant class."""
    try:
        file = inspect.getsourcefile(cls)
    except TypeError:
        file = None
    # A class loaded from a file lives in a generated module (skynet_file_<stem>_<hash>): name the file instead.
    module = Path(file).name if file and cls.__module__.startswith("skynet_file_") else cls.__module__
    return ParticipantInfo(name=name, queue=queue or topology.participant_queue(name), spec=spec,
                           cls=f"{module}:{cls.__qualname__}", file=file, version=str(cls.version),
                           description=cls.description, params_schema=cls.params_schema(),
                           config_keys=tuple(cls.config_keys))


def check_here(spec: str, *, name: str | None, queue: str | None, config_file: str | None, setup: bool,
               register_pool: str | None = None, env: Mapping[str, str] = os.environ) -> ParticipantInfo:
    """Load ``spec``, run its ``setup`` (and ``teardown``) once, and describe it; optionally register it.

    Raises:
        SpecError, ConfigError, SetupError: the participant cannot run (one line each).
    """
    cls = load_participant(spec)
    participant_name = check_name(name or cls.name)
    if setup:
        config = load_config(participant_name, config_file=config_file, env=env)
        try:
            participant = cls()
            participant.setup(config)
        except Exception as exc:
            raise SetupError(f"setup of {participant_name} failed: {type(exc).__name__}: {exc}") from exc
        try:
            participant.teardown()
        except Exception as exc:
            raise SetupError(f"teardown of {participant_name} failed: {type(exc).__name__}: {exc}") from exc
    info = describe(cls, participant_name, queue, spec)
    if register_pool is None:
        return info
    try:
        from skynet.registry import register

        register(env.get("BOSS_AMQP_URL") or DEFAULT_AMQP_URL, cls, participant_name, info.queue, register_pool,
                 socket.gethostname(), signing_key=env.get("BOSS_SIGNING_KEY") or None)
    except BossError as exc:
        return info.model_copy(update={"registered": False, "registration_error": str(exc).splitlines()[0]})
    return info.model_copy(update={"registered": True})


# ---- in the pool -------------------------------------------------------------------------------------
def check(spec: str, *, name: str | None = None, queue: str | None = None, config_file: str | None = None,
          setup: bool = True, register_pool: str | None = None, env: Mapping[str, str], cwd: Path,
          user: str | None = None, python: str = sys.executable, timeout: float = CHECK_TIMEOUT) -> ParticipantInfo:
    """Run :func:`check_here` in a child process with ``env`` in ``cwd`` (as ``user``: what ``--user`` runs as).

    Raises:
        PoolError: the participant cannot run; the child's one-line reason.
    """
    argv = [python, "-m", "skynet", "check", spec]
    for flag, value in (("--name", name), ("--queue", queue), ("--config", config_file),
                        ("--register", register_pool)):
        if value:
            argv += [flag, value]
    if not setup:
        argv.append("--no-setup")
    try:
        done = subprocess.run(argv, cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=timeout,
                              check=False, user=user)
    except subprocess.TimeoutExpired as exc:
        raise PoolError(f"checking {spec} took longer than {timeout:g}s (does its setup hang?)") from exc
    except OSError as exc:
        who = f" as {user}" if user else ""
        raise PoolError(f"cannot run {python}{who} in {cwd} to check {spec}: {exc.strerror or exc}") from exc
    if done.returncode != 0:
        raise PoolError(_reason(done.stderr) or f"checking {spec} failed with exit code {done.returncode}")
    try:
        return ParticipantInfo.model_validate_json(done.stdout.strip().splitlines()[-1])
    except (ValidationError, IndexError) as exc:
        raise PoolError(f"checking {spec} printed no description: {_reason(done.stderr) or done.stdout!r}") from exc


def _reason(stderr: str) -> str:
    """The child's error: its ``skynet: ...`` lines, else its last line (a crash's exception)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    ours = [line.removeprefix("skynet: ") for line in lines if line.startswith("skynet: ")]
    return "; ".join(ours) if ours else (lines[-1] if lines else "")
