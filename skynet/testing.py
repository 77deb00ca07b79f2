"""Run a participant on one workitem without a broker: the test helper of the SDK.

``run`` goes through the same steps as the daemon (setup, params validation, handle, teardown) and
classifies errors the same way, so a unit test of a participant tells what the engine would receive::

    outcome = skynet.testing.run(Greeter, params={"who": "world"}, config={"greeting": "hi"})
    assert outcome.result == {"text": "hi world"}
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.transport.messages import ErrorBody
from skynet.errors import ParticipantError
from skynet.outcome import Outcome, error_body, execute, validate_params
from skynet.participant import Participant
from skynet.workitem import Workitem


@dataclass
class RunResult:
    """What one run produced, as the engine would see it in the reply.

    Attributes:
        result: What ``handle`` returned, in its JSON form (None after an error).
        fields: All fields after the run.
        changed: Only the top-level fields added or changed (what the reply carries).
        progress: The payload of each ``wi.progress(...)`` call, in order.
        error: None, or the reply's error (``type``, ``message``, ``retryable``, ``detail``).
        workitem: The workitem ``handle`` received.
    """

    result: Any
    fields: dict[str, Any]
    changed: dict[str, Any]
    progress: list[dict[str, Any]] = field(default_factory=list)
    error: ErrorBody | None = None
    workitem: Workitem | None = None

    @property
    def ok(self) -> bool:
        """Whether the run ended ``done``."""
        return self.error is None


def run(
    participant: type[Participant] | Participant,
    params: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    *,
    process_id: str = "test-process",
    process_name: str = "test",
    step: str | None = None,
    attempt: int = 1,
    workitem_id: str | None = None,
    idempotency_key: str | None = None,
    deadline: datetime | None = None,
    cancelled: bool = False,
) -> RunResult:
    """Run ``participant`` on one workitem: setup(config) -> validate params -> handle -> teardown.

    Args:
        participant: The class (instantiated here) or an instance (to inspect its state afterwards).
        params: The step's params, validated against ``Params`` as the runtime does.
        fields: The process fields (copied: the caller's dict is not modified).
        config: What ``setup`` receives (default: empty; no file or environment is read).
        process_id: The process id the workitem claims.
        process_name: The process definition's name.
        step: The step name (default: the participant's name).
        attempt: The attempt number (test retry logic with ``attempt=2``).
        workitem_id: The workitem id (default ``<process_id>/1``).
        idempotency_key: Default: the workitem id, as the engine does.
        deadline: The step's deadline, if the participant looks at it.
        cancelled: Start with ``wi.cancelled`` set, to test cancel handling.

    A ParticipantError or an unexpected exception from ``handle`` is captured in ``error``, as the runtime
    reports it; an exception from ``setup`` propagates (the daemon would not start).
    """
    instance = participant() if isinstance(participant, type) else participant
    progress: list[dict[str, Any]] = []
    lock = threading.Lock()

    def record(payload: dict[str, Any]) -> None:
        with lock:
            progress.append(copy.deepcopy(payload))

    raw = dict(params or {})
    wi = Workitem(id=workitem_id or f"{process_id}/1", process_id=process_id, process_name=process_name,
                  step=step or instance.name, attempt=attempt, idempotency_key=idempotency_key,
                  participant=instance.name, deadline=deadline, params=raw, fields=copy.deepcopy(fields or {}),
                  on_progress=record)
    if cancelled:
        wi.cancelled.set()
    instance.setup(dict(config or {}))
    try:
        outcome = _validated_then_handled(instance, wi, raw)
    finally:
        instance.teardown()
    return RunResult(result=outcome.result, fields=wi.fields, changed=outcome.changed, progress=progress,
                     error=outcome.error, workitem=wi)


def _validated_then_handled(participant: Participant, wi: Workitem, raw: dict[str, Any]) -> Outcome:
    try:
        wi.params = validate_params(type(participant), raw)
    except ParticipantError as exc:
        return Outcome(error=error_body(exc))
    return execute(participant, wi)
