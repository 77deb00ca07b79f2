"""Starting and stopping a program's instances all at once, and waiting until they are where they should be.

supervisord's own ``wait=True`` handles a group one process after another (three instances take three
times ``startsecs`` to start, and three times the graceful shutdown to stop); here every instance is
signalled at once and the client polls. One more reason: supervisord loses a SIGTERM that arrives
between its ``fork`` and the child's ``exec`` (the child still runs supervisord's handler, which only
records the signal), so an instance is never stopped while it is still STARTING; that wait is at most
``startsecs``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from skynet.pool.programs import STARTSECS, STOPWAITSECS
from skynet.pool.supervisor import STOPPED_STATES, ProcessInfo, Supervisor

POLL = 0.05
STOP_TIMEOUT = STOPWAITSECS + 10.0  # supervisord SIGKILLs at stopwaitsecs; then it needs a moment to reap


def group_processes(supervisor: Supervisor, group: str) -> list[ProcessInfo]:
    """The processes of one group."""
    return [info for info in supervisor.processes() if info["group"] == group]


def wait_until(supervisor: Supervisor, group: str, done: Callable[[ProcessInfo], bool],
               timeout: float) -> list[ProcessInfo]:
    """Poll the group until ``done`` holds for every process, or ``timeout``; the processes then."""
    deadline = time.monotonic() + timeout
    while True:
        processes = group_processes(supervisor, group)
        if all(done(info) for info in processes) or time.monotonic() > deadline:
            return processes
        time.sleep(POLL)


def stop_group(supervisor: Supervisor, group: str, timeout: float = STOP_TIMEOUT) -> list[str]:
    """Stop every running instance of ``group`` at once; the names of those still not stopped at ``timeout``."""
    wait_until(supervisor, group, lambda info: info["statename"] != "STARTING", STARTSECS + 2.0)
    supervisor.stop_group(group, False)
    processes = wait_until(supervisor, group, lambda info: info["statename"] in STOPPED_STATES, timeout)
    return [info["name"] for info in processes if info["statename"] not in STOPPED_STATES]


def start_group(supervisor: Supervisor, group: str, timeout: float = STARTSECS + 15.0) -> list[ProcessInfo]:
    """Start every instance of ``group`` that is not running, at once; the processes once none is starting."""
    supervisor.start_group(group, False)
    return wait_until(supervisor, group, lambda info: info["statename"] != "STARTING", timeout)
