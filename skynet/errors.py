"""The exceptions of the participant SDK, all under boss's one root :class:`BossError`.

A participant signals how its work failed by the exception it raises from ``handle``: a
:class:`RetryableError` is transient (the step's retry policy applies), a :class:`ParticipantError` is
permanent. Anything else is a bug in the participant: it is reported as a permanent error named after the
exception class. The other errors here are what ``skynet`` itself reports to users, as one line each.
"""

from __future__ import annotations

from typing import Any, ClassVar

from engine.errors import BossError


class ParticipantError(BossError):
    """The work failed for good: retrying the same workitem would fail again.

    Args:
        message: One line for the operator (shown by ``boss show`` and ``boss errors``).
        detail: Optional JSON-able data for the engine and the dashboard (a response body, a log excerpt).
    """

    retryable: ClassVar[bool] = False

    def __init__(self, message: str = "", *, detail: Any = None) -> None:
        super().__init__(message)
        self.detail = detail

    @property
    def message(self) -> str:
        """The one-line message (the class name when none was given)."""
        return str(self) or type(self).__name__


class RetryableError(ParticipantError):
    """The work failed for a transient reason (a service down, a lock held): the retry policy applies.

    Args:
        message: One line for the operator.
        detail: Optional JSON-able data.
        retry_after: Seconds the service asked to wait (an HTTP ``Retry-After``); the engine waits at least
            this long before the next attempt, even when the step's retry policy says less.
    """

    retryable: ClassVar[bool] = True

    def __init__(self, message: str = "", *, detail: Any = None, retry_after: float | None = None) -> None:
        super().__init__(message, detail=detail)
        self.retry_after = retry_after


class Cancelled(ParticipantError):
    """The engine cancelled the workitem; raised by ``Workitem.check_cancelled()``."""

    def __init__(self, message: str = "cancelled", *, detail: Any = None) -> None:
        super().__init__(message, detail=detail)


class SpecError(BossError):
    """A participant SPEC (built-in name, module:Class, entry point, file.py[:Class]) cannot be loaded."""


class ConfigError(BossError):
    """A participant configuration file cannot be read or is not a mapping."""


class SetupError(BossError):
    """A participant's ``setup`` hook raised, so the daemon cannot start."""
