"""Participants the integration tests run as real daemons (``skynet run tests/integration/participants.py:Echo``)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from skynet import Participant, ParticipantError, RetryableError, Workitem


class Echo(Participant):
    """Answers with its params and its pid after ``pause`` seconds; may also set fields (``set_fields``)."""

    name = "echo"

    def handle(self, wi: Workitem) -> Any:
        params = dict(wi.params) if isinstance(wi.params, dict) else wi.params.model_dump()
        time.sleep(float(params.pop("pause", 0) or 0))
        for key, value in params.pop("set_fields", {}).items():
            wi.fields[key] = value
        return {**params, "pid": os.getpid()}


class Flaky(Participant):
    """Fails with a retryable error until attempt ``ok_at``; fails permanently when ``broken`` is set."""

    name = "flaky"

    def handle(self, wi: Workitem) -> Any:
        params = dict(wi.params) if isinstance(wi.params, dict) else {}
        if params.get("broken"):
            raise ParticipantError(f"broken: {params['broken']}")
        if wi.attempt < int(params.get("ok_at", 2)):
            raise RetryableError(f"attempt {wi.attempt} failed, try again")
        return {"attempt": wi.attempt}


class Slow(Participant):
    """Works for ``seconds`` (checking for cancel); its cancel hook leaves a marker file."""

    name = "slow"

    def handle(self, wi: Workitem) -> Any:
        params = dict(wi.params) if isinstance(wi.params, dict) else {}
        deadline = time.monotonic() + float(params.get("seconds", 1))
        gate = params.get("until_file")
        while time.monotonic() < deadline or (gate and not Path(gate).exists()):
            if wi.cancelled.is_set():
                return {"cancelled": True}
            time.sleep(0.05)
        return {"slept": params.get("seconds", 1), "pid": os.getpid()}

    def cancel(self, wi: Workitem) -> None:
        params = dict(wi.params) if isinstance(wi.params, dict) else {}
        if params.get("marker"):
            Path(params["marker"]).write_text(f"cancelled {wi.id} attempt {wi.attempt}")
