"""Starting and stopping a pool's supervisord: ``skynet up`` and ``skynet down``.

supervisord is run from this Python environment (``python -m supervisor.supervisord``) with the pool's
own ``supervisord.conf``, so no system-wide supervisor, no root and no other pool is involved. It
daemonizes after it has opened its socket; ``up`` returns once the socket answers. ``down`` asks it to
shut down over XML-RPC (it stops every instance gracefully, as ``skynet stop`` does) and waits for it
to exit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from skynet.pool.errors import PoolDownError, PoolError
from skynet.pool.home import PoolHome
from skynet.pool.programs import STARTSECS, STOPWAITSECS
from skynet.pool.supervisor import Supervisor

START_TIMEOUT = 15.0
STOP_TIMEOUT = STOPWAITSECS + 15.0  # every instance may take its whole stopwaitsecs to hand back its work


def running_pid(home: PoolHome) -> int | None:
    """The pid of the pool's supervisord when it answers on its socket, else None."""
    client = Supervisor(home.socket)
    try:
        return client.pid()
    except PoolDownError:
        return None
    finally:
        client.close()


def supervisord_argv(home: PoolHome, *, foreground: bool, python: str = sys.executable) -> list[str]:
    """The command that runs the pool's supervisord."""
    argv = [python, "-m", "supervisor.supervisord", "-c", str(home.supervisord_conf)]
    return [*argv, "--nodaemon"] if foreground else argv


def start(home: PoolHome, env: Mapping[str, str], *, timeout: float = START_TIMEOUT) -> int:
    """Start the pool's supervisord in the background; its pid once it answers.

    Raises:
        PoolError: supervisord refused to start (its own message), or did not answer in time.
    """
    try:
        done = subprocess.run(supervisord_argv(home, foreground=False), cwd=home.root, env=dict(env),
                              capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise PoolError(f"supervisord did not start within {timeout:g}s (see {home.supervisord_log})") from exc
    if done.returncode != 0:
        lines = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        reason = lines[-1].removeprefix("Error: ") if lines else f"exit code {done.returncode}"
        raise PoolError(f"supervisord did not start: {reason} (config: {home.supervisord_conf})")
    deadline = time.monotonic() + timeout
    while (pid := running_pid(home)) is None:
        if time.monotonic() > deadline:
            raise PoolError(f"supervisord did not answer on {home.socket} within {timeout:g}s "
                            f"(see {home.supervisord_log})")
        time.sleep(0.05)
    return pid


def run_in_foreground(home: PoolHome, env: Mapping[str, str]) -> None:
    """Replace this process by the pool's supervisord, in the foreground (for systemd and containers)."""
    argv = supervisord_argv(home, foreground=True)
    try:
        os.chdir(home.root)
        os.execve(argv[0], argv, dict(env))
    except OSError as exc:
        raise PoolError(f"cannot run supervisord ({argv[0]}): {exc.strerror or exc}") from exc


def stop(home: PoolHome, *, timeout: float = STOP_TIMEOUT) -> int | None:
    """Shut the pool's supervisord down and wait until it has exited; its pid, or None when it was not running.

    Raises:
        PoolError: it is still running after ``timeout`` seconds.
    """
    client = Supervisor(home.socket)
    try:
        pid = client.pid()
        # Not while an instance is STARTING: supervisord would lose the SIGTERM of one not yet exec'ed.
        settle = time.monotonic() + STARTSECS + 2.0
        while any(info["statename"] == "STARTING" for info in client.processes()) and time.monotonic() < settle:
            time.sleep(0.05)
        client.shutdown()
    except PoolDownError:
        return None
    finally:
        client.close()
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            raise PoolError(f"supervisord (pid {pid}) is still stopping its programs after {timeout:g}s; "
                            f"see {home.supervisord_log}")
        time.sleep(0.05)
    return pid


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs. A zombie does not: supervisord has exited and waits for its parent
    (init, or a container's pid 1, which may be slow) to reap it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (macOS): trust kill()
    return state != "Z"
