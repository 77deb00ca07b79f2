"""skynet: the participant SDK and runtime of boss.

Write a participant by subclassing :class:`Participant` and implementing ``handle(wi)``; run it with
``skynet run SPEC``; test it with :func:`skynet.testing.run`. See ``docs/writing-participants.md``.
"""

from __future__ import annotations

from importlib import metadata

from skynet.errors import Cancelled, ParticipantError, RetryableError
from skynet.participant import Participant
from skynet.workitem import Workitem

try:
    __version__ = metadata.version("boss")
except metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["Cancelled", "Participant", "ParticipantError", "RetryableError", "Workitem", "__version__"]
