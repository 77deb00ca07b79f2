"""Shell: run an allow-listed command for a process step, with the process fields as JSON on stdin.

Release scripts and SDK command-line tools run this way. A step names a command of the allow-list, never
a command line, so a process definition (or a field templated into it) cannot make a daemon run anything
its operator did not list::

    - name: build-notes
      shell: {command: make-notes, args: ["--version", "${version}"], env: {NOTES_FORMAT: md}, timeout: 10m}

Params:
    command: The name of an allowed command (``make-notes``), or an argv list (``[git, describe, --tags]``)
        that must start with the ``argv`` of an allowed command; the longest such ``argv`` wins, and the
        words after it count as ``args``.
    args: Words appended to the command's argv (templated values welcome: no shell sees them). Refused
        unless the command is configured with ``allow_args: true``.
    env: Environment variables for the command. Refused unless each name is in the command's
        ``allow_env`` (a step setting ``LD_PRELOAD`` or ``PATH`` could otherwise run other code).
    timeout: A duration (``30s``, ``10m``, ``1h30m``); it may lower the configured timeout, never raise it.

Configuration (``etc/participants/shell.yaml``, validated when the daemon starts)::

    commands:                      # the allow-list; required and not empty
      NAME:                        # letters, digits, '.', '-', '_'
        argv: [program, arg...]    # required; a relative program is found relative to cwd
        shell: false               # true: argv is ONE command line run by /bin/sh -c (see below)
        cwd: null                  # working directory (relative to the daemon's); default: the daemon's
        timeout: null              # default: the top-level timeout
        allow_args: false          # may steps append args?
        allow_env: []              # variable names steps may set through params.env
        env: {}                    # fixed variables (no secrets here: use pass_env)
        pass_env: []               # variables passed on from the daemon's environment (GH_TOKEN...)
        env_fields: []             # fields exported as BOSS_FIELD_<NAME> (upper-cased, other chars -> _)
        json_output: false         # stdout is JSON: parsed into the result's "data"
        retryable_exit_codes: []   # exit statuses that mean "try again later" (75 is EX_TEMPFAIL)
        description: ""
    timeout: 1h                    # default command timeout
    grace: 10s                     # between SIGTERM and SIGKILL when stopping a command
    max_output: 65536              # bytes kept of each of stdout and stderr (the last ones)
    progress_interval: 2s          # how often the last stdout line is reported as progress
    pass_env: [PATH, HOME, LANG, LC_ALL, LC_CTYPE, TZ, TMPDIR, USER, LOGNAME]

The command's environment is built, later entries winning, from: the daemon's variables named in
``pass_env`` (top level, then the command's), the command's ``env``, the step's allowed ``env``, the
``env_fields``, and ``BOSS_PROCESS_ID``, ``BOSS_PROCESS_NAME``, ``BOSS_STEP``, ``BOSS_WORKITEM_ID``,
``BOSS_ATTEMPT`` and ``BOSS_IDEMPOTENCY_KEY``. Nothing else of the daemon's environment reaches the command,
so its broker URL, signing key and ``BOSS_SHELL_*`` settings stay private.

``shell: true`` runs ``/bin/sh -c LINE NAME ARGS...``: the args arrive as ``"$1"``, ``"$2"``... and never
become part of the line, but the line itself must quote them and every ``$BOSS_FIELD_*`` it uses; an
unquoted ``$1`` lets a field value inject shell syntax. Prefer a script file with ``argv``.

Outcome: ``{exit_code, stdout, stderr, duration, truncated}`` (``truncated`` lists the streams whose
beginning was dropped; ``data`` is added for ``json_output``). Errors (those of a command that ran carry
that dict as ``detail``, so its output stays visible):

- ``CommandNotAllowed`` (permanent): not in the allow-list, or args/env the command does not allow.
- ``CommandFailed`` (permanent): a non-zero exit status (the message ends with the tail of stderr), a
  program that cannot be started, or unreadable JSON output.
- ``CommandFailedTransient`` (retryable): an exit status listed in ``retryable_exit_codes``.
- ``CommandTimedOut`` (retryable: a hang is usually transient, and the step's ``retry`` decides).
- ``Cancelled``: the engine cancelled the step.

A command runs in a new session (its own process group). On timeout, cancel and daemon shutdown the whole
group gets SIGTERM, then SIGKILL after ``grace``. When the command exits, whatever it left running in its
group is stopped the same way: a step is over when its command is. A command that must leave a daemon
behind starts it in a session of its own (``setsid``). POSIX only.

The modules: ``config`` (the allow-list), ``params`` (a step's params), ``invocation`` (params checked
against the allow-list: argv, environment, timeout), ``process`` (start, process-group stop), ``running``
(watching one command; the commands in progress), ``output`` (bounded capture), ``outcome`` (result or
error) and ``errors``. The participant class stays here: ``skynet run shell`` loads it from this module.
"""

