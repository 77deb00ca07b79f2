"""What the agent needs from a pool: read its programs, act on them. One interface, two implementations.

:class:`PoolBackend` is the agent's whole view of the pool, so the agent's logic (authorisation,
answering, publishing) is tested over the broker with :class:`MemoryBackend`, and runs in production over
supervisord with :class:`skynet.agent.supervisor.SupervisorBackend`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from engine.errors import BossError
from engine.transport.pool_messages import Action, InstanceState, ProgramState


class PoolActionError(BossError):
    """An action on the pool failed (unknown program, supervisord refused or unreachable)."""


@dataclass(frozen=True)
class PoolSnapshot:
    """The programs of a pool at one moment, or why they could not be read."""

    programs: tuple[ProgramState, ...] = ()
    error: str | None = None


class PoolBackend(Protocol):
    """A pool as the agent sees it.

    The agent calls ``snapshot`` from its connection thread and ``control`` from its worker thread, so an
    implementation must allow one of each at the same time.
    """

    name: str

    def snapshot(self) -> PoolSnapshot:
        """The pool's programs now; a pool that cannot be read is a snapshot with ``error`` (never raises)."""
        ...

    def control(self, action: Action, programs: Sequence[str]) -> None:
        """Carry out ``action`` on every program named, in order.

        Raises:
            PoolActionError: a program is unknown or the action failed; the message is one line for the
                requester.
        """
        ...


@dataclass
class MemoryProgram:
    """A program of the in-memory pool."""

    name: str
    instances: int = 1
    running: bool = True
    enabled: bool = True
    queue: str | None = None
    spec: str | None = None


@dataclass
class MemoryBackend:
    """An in-memory pool for tests: programs that start and stop at once, and a log of what was done."""

    name: str
    programs: dict[str, MemoryProgram] = field(default_factory=dict)
    done: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    error: str | None = None  # set to make snapshots report an unreadable pool
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str, *, instances: int = 1, running: bool = True, enabled: bool = True) -> None:
        """Add a program."""
        with self._lock:
            self.programs[name] = MemoryProgram(name, instances, running, enabled, queue=f"participant.{name}",
                                                spec=f"{name}.py")

    def snapshot(self) -> PoolSnapshot:
        """The programs, with supervisord's state names."""
        with self._lock:
            if self.error:
                return PoolSnapshot(error=self.error)
            return PoolSnapshot(tuple(self._state(program) for program in self.programs.values()))

    def control(self, action: Action, programs: Sequence[str]) -> None:
        """Apply ``action`` at once (every program must exist first: nothing is done otherwise)."""
        with self._lock:
            unknown = [name for name in programs if name not in self.programs]
            if unknown:
                raise PoolActionError(f"no program named {', '.join(unknown)} in pool {self.name}")
            for name in programs:
                program = self.programs[name]
                if action in ("start", "restart"):
                    program.running = True
                elif action == "stop":
                    program.running = False
                else:
                    program.enabled = action == "enable"
            self.done.append((action, tuple(programs)))

    @staticmethod
    def _state(program: MemoryProgram) -> ProgramState:
        state = "RUNNING" if program.running else "STOPPED"
        instances = [InstanceState(name=f"{program.name}_{index:02d}", state=state,
                                   pid=1000 + index if program.running else None,
                                   uptime_seconds=1.0 if program.running else None, restarts=0)
                     for index in range(program.instances)]
        return ProgramState(name=program.name, spec=program.spec, queue=program.queue, enabled=program.enabled,
                            instances=instances)
