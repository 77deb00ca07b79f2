"""The git participant's failure kinds; the class name is the ``error.type`` a process can look at."""

from __future__ import annotations

from skynet import ParticipantError, RetryableError


class GitFailed(ParticipantError):
    """A git command failed for a reason retrying will not fix (bad ref, refused push, auth)."""


class GitUnavailable(RetryableError):
    """A git command failed for a transient reason: network, a remote that hung up, a lock held, a timeout."""


class RefNotFound(ParticipantError):
    """A branch, tag or commit a step names does not exist."""


class RefConflict(ParticipantError):
    """A branch or tag to create exists already at another commit, or a local branch diverged from its remote."""


class MergeConflict(ParticipantError):
    """A merge would conflict; ``detail["conflicts"]`` maps each repository to its conflicting files."""


class PushRejected(ParticipantError):
    """The remote refused a push (not a fast-forward, a protected branch, a tag that exists elsewhere)."""


class GitHubError(ParticipantError):
    """GitHub refused a request (401, 403, 404, 409, 422...); the message quotes GitHub's own."""


class GitHubUnavailable(RetryableError):
    """GitHub answered 5xx or 429, rate-limited us, or could not be reached."""
