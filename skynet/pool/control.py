"""Starting, stopping, reloading, enabling and disabling installed participants' instances.

``reload`` is the rolling restart that picks up new code without a gap in service and without losing a
workitem: one instance at a time is stopped (SIGTERM: the runtime stops consuming, finishes or hands back
its work, and exits; anything prefetched but not started goes back to the queue), started again, and
waited for until it is consuming (its status file names the new pid) before the next one stops. A failed
instance stops the reload there, leaving the others on the old code rather than taking them all down.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from supervisor.xmlrpc import Faults  # type: ignore[import-untyped]

from skynet.pool.apply import reconcile
from skynet.pool.errors import ActionFailed, PoolError, SupervisorFault
from skynet.pool.home import locked
from skynet.pool.processes import start_group, stop_group
from skynet.pool.records import read_record, write_record
from skynet.pool.status import ProgramStatus, read_status_file
from skynet.pool.supervisor import RUNNING_STATES, Supervisor, namespec

if TYPE_CHECKING:
    from skynet.pool.pool import Pool

CONSUMING_TIMEOUT = 30.0  # how long reload waits for a restarted instance to be back on the broker


def start(pool: Pool, names: Sequence[str]) -> list[ProgramStatus]:
    """Start every instance of ``names`` that is not running, waiting until each is up (or failed).

    Instances supervisord is starting already (autostart after ``enable``) are waited for as well.

    Raises:
        ActionFailed: an instance did not start (the others were started).
    """
    with pool.client() as supervisor:
        for name in names:
            _known(supervisor, name)
            start_group(supervisor, name)
    statuses = pool.wait_settled(names)
    failures = [f"{instance.name} is {instance.state} ({instance.description})"
                for status in statuses for instance in status.instances if instance.state != "RUNNING"]
    if failures:
        raise ActionFailed(f"not started: {'; '.join(failures)} (see skynet log)")
    return statuses


def stop(pool: Pool, names: Sequence[str]) -> list[ProgramStatus]:
    """Stop every running instance of ``names``, each finishing or handing back its work first.

    Raises:
        ActionFailed: an instance did not stop.
    """
    failures: list[str] = []
    with pool.client() as supervisor:
        for name in names:
            _known(supervisor, name)
            failures += stop_group(supervisor, name)
    if failures:
        raise ActionFailed(f"not stopped: {', '.join(failures)} (see skynet log)")
    return [pool.status(name) for name in names]


def reload(pool: Pool, names: Sequence[str], progress: Callable[[str], None]) -> list[ProgramStatus]:
    """Restart the running instances of ``names`` one at a time (see the module docstring).

    Raises:
        ActionFailed: an instance did not come back; the reload stopped there.
    """
    with pool.client() as supervisor:
        for name in names:
            for instance in pool.status(name).instances:
                if instance.state not in RUNNING_STATES:
                    progress(f"{instance.name}: {instance.state.lower()}, left as it is")
                    continue
                _restart_one(pool, supervisor, name, instance.name, progress)
    return [pool.status(name) for name in names]


def _restart_one(pool: Pool, supervisor: Supervisor, group: str, process: str,
                 progress: Callable[[str], None]) -> None:
    spec = namespec(group, process)
    old = supervisor.process(spec)["pid"]
    progress(f"{process}: stopping (pid {old})")
    try:
        supervisor.stop(spec, True)
    except SupervisorFault as exc:
        if exc.code != Faults.NOT_RUNNING:
            raise ActionFailed(f"reload stopped: {process} did not stop: {exc}") from exc
    try:
        supervisor.start(spec, True)
    except SupervisorFault as exc:
        raise ActionFailed(f"reload stopped: {process} did not start again: {exc} "
                           f"(see skynet log {group} --instance {process.rpartition('-')[2]})") from exc
    new = supervisor.process(spec)["pid"]
    deadline = time.monotonic() + CONSUMING_TIMEOUT
    while read_status_file(pool.home.status_file(process), new) is None:
        if supervisor.process(spec)["statename"] != "RUNNING":
            raise ActionFailed(f"reload stopped: {process} exited after it started (see skynet log {group})")
        if time.monotonic() > deadline:
            raise ActionFailed(f"reload stopped: {process} (pid {new}) is not consuming after "
                               f"{CONSUMING_TIMEOUT:g}s: is the broker reachable? (see skynet log {group})")
        time.sleep(0.05)
    progress(f"{process}: restarted (pid {new}), consuming")


def set_enabled(pool: Pool, names: Sequence[str], *, enabled: bool) -> list[ProgramStatus]:
    """Turn autostart/autorestart on (and start) or off (and stop) for ``names``.

    Raises:
        PoolDownError: the pool is not up.
        ActionFailed: an instance did not start or stop.
    """
    with locked(pool.home), pool.client() as supervisor:
        supervisor.state()
        for name in names:
            record = read_record(pool.home, name)
            if record.enabled != enabled:
                write_record(pool.home, record.model_copy(update={"enabled": enabled}))
        pool.render()
        result = reconcile(supervisor)
    if result.problems:
        raise PoolError("; ".join(result.problems))
    # A program already in the wanted state is unchanged for supervisord; make its instances match anyway.
    return start(pool, names) if enabled else stop(pool, names)


def _known(supervisor: Supervisor, name: str) -> None:
    """Fail when supervisord does not have the program (its record exists, but it was never applied)."""
    if not any(info["group"] == name for info in supervisor.processes()):
        raise PoolError(f"{name} is installed but not loaded in supervisord: run skynet apply")
