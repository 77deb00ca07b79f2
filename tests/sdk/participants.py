"""Participants the SDK tests run in-process; their behaviour is chosen by the workitem's params.

Tests control them through module-level registries keyed by names unique to each test: a ``gate`` the
handler waits on, and ``calls`` recording which workitems reached ``handle``, ``cancel`` and ``teardown``.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

from pydantic import BaseModel

from skynet import Participant, ParticipantError, RetryableError, Workitem

GATES: defaultdict[str, threading.Event] = defaultdict(threading.Event)
CALLS: defaultdict[str, list[Any]] = defaultdict(list)
_lock = threading.Lock()


def record(kind: str, value: Any) -> None:
    with _lock:
        CALLS[kind].append(value)


class Echo(Participant):
    """Answers with its params; sets the fields named in ``set_fields``; fails as ``fail`` says."""

    name = "echo"

    def handle(self, wi: Workitem) -> Any:
        record("echo", wi.id)
        params = dict(wi.params)
        for key, value in params.pop("set_fields", {}).items():
            wi.fields[key] = value
        failure = params.get("fail")
        if failure == "retryable":
            raise RetryableError("the service is busy", detail={"retry_in": 5})
        if failure == "permanent":
            raise ParticipantError("the version already exists")
        if failure == "bug":
            lookup: dict[str, int] = {}
            return lookup["missing"]
        return {"echo": params, "attempt": wi.attempt}


class Gated(Participant):
    """Waits for its gate (params ``gate``), heartbeating by itself; may report progress first."""

    name = "gated"

    def handle(self, wi: Workitem) -> Any:
        record("gated", wi.id)
        if wi.params.get("progress"):
            wi.progress("started", url=f"https://ci.example/{wi.id}")
        gate = GATES[wi.params["gate"]]
        if not gate.wait(wi.params.get("wait", 10)):
            raise RetryableError("the gate never opened")
        return {"passed": wi.params["gate"]}

    def cancel(self, wi: Workitem) -> None:
        record("cancel", (wi.id, wi.attempt))

    def teardown(self) -> None:
        record("teardown", self.name)


class Stoppable(Participant):
    """Works until cancelled, then stops with ``Cancelled``; its cancel hook records the call."""

    name = "stoppable"

    def handle(self, wi: Workitem) -> Any:
        while not wi.cancelled.wait(0.02):
            pass
        wi.check_cancelled()
        return None

    def cancel(self, wi: Workitem) -> None:
        record("stoppable-cancel", (wi.id, wi.attempt))


class Typed(Participant):
    """Declares params: a count and an optional name."""

    name = "typed"
    config_keys = ("token", "greeting")

    class Params(BaseModel):
        count: int
        who: str = "world"

    def handle(self, wi: Workitem) -> Any:
        record("typed", wi.id)
        return {"count": wi.params.count * 2, "who": wi.params.who}
