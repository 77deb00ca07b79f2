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
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema, model_validator

from engine.errors import TimeSpecError
from engine.timing.durations import format_duration, parse_duration
from skynet import Participant, ParticipantError, RetryableError, Workitem
from skynet.errors import ConfigError

log = logging.getLogger("skynet.participant.shell")

DEFAULT_PASS_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME")
READ_GRACE = 2.0  # seconds to wait for the output pipes to close once the command's group is gone
PROGRESS_CHARS = 300
MESSAGE_TAIL_CHARS = 300
POLL = 0.05


# ---- errors --------------------------------------------------------------------------------------------
class CommandNotAllowed(ParticipantError):
    """The step asked for a command, args or env that the allow-list does not permit."""


class CommandFailed(ParticipantError):
    """The command could not start, exited non-zero, or printed no valid JSON when it should have."""


class CommandFailedTransient(RetryableError):
    """The command exited with a status its config lists in ``retryable_exit_codes``."""


class CommandTimedOut(RetryableError):
    """The command outlived its timeout and was killed with its process group."""


# ---- value types of the params and the config ------------------------------------------------------------
def _duration(value: Any) -> Any:
    """Read ``10m`` or a number of seconds the way process definitions write durations."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            return parse_duration(value)
        except TimeSpecError as exc:
            raise ValueError(str(exc)) from exc
    return value


def _text(value: Any) -> Any:
    """Scalars as the text a program receives; YAML and templates give numbers and booleans too."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


Duration = Annotated[
    timedelta,
    BeforeValidator(_duration),
    Field(gt=timedelta(0)),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "number"}],
                    "description": "a duration: 30s, 10m, 1h30m, PT6H, or a number of seconds"}),
]
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


# ---- running one command ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Invocation:
    """What to run for one workitem, once the params passed the allow-list."""

    name: str
    spec: CommandConfig
    args: list[str]
    argv: list[str]
    env: dict[str, str]
    timeout: timedelta


class Capture:
    """Reads a stream to its end in a thread, keeping only its last ``limit`` bytes (output is bounded)."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self.limit = limit
        self.total = 0
        self._data = bytearray()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True, name="shell-capture")
        self._thread.start()

    def _read(self, stream: IO[bytes]) -> None:
        with stream:
            while chunk := os.read(stream.fileno(), 65536):
                with self._lock:
                    self.total += len(chunk)
                    self._data += chunk
                    if len(self._data) > self.limit:
                        del self._data[: len(self._data) - self.limit]

    def join(self, timeout: float) -> None:
        """Wait for the end of the stream, but not forever: a stray holding the pipe may be outside our group."""
        self._thread.join(timeout)

    @property
    def truncated(self) -> bool:
        """Whether the beginning of the output was dropped."""
        with self._lock:
            return self.total > len(self._data)

    def text(self) -> str:
        """The kept output as text (undecodable bytes replaced, as a cut may split a character)."""
        with self._lock:
            return bytes(self._data).decode("utf-8", errors="replace")

    def last_line(self) -> str:
        """The last non-blank line so far: the progress a long command shows."""
        lines = [line.strip() for line in self.text().splitlines() if line.strip()]
        return lines[-1] if lines else ""


def _feed(stream: IO[bytes], data: bytes) -> None:
    # A command need not read its stdin: a closed pipe is not an error.
    try:
        with stream:
            stream.write(data)
    except OSError:
        pass


def signal_group(pgid: int, signum: int) -> bool:
    """Send ``signum`` to a process group; False when the group no longer exists."""
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return False
    except PermissionError:  # a setuid program in the group: nothing more we can do
        return False
    return True


def stop_group(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the command's process group, then SIGKILL it when anything is left after ``grace`` seconds.

    The command was started in a new session, so its process id is its group id and the group holds its
    children too: killing only the leader would leave a build tool's workers running.
    """
    if not signal_group(process.pid, signal.SIGTERM):
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        process.poll()  # reap the leader: a zombie still counts as a member of the group
        if not signal_group(process.pid, 0):
            return
        time.sleep(POLL)
    signal_group(process.pid, signal.SIGKILL)


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


