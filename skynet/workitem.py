"""What ``handle`` receives: one workitem, with its params, writable fields and a line back to the engine.

The engine stores the reply's ``fields`` into the process, so the reply must carry only what the
participant changed: otherwise two parallel branches would overwrite each other's fields with the stale
copies they were dispatched with. :meth:`Workitem.changed_fields` computes that difference against a deep
copy taken when the workitem was built.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable, MutableMapping
from datetime import datetime
from typing import Any

from skynet.errors import Cancelled

ProgressSink = Callable[[dict[str, Any]], None]


class WorkitemLog(logging.LoggerAdapter[logging.Logger]):
    """A logger that prefixes every line with the process id and step, so interleaved jobs stay readable."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        extra = self.extra or {}
        return f"[{extra.get('process_id')} {extra.get('step')}] {msg}", kwargs


class Workitem:
    """One piece of work for a participant.

    Attributes:
        id: The workitem id; with ``attempt`` it identifies one dispatch.
        process_id: The process the step belongs to.
        process_name: The process definition's name.
        step: The step's name.
        path: The step's path in the definition (``steps[3].then[0]``).
        attempt: 1 for the first dispatch, incremented by each retry or re-dispatch.
        idempotency_key: Stable across attempts: use it to make side effects happen once.
        participant: The participant name the engine dispatched to.
        deadline: When the step times out (None without a timeout); stop before it if you can.
        heartbeat_interval: Seconds between the runtime's heartbeats while the work runs.
        params: The validated ``Params`` instance when the participant declares one, else a dict.
        fields: The process fields; writable, and the changed top-level keys go back with the reply.
        log: A logger whose lines carry the process id and step.
        cancelled: Set when the engine cancels this workitem; long loops should check it.
    """

    def __init__(
        self,
        *,
        id: str,
        process_id: str,
        process_name: str = "",
        step: str = "",
        path: str = "",
        attempt: int = 1,
        idempotency_key: str | None = None,
        participant: str = "",
        deadline: datetime | None = None,
        heartbeat_interval: float = 10.0,
        params: Any = None,
        fields: dict[str, Any] | None = None,
        on_progress: ProgressSink | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self.id = id
        self.process_id = process_id
        self.process_name = process_name
        self.step = step
        self.path = path
        self.attempt = attempt
        self.idempotency_key = idempotency_key if idempotency_key is not None else id
        self.participant = participant
        self.deadline = deadline
        self.heartbeat_interval = heartbeat_interval
        self.params: Any = params if params is not None else {}
        self.fields: dict[str, Any] = fields if fields is not None else {}
        self.cancelled = threading.Event()
        self.log = WorkitemLog(logger or logging.getLogger(f"skynet.participant.{participant or 'unknown'}"),
                               {"process_id": process_id, "step": step})
        self._initial = copy.deepcopy(self.fields)
        self._on_progress = on_progress
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Workitem(id={self.id!r}, attempt={self.attempt}, process_id={self.process_id!r}, step={self.step!r})"

    def progress(self, message: str | None = None, /, **data: Any) -> None:
        """Tell the engine the work is alive, with optional data (``wi.progress("building", url=...)``).

        The data is merged into the step's progress that ``boss show`` and the dashboard display. Before the
        workitem is accepted this accepts it first. Safe to call from any thread.
        """
        payload = dict(data)
        if message is not None:
            payload["message"] = message
        with self._lock:
            if self._on_progress is not None:
                self._on_progress(payload)

    def check_cancelled(self) -> None:
        """Raise :class:`~skynet.errors.Cancelled` when the engine has cancelled this workitem."""
        if self.cancelled.is_set():
            raise Cancelled(f"workitem {self.id} attempt {self.attempt} was cancelled")

    def changed_fields(self) -> dict[str, Any]:
        """The top-level fields that were added or changed since the workitem arrived.

        Deleting a field cannot be expressed in a reply; set it to None instead.
        """
        return {key: value for key, value in self.fields.items()
                if key not in self._initial or not _same(self._initial[key], value)}


def _same(before: Any, after: Any) -> bool:
    # Types matter: True == 1 in Python, but a field changed from 1 to true did change in JSON.
    return type(before) is type(after) and before == after
