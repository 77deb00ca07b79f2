"""Rendering supervisord's configuration: the pool's ``supervisord.conf`` and one program per participant.

Each installed participant is one supervisor program (a process group) named after it, with ``numprocs``
instances named ``NAME-0``, ``NAME-1``, ... that each run ``python -m skynet run SPEC --name NAME``. The
instances are the same daemon as ``skynet run``, so whatever works in the foreground works in the pool.

Values come from install records, so rendering is pure: the same records give byte-identical files, and
supervisord's ``reloadConfig`` then reports exactly the programs that really changed.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path

from skynet.config import env_prefix
from skynet.pool.errors import PoolError
from skynet.pool.home import PoolHome
from skynet.pool.records import InstallRecord

AGENT_PROGRAM = "skynet-agent"
RESERVED_NAMES = frozenset({AGENT_PROGRAM})
PROCESS_NAME = "%(program_name)s-%(process_num)d"

STARTSECS = 1  # up this long = started (the runtime fails within it when setup raises or the broker refuses)
STARTRETRIES = 10  # quick failures tolerated before FATAL; supervisor backs off 1s, 2s, ... (about a minute)
# The runtime's shutdown: up to 30 s for running work, then hand it back, then up to 10 s to flush replies.
# Supervisor must not SIGKILL before that, or a workitem is left to the engine's heartbeat timeout.
STOPWAITSECS = 60
LOG_MAXBYTES = "10MB"
LOG_BACKUPS = 5

# Variables of the installing shell that an installed participant keeps (in its program's environment=):
# the broker, the config directory, the signing key, and the participant's own BOSS_<NAME>_* settings.
PASSED_VARIABLES = ("BOSS_AMQP_URL", "BOSS_ETC", "BOSS_SIGNING_KEY")


def default_python() -> str:
    """This interpreter, named the same however it was invoked.

    In a virtualenv ``python`` and ``python3`` are the same interpreter; ``skynet`` (the console script)
    and ``python -m skynet`` report different ones. Rendering either would make the files differ by
    who ran the command, and supervisord would restart every program. The real path cannot be used: a
    virtualenv is only a virtualenv through the link in its ``bin``.
    """
    executable = Path(sys.executable)
    plain = executable.parent / "python"
    if plain != executable and plain.exists() and os.path.realpath(plain) == os.path.realpath(executable):
        return str(plain)
    return str(executable)


def install_environment(name: str, env: Mapping[str, str]) -> dict[str, str]:
    """What of ``env`` an installed participant ``name`` runs with."""
    prefix = env_prefix(name)
    return {key: value for key, value in sorted(env.items())
            if value and (key in PASSED_VARIABLES or key.startswith(prefix))}


def program_command(record: InstallRecord, python: str | None = None) -> list[str]:
    """The argv of an instance: ``skynet run`` with the record's SPEC, name, queue and config."""
    argv = [python or default_python(), "-m", "skynet", "run", record.spec, "--name", record.name]
    if record.queue:
        argv += ["--queue", record.queue]
    if record.config:
        argv += ["--config", record.config]
    return argv


def render_program(record: InstallRecord, home: PoolHome, python: str | None = None) -> str:
    """The ``programs/NAME.ini`` of an installed participant.

    Raises:
        PoolError: a value cannot be written in supervisor's format (see :func:`quote_env`).
    """
    enabled = "true" if record.enabled else "false"
    environment = {
        "SKYNET_INSTANCE_NUM": "%(process_num)d",
        "SKYNET_STATUS_FILE": f"{_escape(str(home.status))}/{PROCESS_NAME}.json",
        "PYTHONUNBUFFERED": "1",
    }
    lines = [
        f"; rendered from {home.record_file(record.name)} by skynet: change it with skynet install, not here",
        f"[program:{record.name}]",
        f"command = {_escape(shlex.join(program_command(record, python)))}",
        f"process_name = {PROCESS_NAME}",
        f"numprocs = {record.instances}",
        f"directory = {_escape(record.directory)}",
        f"autostart = {enabled}",
        f"autorestart = {enabled}",
        f"startsecs = {STARTSECS}",
        f"startretries = {STARTRETRIES}",
        "stopsignal = TERM",
        f"stopwaitsecs = {STOPWAITSECS}",
        "killasgroup = true",
        "redirect_stderr = true",
        f"stdout_logfile = {_escape(str(home.logs))}/{PROCESS_NAME}.log",
        f"stdout_logfile_maxbytes = {LOG_MAXBYTES}",
        f"stdout_logfile_backups = {LOG_BACKUPS}",
        "environment = " + ",".join(
            [f"{key}={quote_env(key, value, escape=False)}" for key, value in environment.items()]
            + [f"{key}={quote_env(key, value)}" for key, value in record.env.items()]),
    ]
    if record.user:
        lines.append(f"user = {record.user}")
    return "\n".join(lines) + "\n"


