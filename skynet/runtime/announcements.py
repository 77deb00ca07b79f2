"""Announcing an instance on ``boss.events``: register at start, heartbeats while alive, goodbye at the end.

The engine keeps a registry of participant instances from these (which hosts serve which participant,
their params schema for ``boss validate``, what each is working on); the dashboard shows it.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import UTC, datetime
from typing import Literal

from engine.transport import topology
from engine.transport.messages import Announcement, CurrentWork
from skynet.participant import Participant

AnnouncementKind = Literal["register", "heartbeat", "goodbye"]


def new_instance_id(name: str) -> str:
    """A unique instance id: ``<name>-<host>-<pid>-<4 random hex>`` (random: pids are reused)."""
    return f"{name}-{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(2)}"


class Announcer:
    """Builds this instance's announcements (they are published by the connection thread)."""

    def __init__(self, participant_cls: type[Participant], *, name: str, queue: str, instance: str) -> None:
        self.participant_cls = participant_cls
        self.name = name
        self.queue = queue
        self.instance = instance
        self.host = socket.gethostname()
        self.pool = os.environ.get("SKYNET_POOL") or None
        self.started_at = datetime.now(UTC)

    def route(self, kind: str) -> str:
        """The routing key of an announcement on ``boss.events``."""
        return topology.announcement_route(self.name, kind)

    def announcement(self, kind: AnnouncementKind, *, current: CurrentWork | None = None,
                     handled: int = 0) -> Announcement:
        """A register, heartbeat or goodbye announcement."""
        cls = self.participant_cls
        return Announcement(
            kind=kind,
            participant=self.name, instance=self.instance, host=self.host, pool=self.pool, pid=os.getpid(),
            version=cls.version, description=cls.description, queue=self.queue,
            params_schema=cls.params_schema(), config_keys=list(cls.config_keys),
            started_at=self.started_at, sent_at=datetime.now(UTC), current=current, handled=handled,
        )
