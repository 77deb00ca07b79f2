"""The participant the pool tests install: one Participant class, a Params model, answers with its instance."""

from __future__ import annotations

import os
import time
from typing import Any

from pydantic import BaseModel

from skynet import Participant, Workitem


class Worker(Participant):
    """Sleeps ``pause`` seconds (``pause_first`` on the first attempt only), then says who did the work."""

    name = "worker"
    version = "2.1"
    config_keys = ("greeting",)

    class Params(BaseModel):
        """What a step gives the worker."""

        n: int = 0
        pause: float = 0.0
        pause_first: float = 0.0

    def handle(self, wi: Workitem) -> dict[str, Any]:
        time.sleep(wi.params.pause + (wi.params.pause_first if wi.attempt == 1 else 0.0))
        return {"n": wi.params.n, "pid": os.getpid(), "instance_num": os.environ.get("SKYNET_INSTANCE_NUM")}
