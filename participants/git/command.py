"""Running the git CLI: no shell, a private environment, a timeout, cancel, and failures told apart.

Every command is ``git -C PATH ARGS...`` run directly (never through a shell), in its own process group so
that a timeout or a cancel also stops the ssh or https helper git started. Its environment is the daemon's
minus boss's own secrets, plus: no terminal prompts (a missing credential fails instead of hanging), the C
locale (messages we can recognise), the configured identity for merge commits and tags, and, for https
remotes on ``token_hosts``, the token as an HTTP header through ``GIT_CONFIG_*`` variables (so it never
shows on a command line or in a file).
"""

from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from participants.git.errors import GitFailed, GitUnavailable
from skynet.errors import Cancelled, ParticipantError

POLL = 0.1
GRACE = 5.0
MESSAGE_CHARS = 400
# stderr of failures that are usually gone on the next try: the network, the remote, a lock held.
TRANSIENT = re.compile(
    r"could not resolve host|connection (refused|reset|timed out)|operation timed out|timed out after"
    r"|the remote end hung up|early eof|rpc failed|returned error: 5\d\d|unable to access .*: (5\d\d|couldn't)"
    r"|index\.lock': file exists|cannot lock ref|unable to create .*\.lock|temporary failure|no route to host"
    r"|network is unreachable|ssl_connect|gnutls_handshake|service unavailable|try again",
    re.IGNORECASE)


# Variables that would point git at another repository or config than the clone the step works on.
REPO_VARIABLES = frozenset({
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE", "GIT_COMMON_DIR", "GIT_CONFIG_COUNT", "GIT_CONFIG_PARAMETERS", "GIT_PREFIX",
})


@dataclass(frozen=True)
class GitResult:
    """What a finished git command printed."""

    code: int
    stdout: str
    stderr: str


def git_environment(base: Mapping[str, str], *, name: str, email: str, token: str | None = None,
                    token_hosts: Sequence[str] = ()) -> dict[str, str]:
    """The environment of every git command (see the module docstring).

    The daemon's ``BOSS_*`` variables (broker URL, signing key, this participant's token) are removed: git
    runs hooks and helpers that have no business seeing them.
    """
    env = {key: value for key, value in base.items()
           if not key.startswith(("BOSS_", "GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_")) and key not in REPO_VARIABLES}
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "SSH_ASKPASS": "true", "LC_ALL": "C",
                "LANG": "C", "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name,
                "GIT_COMMITTER_EMAIL": email})
    if "GIT_SSH" not in base and "GIT_SSH_COMMAND" not in base:
        env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"  # fail at once instead of asking for a passphrase
    if token and token_hosts:
        header = "Authorization: Basic " + base64.b64encode(f"x-access-token:{token}".encode()).decode()
        env["GIT_CONFIG_COUNT"] = str(len(token_hosts))
        for index, host in enumerate(token_hosts):
            env[f"GIT_CONFIG_KEY_{index}"] = f"http.https://{host}/.extraHeader"
            env[f"GIT_CONFIG_VALUE_{index}"] = header
    return env


class GitRunner:
    """Runs git commands with one environment and timeout; ``bound`` ties one to a workitem's cancel event."""

    def __init__(self, env: Mapping[str, str] | None = None, timeout: float = 600.0,
                 cancelled: threading.Event | None = None, executable: str = "git") -> None:
        self.env = dict(env) if env is not None else git_environment(os.environ, name="boss", email="boss@localhost")
        self.timeout = timeout
        self.cancelled = cancelled
        self.executable = executable

    def bound(self, cancelled: threading.Event) -> GitRunner:
        """The same runner, stopping its command when ``cancelled`` is set."""
        return GitRunner(self.env, self.timeout, cancelled, self.executable)

    def run(self, path: Path | None, *args: str, check: bool = True) -> GitResult:
        """Run ``git -C PATH ARGS``; with ``check``, a non-zero exit raises (see :func:`failure`).

        Raises:
            GitUnavailable: a transient failure, or the command outlived the timeout.
            GitFailed: any other non-zero exit (with ``check``), or git cannot be started.
            Cancelled: the workitem was cancelled while the command ran.
        """
        argv = [self.executable, *(["-C", str(path)] if path is not None else []), *args]
        try:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, env=self.env, start_new_session=True)
        except OSError as exc:
            raise GitFailed(f"cannot start git: {exc.strerror}: {self.executable}") from exc
        stdout, stderr = self._wait(process, args)
        result = GitResult(process.returncode, stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace"))
        if check and result.code != 0:
            raise failure(args, result)
        return result

    def _wait(self, process: subprocess.Popen[bytes], args: Sequence[str]) -> tuple[bytes, bytes]:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return process.communicate(timeout=POLL)
            except subprocess.TimeoutExpired:
                pass
            if self.cancelled is not None and self.cancelled.is_set():
                _stop(process)
                raise Cancelled(f"git {_command(args)} was cancelled")
            if time.monotonic() > deadline:
                _stop(process)
                raise GitUnavailable(f"git {_command(args)} timed out after {self.timeout:g}s")


def failure(args: Sequence[str], result: GitResult) -> ParticipantError:
    """The error of a failed command: retryable when stderr looks transient, else permanent."""
    detail = {"command": ["git", *args], "exit_code": result.code, "stderr": result.stderr[-4000:]}
    message = f"git {_command(args)} failed: {tail(result.stderr or result.stdout)}"
    if TRANSIENT.search(result.stderr):
        return GitUnavailable(message, detail=detail)
    return GitFailed(message, detail=detail)


def tail(text: str) -> str:
    """git's ``fatal:``/``error:`` lines (else the last lines) of ``text`` on one line, for a message."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("fatal:", "error:"))]
    joined = " | ".join(errors[:3] or lines[-3:]) or "(no output)"
    return joined if len(joined) <= MESSAGE_CHARS else "..." + joined[-MESSAGE_CHARS:]


def _command(args: Sequence[str]) -> str:
    return args[0] if args else ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the command's process group, SIGKILL it after a grace period, and reap it."""
    for signum, wait in ((signal.SIGTERM, GRACE), (signal.SIGKILL, GRACE)):
        try:
            os.killpg(process.pid, signum)
        except (ProcessLookupError, PermissionError):
            break
        try:
            process.communicate(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
    try:  # the group is gone; a stray outside it may still hold the pipes: do not wait for it forever
        process.communicate(timeout=GRACE)
    except subprocess.TimeoutExpired:
        process.kill()
