"""Store URLs and database engines: which backend, how it is tuned, and how its failures read.

Two backends. SQLite is the embedded default: one file, WAL so that CLI readers never block the engine,
and ``BEGIN IMMEDIATE`` for write transactions so that a second writer waits (``busy_timeout``) instead of
failing half-way. PostgreSQL serves several engine processes; it always goes through psycopg 3.

Every failure leaves this package as a one-line :class:`~engine.errors.StoreError` naming the URL with
its password masked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic_core import to_jsonable_python
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from engine.errors import StoreError
from engine.urls import mask_url

WRITE = "boss_write"
"""Execution option of connections that will write: SQLite begins them with ``BEGIN IMMEDIATE``."""

_POSTGRES_DRIVERS = {"postgres", "postgresql", "postgres+psycopg", "postgresql+psycopg"}
_SQLITE_DRIVERS = {"sqlite", "sqlite+pysqlite"}
_EXPECTED = "expected sqlite:///PATH or postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE (set BOSS_STORE_URL)"
_MAX_REASON = 300
_DRIVER_HINTS = ("Is the server running",)  # libpq's advice: ours follows, worded for boss


mask = mask_url
"""The URL with any password replaced by ``***`` (see :func:`engine.urls.mask_url`)."""


def parse(url: str) -> URL:
    """The SQLAlchemy URL of a store URL (``postgres://`` and ``postgresql://`` mean psycopg 3).

    Raises:
        StoreError: the URL does not parse, or names a database boss does not support.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise StoreError(f"bad store URL {mask(url)!r}: {_EXPECTED}") from exc
    if parsed.drivername in _POSTGRES_DRIVERS:
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername in _SQLITE_DRIVERS:
        return parsed.set(drivername="sqlite")
    raise StoreError(f"unsupported store URL {mask(url)!r} ({parsed.drivername}): {_EXPECTED}")


def create(url: str) -> Engine:
    """A tuned engine for a store URL; nothing is connected yet.

    Raises:
        StoreError: bad URL, or the directory of a SQLite file cannot be created.
    """
    parsed = parse(url)
    if parsed.drivername == "sqlite":
        return _sqlite(url, parsed)
    connect_args: dict[str, Any] = {"application_name": "boss"}
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = 10  # an unreachable host fails in seconds, not minutes
    return sa.create_engine(parsed, pool_pre_ping=True, connect_args=connect_args, json_serializer=dumps)


def _sqlite(url: str, parsed: URL) -> Engine:
    database = parsed.database or ":memory:"
    if database == ":memory:":  # one shared connection, or every checkout would see an empty database
        engine = sa.create_engine(parsed.set(database=":memory:"), poolclass=StaticPool,
                                  connect_args={"check_same_thread": False}, json_serializer=dumps)
    else:
        folder = Path(database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create {folder} for the store {mask(url)}: {exc.strerror} "
                             "(choose another path with BOSS_STORE_URL)") from exc
        engine = sa.create_engine(parsed.set(database=str(Path(database).expanduser())),
                                  connect_args={"check_same_thread": False}, json_serializer=dumps)
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """Tune each new SQLite connection; transactions are then begun by :func:`_sqlite_begin` only.

    pysqlite's own transaction handling does not begin before DDL and cannot ask for IMMEDIATE, so it
    is switched off (``isolation_level = None``) as the SQLAlchemy documentation recommends.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in ("busy_timeout=5000", "journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


def _sqlite_begin(connection: sa.Connection) -> None:
    """Writers take the write lock up front: a deferred one could fail on upgrade, past busy_timeout."""
    immediate = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def dumps(value: Any) -> str:
    """JSON for document columns; datetimes, enums and models become their JSON form."""
    return json.dumps(value, default=to_jsonable_python, separators=(",", ":"), ensure_ascii=False)


def reason(exc: BaseException, url: str) -> str:
    """The database's own words for a failure, on one line, without the URL's password."""
    cause = getattr(exc, "orig", None) or exc
    lines = [" ".join(line.split()) for line in str(cause).splitlines()]
    lines = [line for line in lines if line and not line.startswith(_DRIVER_HINTS)]
    text = "; ".join(lines) or type(cause).__name__
    text = text.removeprefix("connection failed: ")
    password = _password(url)
    if password and len(password) >= 4:  # databases do not echo passwords; this is belt and braces
        text = text.replace(password, "***")
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 3] + "..."


def _password(url: str) -> str | None:
    try:
        return make_url(url).password
    except (ArgumentError, ValueError):
        return None


def open_failure(exc: SQLAlchemyError, url: str, dialect: str) -> StoreError:
    """The error for a store that cannot be opened, with a hint at the usual fix."""
    why = reason(exc, url)
    if dialect == "sqlite":
        hint = "check the file and its permissions, or set BOSS_STORE_URL"
    elif "password" in why or "authentication" in why:
        hint = "check the user and password in BOSS_STORE_URL"
    elif "does not exist" in why:
        hint = "create it, or fix BOSS_STORE_URL"
    else:
        hint = "is PostgreSQL running? set BOSS_STORE_URL"
    return StoreError(f"cannot open store {mask(url)}: {why} ({hint})")


def failure(exc: SQLAlchemyError, url: str) -> StoreError:
    """The error for a read or a transaction that failed on an open store."""
    return StoreError(f"store {mask(url)} failed: {reason(exc, url)}")
