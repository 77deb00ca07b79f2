"""Two Participant classes: a SPEC naming this file must say which one."""

from __future__ import annotations

from typing import Any

from skynet import Participant, Workitem


class First(Participant):
    """One."""

    def handle(self, wi: Workitem) -> Any:
        return 1


class Second(Participant):
    """Two."""

    def handle(self, wi: Workitem) -> Any:
        return 2