def render_supervisord(home: PoolHome, pool: str, *, agent: bool, python: str | None = None) -> str:
    """The pool's ``supervisord.conf``: socket, logs, the agent program, and ``programs/*.ini``.

    Every child inherits the environment of ``skynet up`` plus ``SKYNET_HOME`` and ``SKYNET_POOL``, so a
    participant announces which pool it belongs to and the agent finds the pool it serves.
    """
    environment = ",".join(f"{key}={quote_env(key, value)}"
                           for key, value in (("SKYNET_HOME", str(home.root)), ("SKYNET_POOL", pool)))
    lines = [
        "; rendered by skynet up / skynet apply: edits here are overwritten",
        "[unix_http_server]",
        f"file = {_escape(str(home.socket))}",
        "chmod = 0700",
        "",
        "[supervisord]",
        f"logfile = {_escape(str(home.supervisord_log))}",
        "logfile_maxbytes = 10MB",
        "logfile_backups = 3",
        f"pidfile = {_escape(str(home.pidfile))}",
        f"childlogdir = {_escape(str(home.logs))}",
        f"identifier = skynet-{pool}",
        f"environment = {environment}",
    ]
    if os.geteuid() == 0:
        lines.append("user = root")  # says root is meant (supervisord warns otherwise); --user drops per program
    lines += [
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl = {_escape(home.server_url)}",
    ]
    if agent:
        lines += ["", *_agent_program(home, python or default_python())]
    lines += ["", "[include]", f"files = {_escape(str(home.programs))}/*.ini"]
    return "\n".join(lines) + "\n"


def _agent_program(home: PoolHome, python: str) -> list[str]:
    return [
        f"[program:{AGENT_PROGRAM}]",
        f"command = {_escape(shlex.join([python, '-m', 'skynet', 'agent']))}",
        "autostart = true",
        "autorestart = true",
        f"startsecs = {STARTSECS}",
        "startretries = 100",
        "stopwaitsecs = 15",
        "redirect_stderr = true",
        f"stdout_logfile = {_escape(str(home.logs))}/{AGENT_PROGRAM}.log",
        f"stdout_logfile_maxbytes = {LOG_MAXBYTES}",
        f"stdout_logfile_backups = {LOG_BACKUPS}",
        "environment = PYTHONUNBUFFERED=\"1\"",
    ]


def agent_available() -> bool:
    """Whether this installation has the pool agent (``skynet agent``) to run in the pool."""
    if importlib.util.find_spec("skynet.agent") is None:
        return False
    from skynet.cli import cli

    return "agent" in cli.commands


def quote_env(key: str, value: str, *, escape: bool = True) -> str:
    """``value`` as supervisor's ``environment=`` parser reads it back unchanged.

    Supervisor splits ``KEY="v",KEY2="v2"`` with a non-POSIX shlex: a value is quoted with ``"`` (or ``'``
    when it contains ``"``) and cannot hold both; ``%`` is doubled (supervisor interpolates ``%(...)s``);
    a line break, or `` ;``/`` #`` (an ini comment), cannot be written at all.

    Raises:
        PoolError: the value cannot be represented; the message names the variable, never its value.
    """
    if "\n" in value or "\r" in value or any(f"{space}{mark}" in value for space in " \t" for mark in ";#"):
        raise PoolError(f"environment variable {key} holds a line break or ' ;'/' #', which supervisor's config "
                        "cannot hold: change its value")
    if '"' not in value:
        quote = '"'
    elif "'" not in value:
        quote = "'"
    else:
        raise PoolError(f"environment variable {key} holds both ' and \", which supervisor's config cannot hold")
    return f"{quote}{_escape(value) if escape else value}{quote}"


def _escape(text: str) -> str:
    """Double ``%``: supervisor expands ``%(name)s`` in every value."""
    return text.replace("%", "%%")
