"""The participant runtime: runs one participant as a daemon against RabbitMQ (see :mod:`.runtime`)."""

from __future__ import annotations

from skynet.runtime.runtime import Runtime, run_participant

__all__ = ["Runtime", "run_participant"]
