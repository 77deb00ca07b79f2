"""How a Jenkins step fails: permanent (:class:`JenkinsError`, :class:`BuildFailed`...) or transient.

The class name becomes the step's ``error.type``, so a process can tell a failed build (``BuildFailed``)
from Jenkins refusing the request (``JenkinsError``) in its ``on_error`` handling.
"""

from __future__ import annotations

from typing import Any

from skynet import ParticipantError, RetryableError


class JenkinsError(ParticipantError):
    """Jenkins refused the request for good (bad credentials, no permission, unknown job, bad parameters)."""


class JenkinsUnavailable(RetryableError):
    """Jenkins did not answer, or answered 5xx or 429: worth trying again later."""

    def __init__(self, message: str = "", *, detail: Any = None, retry_after: float | None = None) -> None:
        super().__init__(message, detail=detail)
        self.retry_after = retry_after


class BuildFailed(ParticipantError):
    """The build ended with a result the step does not accept (FAILURE, UNSTABLE, ABORTED, NOT_BUILT)."""


class QueueItemCancelled(ParticipantError):
    """Somebody cancelled the build's queue item in Jenkins before it started."""


class BuildTimedOut(RetryableError):
    """The build outlived the step's ``timeout`` and was stopped (a retry starts a new build)."""
