"""The errors of the shell participant, one per way a command can let a step down.

They live apart so that the config, the process handling and the judging of a result can raise them
without importing one another. Permanent ones derive from ``ParticipantError``, those that a retry may
cure from ``RetryableError``; an error of a command that ran carries its result as ``detail``.
"""

from __future__ import annotations

from skynet import ParticipantError, RetryableError


class CommandNotAllowed(ParticipantError):
    """The step asked for a command, args or env that the allow-list does not permit."""


class CommandFailed(ParticipantError):
    """The command could not start, exited non-zero, or printed no valid JSON when it should have."""


class CommandFailedTransient(RetryableError):
    """The command exited with a status its config lists in ``retryable_exit_codes``."""


class CommandTimedOut(RetryableError):
    """The command outlived its timeout and was killed with its process group."""
