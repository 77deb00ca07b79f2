"""The durable state of the engine: processes, history, steps, timers, outbox, requests, instances.

SQLAlchemy Core on SQLite (WAL; the embedded default) or PostgreSQL (several engine processes), with the
same API and tests for both. Only the engine daemon writes process state, inside
:meth:`Store.transaction`; the ``boss`` commands read. The one other writer is the calendar launcher, which
records how far each schedule got (``boss_schedules``, never process state).
"""

from __future__ import annotations

from engine.store.connect import mask
from engine.store.rows import (
    DueTimer,
    HistoryRow,
    InstanceRow,
    OutboxRow,
    Outgoing,
    ProcessRow,
    RegistrationRow,
    ScheduleRow,
    StepRow,
)
from engine.store.store import Store, open_store
from engine.store.tx import Tx
from engine.urls import default_store_url

__all__ = [
    "DueTimer",
    "HistoryRow",
    "InstanceRow",
    "OutboxRow",
    "Outgoing",
    "ProcessRow",
    "RegistrationRow",
    "ScheduleRow",
    "StepRow",
    "Store",
    "Tx",
    "default_store_url",
    "mask",
    "open_store",
]
