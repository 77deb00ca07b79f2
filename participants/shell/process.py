"""Starting a command in a process group of its own, and stopping that whole group.

A build tool or release script forks workers; killing only the process we started would leave them
running after the step is over. So each command starts in a new session (its pid is its group id) and
every stop (timeout, cancel, shutdown, or the command's own exit) signals the group: SIGTERM first, then
SIGKILL once ``grace`` has passed. POSIX only.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import IO

from participants.shell.errors import CommandFailed
from participants.shell.invocation import Invocation

POLL = 0.05


def start(invocation: Invocation) -> subprocess.Popen[bytes]:
    """Start the command with piped stdin, stdout and stderr in a new session.

    Raises:
        CommandFailed: the program cannot be started (missing, not executable, a NUL byte in an arg).
    """
    try:
        return subprocess.Popen(  # shell=True only for commands configured shell: true
            invocation.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=invocation.spec.cwd, env=invocation.env, shell=invocation.spec.shell, start_new_session=True)
    except OSError as exc:
        raise CommandFailed(f"cannot start command {invocation.name}: {exc.strerror}"
                            f"{f': {exc.filename}' if exc.filename else ''}") from exc
    except ValueError as exc:  # a NUL byte in an arg or a variable (from a field)
        raise CommandFailed(f"cannot start command {invocation.name}: {exc}") from exc


def feed(stream: IO[bytes], data: bytes) -> None:
    """Write ``data`` to the command's stdin and close it; a command need not read its stdin."""
    try:
        with stream:
            stream.write(data)
    except OSError:  # a closed pipe is not an error
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
