"""The errors of the pool, under boss's one root :class:`~engine.errors.BossError` (one line each, exit 2)."""

from __future__ import annotations

from engine.errors import BossError


class PoolError(BossError):
    """The pool cannot do what was asked: bad install input, supervisord refused, files unwritable."""


class PoolDownError(PoolError):
    """This host's pool (its supervisord) is not running: ``skynet up`` starts it."""


class UnknownParticipantError(PoolError):
    """A participant name that is not installed in this pool."""


class SupervisorFault(PoolError):
    """Supervisord refused an XML-RPC call; ``code`` is its fault code (``supervisor.xmlrpc.Faults``)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class ActionFailed(PoolError):
    """An instance did not start, stop or come back as asked (the request itself was valid): exit code 1."""

    exit_code = 1
