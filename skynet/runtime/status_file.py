"""What an instance is working on, in a small JSON file the pool reads (``skynet status``).

The pool sets ``SKYNET_STATUS_FILE`` for each instance it runs. Heartbeats on the bus carry the same
``current`` work, but ``skynet status`` must answer on the host alone, with the broker down too, so the
runtime also keeps this file: rewritten (atomically) when the current workitem or the handled count
changes, removed at a clean exit. A file whose ``pid`` is not the running process is stale (a ``kill -9``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.transport.messages import CurrentWork

log = logging.getLogger("skynet.runtime")

ENV_VARIABLE = "SKYNET_STATUS_FILE"


class StatusFile:
    """Keeps one instance's status file up to date; failures to write are logged once, never raised."""

    def __init__(self, path: Path, instance: str) -> None:
        self.path = path
        self.instance = instance
        self.started_at = datetime.now(UTC)
        self._last: tuple[Any, ...] | None = None
        self._warned = False

    @classmethod
    def from_env(cls, instance: str) -> StatusFile | None:
        """The status file the pool asked for, or None when run outside a pool."""
        path = os.environ.get(ENV_VARIABLE)
        return cls(Path(path), instance) if path else None

    def update(self, current: CurrentWork | None, handled: int) -> None:
        """Write the file when what it says has changed."""
        work = (current.workitem, current.attempt) if current is not None else None
        key = (work, handled)
        if key == self._last:
            return
        self._last = key
        body = {"instance": self.instance, "pid": os.getpid(), "started_at": self.started_at.isoformat(),
                "current": current.model_dump(mode="json") if current is not None else None, "handled": handled,
                "updated_at": datetime.now(UTC).isoformat()}
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        try:
            temporary.write_text(json.dumps(body), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as exc:
            if not self._warned:
                log.warning("cannot write the status file %s (%s): skynet status will not show current work",
                            self.path, exc.strerror or exc)
                self._warned = True

    def remove(self) -> None:
        """Delete the file (a clean exit: nothing is being worked on)."""
        with contextlib.suppress(OSError):
            self.path.unlink()
