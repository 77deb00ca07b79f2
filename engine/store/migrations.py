"""Schema migrations: an ordered list of functions, the version reached recorded in ``boss_schema``.

Why not Alembic: the store is a handful of tables, the default database is an embedded SQLite file that
every ``boss`` command opens, and there are no migration scripts, configuration or command to ship and run
by hand. A list of Python functions applied in order at :func:`~engine.store.open_store` does the job,
with the same code on both backends.

Rules for adding a migration: append a function (never edit or reorder the released ones), make the
change in :mod:`engine.store.schema` too, and freeze what an older migration needs from the schema inside
it (``_v1`` may use ``schema`` as is only while version 1 is the latest shape of its tables).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from engine.errors import StoreError
from engine.store import schema
from engine.store.connect import WRITE

Migration = Callable[[Connection], None]

_LOCK_KEY = 0x626F7373  # "boss": PostgreSQL advisory lock serialising engines that migrate at once


def _v1(conn: Connection) -> None:
    """The first schema: programs, processes, history, steps, timers, outbox, requests, instances."""
    schema.metadata.create_all(conn, tables=list(schema.VERSION_1_TABLES))


def _v2(conn: Connection) -> None:
    """The participant registry: registrations by pool, kept when no instance runs."""
    schema.metadata.create_all(conn, tables=list(schema.VERSION_2_TABLES))


def _v3(conn: Connection) -> None:
    """The calendar launcher's schedules: the occurrences handled so far, so each fires once across restarts."""
    schema.metadata.create_all(conn, tables=list(schema.VERSION_3_TABLES))


MIGRATIONS: tuple[Migration, ...] = (_v1, _v2, _v3)
LATEST = len(MIGRATIONS)


def current_version(conn: Connection) -> int:
    """The schema version of the database (0: a fresh database)."""
    if not sa.inspect(conn).has_table(schema.schema_version.name):
        return 0
    version = conn.execute(sa.select(schema.schema_version.c.version)).scalar()
    return int(version or 0)


def migrate(engine: Engine, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the database up to the latest version; a no-op (one read) when it is there already.

    Each run of pending migrations is one transaction (PostgreSQL and, as connections are set up here,
    SQLite both have transactional DDL), taken under a lock so that engines starting together do not
    migrate twice: ``pg_advisory_xact_lock`` on PostgreSQL, the ``BEGIN IMMEDIATE`` write lock on SQLite.

    Returns:
        The version the database is at.

    Raises:
        StoreError: the database is newer than this code.
        sqlalchemy.exc.SQLAlchemyError: the database cannot be reached or changed (the caller words it).
    """
    latest = len(migrations)
    with engine.connect() as conn, conn.begin():
        version = _checked(current_version(conn), latest)
    if version == latest:
        return version
    with engine.connect() as conn:
        conn.execution_options(**{WRITE: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_KEY)))
            schema.schema_version.create(conn, checkfirst=True)
            version = _checked(current_version(conn), latest)
            for migration in migrations[version:]:
                migration(conn)
            _record(conn, version, latest)
    return latest


def _checked(version: int, latest: int) -> int:
    if version > latest:
        raise StoreError(f"schema version {version} is newer than this boss ({latest}): upgrade boss")
    return version


def _record(conn: Connection, before: int, after: int) -> None:
    table = schema.schema_version
    now = datetime.now(UTC)
    if before == 0:
        conn.execute(table.insert().values(id=1, version=after, migrated_at=now))
    elif after != before:
        conn.execute(table.update().where(table.c.id == 1).values(version=after, migrated_at=now))
