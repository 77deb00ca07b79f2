"""Each schedule's progress in the boss store (``boss_schedules``), so an occurrence fires once across restarts.

The launcher keeps no state of its own: progress is read from the store at every cycle and written after
every launch, so a restarted (or a second) launcher carries on where the last one stopped. Writes never
move progress backwards (see :meth:`engine.store.Tx.save_schedule`).

The order matters for exactly once: a launch is sent *before* its progress is written. A crash in between
re-sends the launch on restart with the same request id, and the engine answers it with the process it
started the first time.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from engine.store import ScheduleRow, Store


def load_progress(store: Store) -> dict[str, ScheduleRow]:
    """Every schedule's progress, by schedule name."""
    return {row.schedule: row for row in store.schedules()}


def record_launch(store: Store, schedule: str, occurrence: datetime, process_id: str | None,
                  error: str | None) -> ScheduleRow:
    """Record that ``occurrence`` was handled: launched as ``process_id``, or refused with ``error``."""
    row = ScheduleRow(schedule=schedule, covered_until=occurrence, last_occurrence=occurrence,
                      last_process=process_id, last_error=error, updated_at=datetime.now(UTC))
    _save(store, row)
    return row


def record_covered(store: Store, previous: ScheduleRow | None, schedule: str, until: datetime) -> ScheduleRow:
    """Record that every occurrence up to ``until`` is handled, keeping what the last launch was."""
    now = datetime.now(UTC)
    if previous is None:
        row = ScheduleRow(schedule=schedule, covered_until=until, last_occurrence=None, last_process=None,
                          last_error=None, updated_at=now)
    else:
        row = replace(previous, covered_until=max(until, previous.covered_until), updated_at=now)
    _save(store, row)
    return row


def _save(store: Store, row: ScheduleRow) -> None:
    with store.transaction() as tx:
        tx.save_schedule(row)