from __future__ import annotations

import subprocess
import time
from typing import Any

from engine.timing.durations import format_duration
from participants.shell.config import (
    DEFAULT_PASS_ENV,
    CommandConfig,
    CommandName,
    EnvName,
    ShellConfig,
    Text,
    check_installed,
    read_config,
)
from participants.shell.errors import CommandFailed, CommandFailedTransient, CommandNotAllowed, CommandTimedOut
from participants.shell.invocation import Invocation, field_env, resolve, workitem_env
from participants.shell.outcome import MESSAGE_TAIL_CHARS, exit_text, judged, tail_line
from participants.shell.output import Capture
from participants.shell.params import Params as StepParams
from participants.shell.process import POLL, signal_group, start, stop_group
from participants.shell.running import PROGRESS_CHARS, READ_GRACE, Running, RunningCommands, supervise
from skynet import Participant, Workitem
from skynet.durations import Duration

__all__ = [
    "DEFAULT_PASS_ENV", "MESSAGE_TAIL_CHARS", "POLL", "PROGRESS_CHARS", "READ_GRACE", "Capture", "CommandConfig",
    "CommandFailed", "CommandFailedTransient", "CommandName", "CommandNotAllowed", "CommandTimedOut", "Duration",
    "EnvName", "Invocation", "Running", "Shell", "ShellConfig", "Text", "exit_text", "field_env",
    "read_config", "signal_group", "stop_group", "tail_line", "workitem_env",
]  # the names of the one-module participant this package replaced, so their imports keep working


class Shell(Participant):
    """Runs an allow-listed command with the fields as JSON on stdin; non-zero exit is an error."""

    name = "shell"
    version = "1"
    Params = StepParams
    config_keys = ("commands", "timeout", "grace", "max_output", "progress_interval", "pass_env")

    config: ShellConfig

    def __init__(self) -> None:
        super().__init__()
        self._running = RunningCommands()

    def setup(self, config: dict[str, Any]) -> None:
        """Validate the allow-list at start, and warn about programs that are not there (yet)."""
        self.config = read_config(config)
        for name, spec in self.config.commands.items():
            check_installed(name, spec)

    def handle(self, wi: Workitem) -> dict[str, Any]:
        """Run the command the params name and return its exit code and output."""
        invocation = self.invocation(wi, wi.params)
        wi.check_cancelled()
        wi.log.info("running %s with %d args from the step (timeout %s)", invocation.name, len(invocation.args),
                    format_duration(invocation.timeout))
        started = time.monotonic()
        process = self._start(wi, invocation)
        try:
            result, timed_out = supervise(wi, invocation, process, started, self.config)
        finally:
            if process.poll() is None:  # only when supervising failed: never leave a command unwatched
                stop_group(process, self.config.grace.total_seconds())
            self._running.remove(wi)
        wi.log.info("%s %s after %.1fs", invocation.name, exit_text(result["exit_code"]), result["duration"])
        wi.check_cancelled()
        return judged(invocation, result, timed_out, self.config.max_output)

    def cancel(self, wi: Workitem) -> None:
        """Stop the command of ``wi`` and its whole process group (called from another thread)."""
        running = self._running.get(wi)
        if running is not None:
            running.workitem.cancelled.set()  # so handle reports Cancelled, not the kill's exit status
            stop_group(running.process, self.config.grace.total_seconds())

    def teardown(self) -> None:
        """Stop commands still running when the daemon ends (their workitems were handed back)."""
        for running in self._running.all():
            stop_group(running.process, self.config.grace.total_seconds())

    def invocation(self, wi: Workitem, params: StepParams) -> Invocation:
        """What ``params`` may run, or a CommandNotAllowed saying what the allow-list permits."""
        return resolve(self.config, wi, params)

    def _start(self, wi: Workitem, invocation: Invocation) -> subprocess.Popen[bytes]:
        process = start(invocation)
        self._running.add(wi, process)
        if wi.cancelled.is_set():  # a cancel that came while the process started found nothing to stop
            stop_group(process, self.config.grace.total_seconds())
        return process