def tail_line(text: str) -> str:
    """The last few non-blank lines of ``text`` on one line, for an operator-facing message."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    joined = " | ".join(lines[-3:])
    return joined if len(joined) <= MESSAGE_TAIL_CHARS else "..." + joined[-MESSAGE_TAIL_CHARS:]


def exit_text(code: int) -> str:
    """``exited with status 2`` or ``was killed by SIGKILL``."""
    if code >= 0:
        return f"exited with status {code}"
    try:
        return f"was killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"was killed by signal {-code}"


@dataclass
class Running:
    """One command in progress, for ``cancel`` and ``teardown`` (which run in other threads)."""

    workitem: Workitem
    process: subprocess.Popen[bytes]


class Shell(Participant):
    """Runs an allow-listed command with the fields as JSON on stdin; non-zero exit is an error."""

    name = "shell"
    version = "1"
    config_keys = ("commands", "timeout", "grace", "max_output", "progress_interval", "pass_env")

    class Params(BaseModel):
        """A step's params: which allowed command, with what args, env and timeout."""

        model_config = ConfigDict(extra="forbid")

        command: Annotated[str, Field(min_length=1)] | Annotated[list[str], Field(min_length=1)] = Field(
            description="an allowed command's name, or an argv starting with an allowed command's argv")
        args: list[Text] = Field(default=[], description="appended to the argv (needs allow_args)")
        env: dict[EnvName, Text] = Field(default={}, description="variables named in the command's allow_env")
        timeout: Duration | None = Field(default=None, description="may lower the configured timeout")

    config: ShellConfig

    def __init__(self) -> None:
        super().__init__()
        self._running: dict[tuple[str, int], Running] = {}  # by (workitem id, attempt): --concurrency safe
        self._lock = threading.Lock()

    def setup(self, config: dict[str, Any]) -> None:
        """Validate the allow-list at start, and warn about programs that are not there (yet)."""
        self.config = read_config(config)
        for name, spec in self.config.commands.items():
            self._check_installed(name, spec)

    @staticmethod
    def _check_installed(name: str, spec: CommandConfig) -> None:
        # Only a warning: a checkout may create the script or the directory after the daemon starts.
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

    def handle(self, wi: Workitem) -> dict[str, Any]:
        """Run the command the params name and return its exit code and output."""
        invocation = self.invocation(wi, wi.params)
        wi.check_cancelled()
        wi.log.info("running %s with %d args from the step (timeout %s)", invocation.name, len(invocation.args),
                    format_duration(invocation.timeout))
        started = time.monotonic()
        process = self._start(wi, invocation)
        try:
            result, timed_out = self._supervise(wi, invocation, process, started)
        finally:
            if process.poll() is None:  # only when supervising failed: never leave a command unwatched
                stop_group(process, self.config.grace.total_seconds())
            with self._lock:
                self._running.pop((wi.id, wi.attempt), None)
        wi.log.info("%s %s after %.1fs", invocation.name, exit_text(result["exit_code"]), result["duration"])
        wi.check_cancelled()
        return self._judged(invocation, result, timed_out)

    def cancel(self, wi: Workitem) -> None:
        """Stop the command of ``wi`` and its whole process group (called from another thread)."""
        with self._lock:
            running = self._running.get((wi.id, wi.attempt))
        if running is not None:
            running.workitem.cancelled.set()  # so handle reports Cancelled, not the kill's exit status
            stop_group(running.process, self.config.grace.total_seconds())

    def teardown(self) -> None:
        """Stop commands still running when the daemon ends (their workitems were handed back)."""
        with self._lock:
            leftovers = list(self._running.values())
        for running in leftovers:
            stop_group(running.process, self.config.grace.total_seconds())

    # ---- checking the params against the allow-list ------------------------------------------------------
    def invocation(self, wi: Workitem, params: Shell.Params) -> Invocation:
        """What ``params`` may run, or a CommandNotAllowed saying what the allow-list permits."""
        extra: list[str] = []
        if isinstance(params.command, str):
            name = params.command
            spec = self.config.commands.get(name)
            if spec is None:
                raise CommandNotAllowed(f"command {name!r} is not allowed; allowed: {self._allowed()}")
        else:
            name, spec, extra = self._match_argv(params.command)
        args = [*extra, *params.args]
        if args and not spec.allow_args:
            raise CommandNotAllowed(f"command {name} takes no args from a process (its config has no "
                                    f"allow_args: true); got {len(args)}")
        refused = sorted(set(params.env) - set(spec.allow_env))
        if refused:
            allowed = ", ".join(spec.allow_env) or "none"
            raise CommandNotAllowed(f"command {name} may not get env {', '.join(refused)} from a process; "
                                    f"allowed: {allowed} (allow_env in its config)")
        argv = [spec.argv[0], name, *args] if spec.shell else [*spec.argv, *args]
        configured = spec.timeout or self.config.timeout
        if params.timeout is not None and params.timeout > configured:
            wi.log.warning("timeout %s of the step exceeds the %s configured for %s: using %s",
                           format_duration(params.timeout), format_duration(configured), name,
                           format_duration(configured))
        timeout = min(configured, params.timeout or configured)
        return Invocation(name=name, spec=spec, args=args, argv=argv, env=self._environment(wi, spec, params),
                          timeout=timeout)

    def _allowed(self) -> str:
        return ", ".join(sorted(self.config.commands))

    def _match_argv(self, argv: list[str]) -> tuple[str, CommandConfig, list[str]]:
        matches = [(name, spec) for name, spec in self.config.commands.items()
                   if not spec.shell and argv[: len(spec.argv)] == spec.argv]
        if not matches:
            raise CommandNotAllowed(f"argv {argv[:3]!r}... starts with no allowed command's argv; allowed: "
                                    f"{self._allowed()}")
        name, spec = max(matches, key=lambda match: len(match[1].argv))
        return name, spec, argv[len(spec.argv):]

    def _environment(self, wi: Workitem, spec: CommandConfig, params: Shell.Params) -> dict[str, str]:
        env = {key: os.environ[key] for key in (*self.config.pass_env, *spec.pass_env) if key in os.environ}
        env.update(spec.env)
        env.update(params.env)
        env.update(field_env(wi.fields, spec.env_fields))
        env.update(workitem_env(wi))
        return env

    # ---- running -----------------------------------------------------------------------------------------
    def _start(self, wi: Workitem, invocation: Invocation) -> subprocess.Popen[bytes]:
        try:
            process = subprocess.Popen(  # shell=True only for commands configured shell: true
                invocation.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                cwd=invocation.spec.cwd, env=invocation.env, shell=invocation.spec.shell, start_new_session=True)
        except OSError as exc:
            raise CommandFailed(f"cannot start command {invocation.name}: {exc.strerror}"
                                f"{f': {exc.filename}' if exc.filename else ''}") from exc
        except ValueError as exc:  # a NUL byte in an arg or a variable (from a field)
            raise CommandFailed(f"cannot start command {invocation.name}: {exc}") from exc
        with self._lock:
            self._running[(wi.id, wi.attempt)] = Running(wi, process)
        if wi.cancelled.is_set():  # a cancel that came while the process started found nothing to stop
            stop_group(process, self.config.grace.total_seconds())
        return process

    def _supervise(self, wi: Workitem, invocation: Invocation, process: subprocess.Popen[bytes],
                   started: float) -> tuple[dict[str, Any], bool]:
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        fields = json.dumps(wi.fields, default=str).encode()
        threading.Thread(target=_feed, args=(process.stdin, fields), daemon=True, name="shell-stdin").start()
        out = Capture(process.stdout, self.config.max_output)
        err = Capture(process.stderr, self.config.max_output)
        grace = self.config.grace.total_seconds()
        timed_out = self._wait(wi, process, out, invocation.timeout.total_seconds())
        if timed_out:
            wi.log.warning("%s timed out after %s: stopping its process group", invocation.name,
                           format_duration(invocation.timeout))
            stop_group(process, grace)
        code = process.wait()
        stop_group(process, grace)  # strays it left in its group: the step is over when its command is
        for capture in (out, err):
            capture.join(READ_GRACE)
        result = {"exit_code": code, "stdout": out.text(), "stderr": err.text(),
                  "duration": round(time.monotonic() - started, 3),
                  "truncated": [name for name, capture in (("stdout", out), ("stderr", err)) if capture.truncated]}
        return result, timed_out

    def _wait(self, wi: Workitem, process: subprocess.Popen[bytes], out: Capture, timeout: float) -> bool:
        """Wait for the command, reporting its last stdout line now and then; True when it timed out."""
        deadline = time.monotonic() + timeout
        reported = ""
        while (left := deadline - time.monotonic()) > 0:
            try:
                process.wait(min(left, self.config.progress_interval.total_seconds()))
            except subprocess.TimeoutExpired:
                line = out.last_line()[-PROGRESS_CHARS:]
                if line and line != reported:
                    wi.progress(line)
                    reported = line
            else:
                return False
        return process.poll() is None

    def _judged(self, invocation: Invocation, result: dict[str, Any], timed_out: bool) -> dict[str, Any]:
        """The result, or the error the engine should see (with the result as its detail)."""
        name, code = invocation.name, result["exit_code"]
        if timed_out:
            raise CommandTimedOut(f"command {name} timed out after {format_duration(invocation.timeout)} and "
                                  "was killed with its process group", detail=result)
        if code != 0:
            tail = tail_line(result["stderr"]) or tail_line(result["stdout"])
            message = f"command {name} {exit_text(code)}{f': {tail}' if tail else ''}"
            failure = CommandFailedTransient if code in invocation.spec.retryable_exit_codes else CommandFailed
            raise failure(message, detail=result)
        if invocation.spec.json_output:
            if "stdout" in result["truncated"]:
                raise CommandFailed(f"command {name} printed more than max_output ({self.config.max_output} "
                                    "bytes): its JSON output was cut", detail=result)
            try:
                result["data"] = json.loads(result["stdout"])
            except json.JSONDecodeError as exc:
                raise CommandFailed(f"command {name} printed no valid JSON: {exc}", detail=result) from None
        return result
