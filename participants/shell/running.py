"""Watching one command to its end: stdin, bounded output, progress, timeout; and the commands in progress.

``cancel`` and ``teardown`` arrive in other threads than ``handle``, so the commands running are kept in
a registry by (workitem id, attempt), which stays right under ``--concurrency``. Supervising is apart from
the participant class so that the order of the steps (feed, wait, stop the group, drain the pipes) is in
one place: the step is over when its command is, and nothing it started outlives it.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Any

from engine.timing.durations import format_duration
from participants.shell.config import ShellConfig
from participants.shell.invocation import Invocation
from participants.shell.output import Capture
from participants.shell.process import feed, stop_group
from skynet import Workitem

READ_GRACE = 2.0  # seconds to wait for the output pipes to close once the command's group is gone
PROGRESS_CHARS = 300


@dataclass
class Running:
    """One command in progress, for ``cancel`` and ``teardown`` (which run in other threads)."""

    workitem: Workitem
    process: subprocess.Popen[bytes]


class RunningCommands:
    """The commands in progress by (workitem id, attempt), safe to use from any thread."""

    def __init__(self) -> None:
        self._running: dict[tuple[str, int], Running] = {}  # by (workitem id, attempt): --concurrency safe
        self._lock = threading.Lock()

    def add(self, wi: Workitem, process: subprocess.Popen[bytes]) -> None:
        """Record the command of ``wi`` so that a cancel can find it."""
        with self._lock:
            self._running[(wi.id, wi.attempt)] = Running(wi, process)

    def remove(self, wi: Workitem) -> None:
        """Forget the command of ``wi`` (it has ended)."""
        with self._lock:
            self._running.pop((wi.id, wi.attempt), None)

    def get(self, wi: Workitem) -> Running | None:
        """The command of ``wi`` in progress, if any."""
        with self._lock:
            return self._running.get((wi.id, wi.attempt))

    def all(self) -> list[Running]:
        """Every command in progress (a copy: stopping them may take a while)."""
        with self._lock:
            return list(self._running.values())


def supervise(wi: Workitem, invocation: Invocation, process: subprocess.Popen[bytes], started: float,
              config: ShellConfig) -> tuple[dict[str, Any], bool]:
    """Feed the fields, capture the output and wait for the command; its result and whether it timed out."""
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    fields = json.dumps(wi.fields, default=str).encode()
    threading.Thread(target=feed, args=(process.stdin, fields), daemon=True, name="shell-stdin").start()
    out = Capture(process.stdout, config.max_output)
    err = Capture(process.stderr, config.max_output)
    grace = config.grace.total_seconds()
    timed_out = wait(wi, process, out, invocation.timeout.total_seconds(), config.progress_interval.total_seconds())
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


def wait(wi: Workitem, process: subprocess.Popen[bytes], out: Capture, timeout: float, interval: float) -> bool:
    """Wait for the command, reporting its last stdout line every ``interval``; True when it timed out."""
    deadline = time.monotonic() + timeout
    reported = ""
    while (left := deadline - time.monotonic()) > 0:
        try:
            process.wait(min(left, interval))
        except subprocess.TimeoutExpired:
            line = out.last_line()[-PROGRESS_CHARS:]
            if line and line != reported:
                wi.progress(line)
                reported = line
        else:
            return False
    return process.poll() is None
