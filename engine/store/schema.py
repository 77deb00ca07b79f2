"""The store's tables, as SQLAlchemy Core metadata (the shape of the latest schema version).

Every table is prefixed ``boss_`` so that the store can share a database with other applications. Times
are timezone-aware UTC on both backends (:class:`UtcDateTime`); documents are JSON; the process state is
the interpreter's own JSON text, kept opaque so that the interpreter owns its format.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A ``DateTime(timezone=True)`` that always gives back aware UTC datetimes.

    SQLite has no time zone type: SQLAlchemy writes the wall time and reads back a naive value, so the
    value is converted to UTC on the way in and tagged UTC on the way out. That also keeps the text
    sortable, which the ``due <= now`` and ``ORDER BY`` queries rely on. PostgreSQL returns the session's
    zone, converted to UTC here. Naive input is taken as UTC (participants may send naive timestamps).
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return aware.replace(tzinfo=None) if dialect.name == "sqlite" else aware

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json() -> sa.JSON:
    """A JSON column where Python ``None`` is SQL NULL."""
    return sa.JSON(none_as_null=True)


def _id() -> sa.BigInteger:
    """An autoincrement key: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite."""
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


metadata = sa.MetaData()

schema_version = sa.Table(
    "boss_schema", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # always 1: a single row
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("migrated_at", UtcDateTime, nullable=False),
)  # fmt: skip

programs = sa.Table(
    "boss_programs", metadata,
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("main", sa.String(200), nullable=False),
    sa.Column("sources", _json(), nullable=False),  # {definition name: YAML text}
    sa.Column("created_at", UtcDateTime, nullable=False),
)  # fmt: skip

processes = sa.Table(
    "boss_processes", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, index=True),
    sa.Column("version", sa.Integer),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("program", sa.String(64), sa.ForeignKey("boss_programs.digest"), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("launched_at", UtcDateTime, nullable=False, index=True),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime),
    sa.Column("error_step", sa.Text),
    sa.Column("error_message", sa.Text),
    sa.Column("request_id", sa.String(200)),
    sa.Column("state", sa.Text, nullable=False),
)  # fmt: skip



def _process_fk() -> sa.ForeignKey:
    """A reference to the owning process (a ForeignKey object belongs to one column: one per use)."""
    return sa.ForeignKey("boss_processes.id", ondelete="CASCADE")

history = sa.Table(
    "boss_history", metadata,
    sa.Column("process_id", sa.String(64), _process_fk(), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("node", sa.String(64)),
    sa.Column("step", sa.Text),
    sa.Column("path", sa.Text),
    sa.Column("data", _json(), nullable=False),
)  # fmt: skip

steps = sa.Table(
    "boss_steps", metadata,
    sa.Column("process_id", sa.String(64), _process_fk(), primary_key=True),
    sa.Column("node", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),  # seq of the first record: order of appearance
    sa.Column("path", sa.Text),
    sa.Column("step", sa.Text),
    sa.Column("kind", sa.String(64)),
    sa.Column("participant", sa.String(200)),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("started_at", UtcDateTime),
    sa.Column("ended_at", UtcDateTime),
    sa.Column("instance", sa.String(200)),
    sa.Column("workitem", sa.String(200)),
    sa.Column("progress", _json(), nullable=False),
    sa.Column("result", _json()),
    sa.Column("error", _json()),
    sa.Column("detail", _json(), nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)  # fmt: skip

timers = sa.Table(
    "boss_timers", metadata,
    sa.Column("process_id", sa.String(64), _process_fk(), primary_key=True),
    sa.Column("timer", sa.String(64), primary_key=True),
    sa.Column("due", UtcDateTime, nullable=False, index=True),
)  # fmt: skip

outbox = sa.Table(
    "boss_outbox", metadata,
    sa.Column("id", _id(), primary_key=True, autoincrement=True),
    sa.Column("exchange", sa.String(255), nullable=False),
    sa.Column("routing_key", sa.String(255), nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("headers", _json(), nullable=False),
    sa.Column("message_id", sa.String(255)),
    sa.Column("content_type", sa.String(100), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sqlite_autoincrement=True,  # never reuse an id: the daemon tracks confirmations by id
)  # fmt: skip

requests = sa.Table(
    "boss_requests", metadata,
    sa.Column("request_id", sa.String(200), primary_key=True),
    sa.Column("response", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False, index=True),
)  # fmt: skip

instances = sa.Table(
    "boss_instances", metadata,
    sa.Column("instance", sa.String(200), primary_key=True),
    sa.Column("participant", sa.String(200), nullable=False, index=True),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pool", sa.String(200)),
    sa.Column("pid", sa.Integer),
    sa.Column("version", sa.String(100)),
    sa.Column("description", sa.Text),
    sa.Column("queue", sa.String(255), nullable=False),
    sa.Column("params_schema", _json()),
    sa.Column("config_keys", _json(), nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("last_seen", UtcDateTime, nullable=False),
    sa.Column("current", _json()),
    sa.Column("handled", sa.Integer, nullable=False),
)  # fmt: skip

participants = sa.Table(
    "boss_participants", metadata,
    sa.Column("participant", sa.String(200), primary_key=True),
    sa.Column("pool", sa.String(200), primary_key=True),  # "" when registered from outside a pool
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("queue", sa.String(255), nullable=False),
    sa.Column("version", sa.String(100)),
    sa.Column("description", sa.Text),
    sa.Column("params_schema", _json()),
    sa.Column("config_keys", _json(), nullable=False),
    sa.Column("registered_at", UtcDateTime, nullable=False),
    sa.Column("registered_by", sa.String(200)),
)  # fmt: skip

schedules = sa.Table(
    "boss_schedules", metadata,
    sa.Column("schedule", sa.String(200), primary_key=True),
    sa.Column("covered_until", UtcDateTime, nullable=False),  # every occurrence up to here is handled
    sa.Column("last_occurrence", UtcDateTime),
    sa.Column("last_process", sa.String(64)),
    sa.Column("last_error", sa.Text),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)  # fmt: skip

VERSION_1_TABLES = (programs, processes, history, steps, timers, outbox, requests, instances)
"""The tables migration 1 creates (see :mod:`engine.store.migrations`)."""

VERSION_2_TABLES = (participants,)
"""The tables migration 2 adds: the participant registry (what is installed where, with its params schema)."""

VERSION_3_TABLES = (schedules,)
"""The tables migration 3 adds: the calendar launcher's progress per schedule (see :mod:`launchers.calendar`)."""
