"""The real pool behind the agent: :class:`skynet.pool.Pool` (this host's supervisord) as a PoolBackend.

The agent acts exactly as ``skynet start/stop/...`` on that host would (same facade, same lock, same
records), so a remote action and a local one cannot disagree about what a pool is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from engine.errors import BossError
from engine.transport.pool_messages import Action, ProgramState
from skynet.agent.backend import PoolActionError, PoolSnapshot
from skynet.pool.pool import Pool

POOL_DOWN = "supervisord is not running: `skynet up` starts the pool"


class SupervisorBackend:
    """A :class:`~skynet.agent.backend.PoolBackend` over the pool facade (safe from two threads: every call
    of the facade opens its own XML-RPC connection)."""

    def __init__(self, pool: Pool, name: str) -> None:
        self.pool = pool
        self.name = name

    @classmethod
    def of(cls, home: Path, name: str) -> SupervisorBackend:
        """The pool in directory ``home``, published as ``name``."""
        return cls(Pool(home), name)

    def snapshot(self) -> PoolSnapshot:
        """Every installed participant and its instances; an unreadable or stopped pool says why."""
        try:
            status = self.pool.snapshot()
        except BossError as exc:
            return PoolSnapshot(error=str(exc))
        programs = tuple(ProgramState.model_validate(program.model_dump()) for program in status.programs)
        return PoolSnapshot(programs, None if status.up else POOL_DOWN)

    def control(self, action: Action, programs: Sequence[str]) -> None:
        """Run the facade's ``start``/``stop``/``restart``/``enable``/``disable`` on ``programs``.

        Raises:
            PoolActionError: with the facade's one-line reason (unknown participant, pool down...).
        """
        methods: dict[Action, Callable[[Sequence[str]], object]] = {
            "start": self.pool.start, "stop": self.pool.stop, "restart": self.pool.restart,
            "enable": self.pool.enable, "disable": self.pool.disable,
        }
        try:
            methods[action](list(programs))
        except BossError as exc:
            raise PoolActionError(str(exc)) from exc
