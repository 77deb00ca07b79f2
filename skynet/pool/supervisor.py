"""A typed client of one supervisord's XML-RPC API over its unix socket, as ``supervisorctl`` talks to it.

Faults become :class:`SupervisorFault` (with supervisor's code, so callers can tell "already started" from
"spawn error"), and an absent or dead socket becomes :class:`PoolDownError` saying to run ``skynet up``.
One client holds one HTTP connection: use it from one thread at a time.
"""

from __future__ import annotations

import http.client
import xmlrpc.client
from pathlib import Path
from typing import Any, TypedDict, cast

from supervisor.xmlrpc import Faults, SupervisorTransport  # type: ignore[import-untyped]

from skynet.pool.errors import PoolDownError, SupervisorFault

# Supervisor's process states (supervisor.states.ProcessStates), by name.
RUNNING_STATES = frozenset({"RUNNING", "STARTING", "BACKOFF"})
STOPPED_STATES = frozenset({"STOPPED", "EXITED", "FATAL", "UNKNOWN"})


class ProcessInfo(TypedDict):
    """One process as ``getProcessInfo`` describes it (the keys we use)."""

    name: str
    group: str
    statename: str
    pid: int
    start: int
    stop: int
    now: int
    spawnerr: str
    exitstatus: int
    description: str
    stdout_logfile: str


class Changes(TypedDict):
    """What ``reloadConfig`` found: groups added, changed and removed in the config files."""

    added: list[str]
    changed: list[str]
    removed: list[str]


class Supervisor:
    """The XML-RPC API of the supervisord listening on ``socket``."""

    def __init__(self, socket: Path) -> None:
        self.socket = socket
        self._transport = SupervisorTransport(None, None, serverurl=f"unix://{socket}")
        # The host part is ignored: the transport connects to the unix socket.
        self._proxy = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=self._transport, allow_none=True)

    def close(self) -> None:
        """Close the connection (a later call reopens it)."""
        self._transport.close()

    def _call(self, method: str, *args: Any) -> Any:
        function = getattr(self._proxy.supervisor, method)
        try:
            return function(*args)
        except xmlrpc.client.Fault as fault:
            code = int(fault.faultCode)
            raise SupervisorFault(f"supervisord refused {method}: {fault.faultString}", code) from fault
        except (OSError, http.client.HTTPException, xmlrpc.client.ProtocolError) as exc:
            self._transport.close()
            raise PoolDownError(f"the pool is not running (no supervisord answers on {self.socket}): "
                                "start it with skynet up") from exc

    # ---- supervisord ---------------------------------------------------------------------------------
    def state(self) -> str:
        """Supervisord's state name (RUNNING, RESTARTING, SHUTDOWN...)."""
        return str(self._call("getState")["statename"])

    def pid(self) -> int:
        """Supervisord's own pid."""
        return int(self._call("getPID"))

    def shutdown(self) -> None:
        """Ask supervisord to stop every process and exit (returns at once)."""
        self._call("shutdown")

    def reload_config(self) -> Changes:
        """Re-read the config files; nothing is started or stopped yet (see :mod:`skynet.pool.apply`)."""
        added, changed, removed = self._call("reloadConfig")[0]
        return Changes(added=list(added), changed=list(changed), removed=list(removed))

    # ---- groups --------------------------------------------------------------------------------------
    def add_group(self, name: str) -> None:
        """Make a group of the loaded config active (autostart programs then start)."""
        self._call("addProcessGroup", name)

    def remove_group(self, name: str) -> None:
        """Drop a stopped group from supervisord."""
        self._call("removeProcessGroup", name)

    def start_group(self, name: str, wait: bool = True) -> list[dict[str, Any]]:
        """Start the group's processes that are not running; one result per process started."""
        return cast(list[dict[str, Any]], self._call("startProcessGroup", name, wait))

    def stop_group(self, name: str, wait: bool = True) -> list[dict[str, Any]]:
        """Stop the group's running processes; one result per process stopped."""
        return cast(list[dict[str, Any]], self._call("stopProcessGroup", name, wait))

    # ---- processes -----------------------------------------------------------------------------------
    def processes(self) -> list[ProcessInfo]:
        """Every process of every group."""
        return cast(list[ProcessInfo], self._call("getAllProcessInfo"))

    def process(self, namespec: str) -> ProcessInfo:
        """One process, by ``group:name``."""
        return cast(ProcessInfo, self._call("getProcessInfo", namespec))

    def start(self, namespec: str, wait: bool = True) -> None:
        """Start one process (``wait``: until it has been up ``startsecs``)."""
        self._call("startProcess", namespec, wait)

    def stop(self, namespec: str, wait: bool = True) -> None:
        """Stop one process (``wait``: until it has exited, at most ``stopwaitsecs`` then SIGKILL)."""
        self._call("stopProcess", namespec, wait)


def namespec(group: str, process: str) -> str:
    """Supervisor's ``group:process`` name of a process."""
    return f"{group}:{process}"


__all__ = ["RUNNING_STATES", "STOPPED_STATES", "Changes", "Faults", "ProcessInfo", "Supervisor", "namespec"]
