"""Writes: :class:`Tx`, one database transaction of the engine.

The engine applies a batch of hundreds of events in one transaction, so every method here takes whole
sequences and turns them into a constant number of statements (executemany: one prepared statement,
pipelined on PostgreSQL) instead of a round trip per row; history and steps are even gathered across
processes and written at the commit (:mod:`engine.store.journal`). Upserts use each dialect's
``INSERT ... ON CONFLICT``, which SQLite and PostgreSQL spell the same way; the statements are built once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from engine.errors import StoreError
from engine.interpreter.effects import Record, StartTimer, StopTimer
from engine.interpreter.state import ProcessState
from engine.store.columns import decode_state, instance_values, process_values
from engine.store.journal import Journal
from engine.store.rows import DueTimer, InstanceRow, OutboxRow, Outgoing, RegistrationRow, ScheduleRow
from engine.store.schema import (
    instances,
    outbox,
    participants,
    processes,
    programs,
    requests,
    schedules,
    steps,
    timers,
)

_CHUNK = 500  # ids per IN (...) list: far below every backend's parameter limit
_STEP_COLUMNS = [c.name for c in steps.columns if not c.primary_key]


def load_program(conn: Connection, digest: str) -> tuple[str, dict[str, str]]:
    """The stored program bundle of a digest (shared by :class:`Tx` and the store's reads).

    Raises:
        StoreError: no program has that digest.
    """
    row = conn.execute(sa.select(programs.c.main, programs.c.sources).where(programs.c.digest == digest)).first()
    if row is None:
        raise StoreError(f"no program {digest!r} in the store: the process refers to a snapshot that is "
                         "missing (was the database partially restored?)")
    return str(row.main), dict(row.sources)


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


@dataclass(frozen=True)
class _Statements:
    """The statements of one dialect, built once: building ``ON CONFLICT`` constructs is not cheap."""

    save_program: sa.Insert
    upsert_steps: sa.Insert
    upsert_timer: sa.Insert
    save_response: sa.Insert
    upsert_instance: sa.Insert
    update_process: sa.Update
    upsert_registration: sa.Insert
    upsert_schedule: sa.Insert
    delete_timer: sa.Delete


_PROCESS_COLUMNS = ("name", "version", "digest", "status", "launched_at", "updated_at", "finished_at",
                    "error_step", "error_message", "state")  # what process_values() sets besides the id


@cache
def _statements(dialect: str) -> _Statements:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    steps_insert = insert(steps)
    timer_insert = insert(timers)
    instance_insert = insert(instances)
    registration_insert = insert(participants)
    schedule_insert = insert(schedules)
    return _Statements(
        save_program=insert(programs).on_conflict_do_nothing(index_elements=[programs.c.digest]),
        upsert_steps=steps_insert.on_conflict_do_update(
            index_elements=[steps.c.process_id, steps.c.node],
            set_={name: steps_insert.excluded[name] for name in _STEP_COLUMNS}),
        upsert_timer=timer_insert.on_conflict_do_update(
            index_elements=[timers.c.process_id, timers.c.timer], set_={"due": timer_insert.excluded.due}),
        save_response=insert(requests).on_conflict_do_nothing(index_elements=[requests.c.request_id]),
        upsert_instance=instance_insert.on_conflict_do_update(
            index_elements=[instances.c.instance],
            set_={c.name: instance_insert.excluded[c.name] for c in instances.columns if not c.primary_key}),
        upsert_registration=registration_insert.on_conflict_do_update(
            index_elements=[participants.c.participant, participants.c.pool],
            set_={c.name: registration_insert.excluded[c.name] for c in participants.columns if not c.primary_key}),
        upsert_schedule=schedule_insert.on_conflict_do_update(  # never backwards: two launchers may race
            index_elements=[schedules.c.schedule],
            set_={c.name: schedule_insert.excluded[c.name] for c in schedules.columns if not c.primary_key},
            where=schedules.c.covered_until <= schedule_insert.excluded.covered_until),
        update_process=processes.update().where(processes.c.id == sa.bindparam("_id")).values(
            {c.name: sa.bindparam(c.name) for c in processes.columns if c.name in _PROCESS_COLUMNS}),
        delete_timer=timers.delete().where(timers.c.process_id == sa.bindparam("p"),
                                           timers.c.timer == sa.bindparam("t")),
    )  # fmt: skip


class Tx:
    """One open transaction; obtained from :meth:`Store.transaction`, valid only inside its ``with``."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        self._sql = _statements(self.dialect)
        self._journal = Journal(conn, self._sql.upsert_steps)

    # ---- programs ----------------------------------------------------------------------------------
    def save_program(self, digest: str, main: str, sources: dict[str, str]) -> None:
        """Store a program bundle unless its digest is known (a digest names its content: no update)."""
        self.conn.execute(self._sql.save_program, {"digest": digest, "main": main, "sources": dict(sources),
                                                   "created_at": datetime.now(UTC)})

    def load_program(self, digest: str) -> tuple[str, dict[str, str]]:
        """The bundle of a digest: (main definition name, {definition name: YAML text})."""
        return load_program(self.conn, digest)

    # ---- processes ---------------------------------------------------------------------------------
    def insert_process(self, state: ProcessState, program: str, request_id: str | None = None) -> None:
        """Store a new process, running the program of digest ``program`` (saved beforehand)."""
        self.conn.execute(processes.insert(), {**process_values(state), "program": program,
                                               "request_id": request_id})
        self._journal.new_process(state.id)

    def update_process(self, state: ProcessState) -> None:
        """Store a process's new state (and the columns derived from it).

        Raises:
            StoreError: no such process.
        """
        values = process_values(state)
        process_id = values.pop("id")
        result = self.conn.execute(processes.update().where(processes.c.id == process_id).values(values))
        if result.rowcount == 0:
            raise StoreError(f"cannot update process {process_id}: it is not in the store")

    def update_processes(self, states: Sequence[ProcessState]) -> None:
        """Store several processes' new states with one prepared statement (the engine's batches).

        Raises:
            StoreError: one of them is not in the store.
        """
        if not states:
            return
        rows = []
        for state in states:
            values = process_values(state)
            values["_id"] = values.pop("id")
            rows.append(values)
        result = self.conn.execute(self._sql.update_process, rows)
        if 0 <= result.rowcount < len(rows):
            raise StoreError(f"cannot update {len(rows) - result.rowcount} of {len(rows)} processes: not in the store")

    def load_process(self, process_id: str, *, lock: bool = False) -> tuple[ProcessState, str] | None:
        """A process's state and program digest, or None.

        Args:
            process_id: the process.
            lock: hold the row until the transaction ends (``SELECT ... FOR UPDATE`` on PostgreSQL), so
                that another engine cannot apply events to the same process meanwhile. SQLite needs no
                row lock: its write transactions are serialised as a whole.
        """
        query = sa.select(processes.c.state, processes.c.program).where(processes.c.id == process_id)
        if lock and self.dialect == "postgresql":
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        return None if row is None else (decode_state(process_id, row.state), str(row.program))

    # ---- history and steps -------------------------------------------------------------------------
    def append_records(self, process_id: str, records: Sequence[Record]) -> None:
        """Append records to a process's history (numbered 1, 2, 3... per process) and update its steps.

        The rows are written at the commit, with those of every other process of the transaction (see
        :mod:`engine.store.journal`); the reads this needs are at most one round trip per process.
        """
        self._journal.append(process_id, records)

    def flush(self) -> None:
        """Write the buffered history and steps now (:meth:`Store.transaction` does before committing)."""
        self._journal.flush()

    # ---- timers ------------------------------------------------------------------------------------
    def apply_timers(self, process_id: str, effects: Sequence[StartTimer | StopTimer]) -> None:
        """Start (or move: same id) and stop a process's timers; the last effect on an id wins."""
        final: dict[str, datetime | None] = {}
        for effect in effects:
            final[effect.timer] = effect.due if isinstance(effect, StartTimer) else None
        stopped = [(process_id, timer) for timer, due in final.items() if due is None]
        started = [{"process_id": process_id, "timer": timer, "due": due}
                   for timer, due in final.items() if due is not None]
        if stopped:
            self.delete_timers(stopped)
        if started:
            self.conn.execute(self._sql.upsert_timer, started)

    def claim_due_timers(self, now: datetime, limit: int = 500) -> list[DueTimer]:
        """Timers due at ``now``, oldest first, locked for this transaction.

        On PostgreSQL ``FOR UPDATE SKIP LOCKED``: a second engine claiming at the same time skips these
        rows instead of waiting for them, so each timer fires once. The rows stay until
        :meth:`delete_timers` (in the same transaction, once the timers have been applied).
        """
        query = (sa.select(timers.c.process_id, timers.c.timer, timers.c.due).where(timers.c.due <= now)
                 .order_by(timers.c.due, timers.c.process_id, timers.c.timer).limit(limit))
        if self.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return [DueTimer(process_id=r.process_id, timer=r.timer, due=r.due) for r in self.conn.execute(query)]

    def delete_timers(self, keys: Sequence[tuple[str, str]]) -> None:
        """Forget timers by (process id, timer id); unknown ones are ignored."""
        if keys:
            self.conn.execute(self._sql.delete_timer, [{"p": p, "t": t} for p, t in keys])

    # ---- outbox ------------------------------------------------------------------------------------
    def add_outbox(self, messages: Sequence[Outgoing]) -> list[OutboxRow]:
        """Queue messages to publish once this transaction has committed; the rows, with their ids, in order.

        The engine that wrote the rows publishes them itself right after the commit (it needs the ids to
        match the broker's confirms); :meth:`Store.pending_outbox` finds the rows nobody confirmed.
        """
        if not messages:
            return []
        now = datetime.now(UTC)
        values = [{"exchange": m.exchange, "routing_key": m.routing_key, "body": m.body, "headers": m.headers,
                   "message_id": m.message_id, "content_type": m.content_type, "created_at": now}
                  for m in messages]
        ids = self.conn.execute(outbox.insert().returning(outbox.c.id, sort_by_parameter_order=True),
                                values).scalars().all()
        return [OutboxRow(id=int(i), exchange=m.exchange, routing_key=m.routing_key, body=m.body,
                          headers=dict(m.headers), message_id=m.message_id, content_type=m.content_type)
                for i, m in zip(ids, messages, strict=True)]

    def delete_outbox(self, ids: Sequence[int]) -> None:
        """Forget outbox messages the broker confirmed."""
        for chunk in _chunks(list(ids)):
            self.conn.execute(outbox.delete().where(outbox.c.id.in_(chunk)))

    # ---- requests ----------------------------------------------------------------------------------
    def find_response(self, request_id: str) -> str | None:
        """The answer already given to a request (a redelivered launch or command), if any."""
        query = sa.select(requests.c.response).where(requests.c.request_id == request_id)
        response = self.conn.execute(query).scalar()
        return None if response is None else str(response)

    def save_response(self, request_id: str, response: str) -> None:
        """Remember the answer to a request; the first answer saved wins."""
        self.conn.execute(self._sql.save_response, {"request_id": request_id, "response": response,
                                                    "created_at": datetime.now(UTC)})

    # ---- participant instances ---------------------------------------------------------------------
    def upsert_instance(self, row: InstanceRow) -> None:
        """Record an instance's registration or heartbeat (keyed by instance id)."""
        self.conn.execute(self._sql.upsert_instance, instance_values(row))

    def remove_instance(self, instance: str) -> None:
        """Forget an instance (it said goodbye)."""
        self.conn.execute(instances.delete().where(instances.c.instance == instance))

    def remove_participant(self, participant: str) -> None:
        """Forget every instance of a participant."""
        self.conn.execute(instances.delete().where(instances.c.participant == participant))

    def upsert_registration(self, row: RegistrationRow) -> None:
        """Record that a participant is installed in a pool (keyed by participant and pool)."""
        self.conn.execute(self._sql.upsert_registration, asdict(row))

    def remove_registration(self, participant: str, pool: str) -> int:
        """Forget a participant's registration in a pool and that pool's instances of it; rows removed."""
        in_pool = instances.c.pool == pool if pool else instances.c.pool.is_(None)
        gone = self.conn.execute(instances.delete().where(instances.c.participant == participant, in_pool))
        removed = self.conn.execute(participants.delete().where(participants.c.participant == participant,
                                                                participants.c.pool == pool))
        return int(gone.rowcount or 0) + int(removed.rowcount or 0)

    # ---- calendar schedules ------------------------------------------------------------------------
    def save_schedule(self, row: ScheduleRow) -> None:
        """Record a schedule's progress (keyed by schedule name); a row that would move it backwards is ignored."""
        self.conn.execute(self._sql.upsert_schedule, asdict(row))
