"""The store: :func:`open_store`, write transactions, and the reads of the CLI and the engine.

Only the engine daemon writes, always inside :meth:`Store.transaction`. Every read method runs in its own
short transaction, so a CLI command never holds locks (on SQLite in WAL mode readers and the writer do not
block each other at all).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from engine.store import connect, migrations
from engine.store.columns import history_row, instance_row, outbox_row, process_row, registration_row, step_row
from engine.store.rows import HistoryRow, InstanceRow, OutboxRow, ProcessRow, RegistrationRow, ScheduleRow, StepRow
from engine.store.schema import history, instances, outbox, participants, processes, schedules, steps, timers
from engine.store.tx import Tx, load_program

MAX_PREFIX_MATCHES = 10


def open_store(url: str) -> Store:
    """Open the store at ``url``, creating its tables or migrating them to this version of boss.

    ``sqlite:///PATH`` creates the file's directory; ``postgresql://`` and ``postgres://`` use psycopg 3.

    Raises:
        StoreError: bad URL, database unreachable, or its schema is newer than this boss.
    """
    engine = connect.create(url)
    try:
        migrations.migrate(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise connect.open_failure(exc, url, engine.dialect.name) from exc
    except BaseException:
        engine.dispose()
        raise
    return Store(url, engine)


class Store:
    """The durable state of the engine; safe to share between threads (connections are pooled)."""

    def __init__(self, url: str, engine: Engine) -> None:
        self.url = url
        self.engine = engine  # for tools and tests; callers use the methods
        self.dialect = engine.dialect.name

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({connect.mask(self.url)!r})"

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One database transaction: committed when the block ends, rolled back if it raises.

        Database failures (including at commit) become a one-line :class:`StoreError`; other exceptions
        from the block pass through unchanged after the rollback.
        """
        try:
            with self.engine.connect() as conn:
                conn.execution_options(**{connect.WRITE: True})
                with conn.begin():
                    tx = Tx(conn)
                    yield tx
                    tx.flush()
        except SQLAlchemyError as exc:
            raise connect.failure(exc, self.url) from exc

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A short read-only transaction (rolled back: nothing to commit)."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise connect.failure(exc, self.url) from exc

    # ---- processes ---------------------------------------------------------------------------------
    def get_process(self, process_id: str) -> ProcessRow | None:
        """A process by its full id, or None."""
        with self._reading() as conn:
            row = conn.execute(sa.select(processes).where(processes.c.id == process_id)).mappings().first()
        return None if row is None else process_row(row)

    def resolve_id(self, prefix: str) -> list[str]:
        """Up to 10 process ids starting with ``prefix`` (the CLI accepts unique short ids), sorted."""
        if not prefix:
            return []
        query = (sa.select(processes.c.id).where(processes.c.id.startswith(prefix, autoescape=True))
                 .order_by(processes.c.id).limit(MAX_PREFIX_MATCHES))
        with self._reading() as conn:
            return [str(i) for i in conn.execute(query).scalars()]

    def list_processes(self, *, statuses: Sequence[str] = (), name: str | None = None, limit: int = 50,
                       offset: int = 0) -> list[ProcessRow]:
        """Processes, newest launched first, optionally only some statuses and one definition name."""
        query = _filtered(sa.select(processes), statuses, name)
        query = query.order_by(processes.c.launched_at.desc(), processes.c.id.desc()).limit(limit).offset(offset)
        with self._reading() as conn:
            return [process_row(row) for row in conn.execute(query).mappings()]

    def count_processes(self, *, statuses: Sequence[str] = (), name: str | None = None) -> int:
        """How many processes :meth:`list_processes` would list without a limit."""
        query = _filtered(sa.select(sa.func.count()).select_from(processes), statuses, name)
        with self._reading() as conn:
            return int(conn.execute(query).scalar_one())

    def errors(self) -> list[ProcessRow]:
        """Processes waiting in error, the most recently updated (i.e. failed) first."""
        query = (sa.select(processes).where(processes.c.status == "error")
                 .order_by(processes.c.updated_at.desc(), processes.c.id.desc()))
        with self._reading() as conn:
            return [process_row(row) for row in conn.execute(query).mappings()]

    # ---- history and steps -------------------------------------------------------------------------
    def history(self, process_id: str, after_seq: int = 0, limit: int | None = None) -> list[HistoryRow]:
        """A process's records after number ``after_seq``, in order (``--follow`` polls with the last seen)."""
        query = (sa.select(history).where(history.c.process_id == process_id, history.c.seq > after_seq)
                 .order_by(history.c.seq).limit(limit))
        with self._reading() as conn:
            return [history_row(row) for row in conn.execute(query).mappings()]

    def steps(self, process_id: str) -> list[StepRow]:
        """A process's steps, in the order they first appeared in its history."""
        query = sa.select(steps).where(steps.c.process_id == process_id).order_by(steps.c.position)
        with self._reading() as conn:
            return [step_row(row) for row in conn.execute(query).mappings()]

    # ---- engine plumbing ---------------------------------------------------------------------------
    def pending_outbox(self, limit: int = 1000, before: datetime | None = None) -> list[OutboxRow]:
        """Messages not yet confirmed by the broker, oldest first; only those written ``before``, if given."""
        query = sa.select(outbox).order_by(outbox.c.id).limit(limit)
        if before is not None:
            query = query.where(outbox.c.created_at < before)
        with self._reading() as conn:
            return [outbox_row(row) for row in conn.execute(query).mappings()]

    def next_timer_due(self) -> datetime | None:
        """When the earliest timer is due, or None when no timer is set."""
        with self._reading() as conn:
            due: datetime | None = conn.execute(sa.select(sa.func.min(timers.c.due))).scalar()
        return due

    def instances(self) -> list[InstanceRow]:
        """Participant instances seen, by participant, then host, then instance id."""
        query = sa.select(instances).order_by(instances.c.participant, instances.c.host, instances.c.instance)
        with self._reading() as conn:
            return [instance_row(row) for row in conn.execute(query).mappings()]

    def registrations(self) -> list[RegistrationRow]:
        """Participants registered, by participant, then pool."""
        query = sa.select(participants).order_by(participants.c.participant, participants.c.pool)
        with self._reading() as conn:
            return [registration_row(row) for row in conn.execute(query).mappings()]

    def schedules(self) -> list[ScheduleRow]:
        """The calendar launcher's progress, by schedule name."""
        query = sa.select(schedules).order_by(schedules.c.schedule)
        with self._reading() as conn:
            return [ScheduleRow(**row) for row in conn.execute(query).mappings()]

    def load_program(self, digest: str) -> tuple[str, dict[str, str]]:
        """A stored program bundle: (main definition name, {definition name: YAML text}).

        Raises:
            StoreError: no program has that digest.
        """
        with self._reading() as conn:
            return load_program(conn, digest)


def _filtered(query: sa.Select[Any], statuses: Sequence[str], name: str | None) -> sa.Select[Any]:
    if statuses:
        query = query.where(processes.c.status.in_(list(statuses)))
    if name is not None:
        query = query.where(processes.c.name == name)
    return query
