"""A participant whose setup raises: it must never be installed."""

from __future__ import annotations

from typing import Any

from skynet import Participant, Workitem


class Broken(Participant):
    """Cannot start."""

    def setup(self, config: dict[str, Any]) -> None:
        raise RuntimeError("the database is unreachable")

    def handle(self, wi: Workitem) -> Any:
        return None
