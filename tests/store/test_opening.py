"""Opening the store: URLs, migrations, the schema version guard, and the wording of failures."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.errors import StoreError
from engine.store import Store, default_store_url, mask, open_store
from engine.store.migrations import LATEST, MIGRATIONS, current_version, migrate
from engine.store.schema import schema_version
from tests.store.conftest import add_process, make_state

pytestmark = pytest.mark.integration

TABLES = {"boss_schema", "boss_programs", "boss_processes", "boss_history", "boss_steps", "boss_timers",
          "boss_outbox", "boss_requests", "boss_instances"}


def test_a_new_store_has_every_table_at_the_latest_schema_version(store: Store) -> None:
    assert set(sa.inspect(store.engine).get_table_names()) >= TABLES
    with store.engine.connect() as conn:
        assert current_version(conn) == LATEST
    assert store.dialect in ("sqlite", "postgresql")


def test_opening_a_store_twice_migrates_nothing_and_keeps_the_data(store_url: str) -> None:
    with open_store(store_url) as first:
        add_process(first, make_state("p1"))
        with first.engine.connect() as conn:
            stamp = conn.execute(sa.select(schema_version)).one()
    with open_store(store_url) as second:
        assert second.get_process("p1") is not None
        with second.engine.connect() as conn:
            assert conn.execute(sa.select(schema_version)).one() == stamp
        assert migrate(second.engine) == LATEST


def test_pending_migrations_are_applied_in_order_once(store: Store) -> None:
    applied: list[int] = []

    def second(conn: sa.Connection) -> None:
        applied.append(LATEST + 1)
        conn.execute(sa.text("CREATE TABLE boss_extra (id INTEGER PRIMARY KEY)"))

    def third(conn: sa.Connection) -> None:
        applied.append(LATEST + 2)

    steps = (*MIGRATIONS, second, third)
    assert migrate(store.engine, steps) == LATEST + 2
    assert migrate(store.engine, steps) == LATEST + 2
    assert applied == [LATEST + 1, LATEST + 2]
    assert "boss_extra" in sa.inspect(store.engine).get_table_names()


def test_a_version_1_database_gains_the_participant_registry_when_opened(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    assert migrate(engine, MIGRATIONS[:1]) == 1
    assert "boss_participants" not in sa.inspect(engine).get_table_names()
    engine.dispose()

    with open_store(url) as store:
        assert store.registrations() == []
        assert "boss_participants" in sa.inspect(store.engine).get_table_names()


def test_a_failing_migration_leaves_the_schema_version_as_it_was(store: Store) -> None:
    def broken(conn: sa.Connection) -> None:
        conn.execute(sa.text("CREATE TABLE boss_half (id INTEGER PRIMARY KEY)"))
        raise RuntimeError("migration bug")

    with pytest.raises(RuntimeError):
        migrate(store.engine, (*MIGRATIONS, broken))
    with store.engine.connect() as conn:
        assert current_version(conn) == LATEST
    assert "boss_half" not in sa.inspect(store.engine).get_table_names()


def test_a_database_newer_than_this_boss_is_refused(store_url: str) -> None:
    with open_store(store_url) as store, store.engine.begin() as conn:
        conn.execute(schema_version.update().values(version=LATEST + 4))
    with pytest.raises(StoreError) as caught:
        open_store(store_url)
    assert str(caught.value) == f"schema version {LATEST + 4} is newer than this boss ({LATEST}): upgrade boss"


def test_the_postgresql_store_lives_in_the_schema_its_url_names(pg_store: Store) -> None:
    with pg_store.engine.connect() as conn:
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
        public = sa.inspect(conn).get_table_names(schema="public")
    assert schema.startswith("boss_t_")
    assert set(sa.inspect(pg_store.engine).get_table_names(schema=schema)) >= TABLES
    assert not TABLES & set(public)


def test_the_sqlite_store_uses_wal_and_foreign_keys_and_creates_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "boss.db"
    with open_store(f"sqlite:///{path}") as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    assert path.is_file()


def test_postgres_urls_of_every_spelling_use_psycopg(pg_url: str) -> None:
    for url in (pg_url, pg_url.replace("postgresql://", "postgres://", 1),
                pg_url.replace("postgresql://", "postgresql+psycopg://", 1)):
        with open_store(url) as store:
            assert store.engine.dialect.driver == "psycopg"
            assert store.dialect == "postgresql"
            assert store.url == url


def test_an_unreachable_postgresql_gives_one_line_with_the_password_masked() -> None:
    url = "postgresql://boss:s3cret@127.0.0.1:1/boss"
    with pytest.raises(StoreError) as caught:
        open_store(url)
    message = str(caught.value)
    assert "\n" not in message and "s3cret" not in message
    assert message.startswith("cannot open store postgresql://boss:***@127.0.0.1:1/boss: ")
    assert "refused" in message and message.endswith("(is PostgreSQL running? set BOSS_STORE_URL)")


def test_a_wrong_password_is_reported_without_the_password(postgres: object) -> None:
    url = "postgresql://nobody:hunter2@127.0.0.1:5432/test"
    with pytest.raises(StoreError) as caught:
        open_store(url)
    message = str(caught.value)
    assert "hunter2" not in message and "\n" not in message
    assert message.startswith("cannot open store postgresql://nobody:***@127.0.0.1:5432/test: ")


@pytest.mark.parametrize("url", ["no scheme at all", "mysql://root:pw@db/boss", "postgresql+psycopg2://u:pw@h/d",
                                 "postgresql://u:pw@h:notaport/d"])
def test_a_bad_or_unsupported_url_gives_one_line_with_the_password_masked(url: str) -> None:
    with pytest.raises(StoreError) as caught:
        open_store(url)
    message = str(caught.value)
    assert "\n" not in message and "pw" not in message.replace("PASSWORD", "")
    assert "sqlite:///PATH or postgresql://" in message and "BOSS_STORE_URL" in message


def test_an_unwritable_sqlite_directory_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match=r"^cannot create .*file/sub for the store sqlite:///"):
        open_store(f"sqlite:///{blocker / 'sub' / 'boss.db'}")


def test_mask_hides_passwords_in_credentials_and_query_and_leaves_the_rest() -> None:
    assert mask("postgresql://u:p@ss@db:5432/boss") == "postgresql://u:***@db:5432/boss"
    assert mask("postgresql://db/boss?user=u&password=x&sslmode=require") == \
        "postgresql://db/boss?user=u&password=***&sslmode=require"
    assert mask("postgresql://u@db/boss") == "postgresql://u@db/boss"
    assert mask("sqlite:////var/lib/boss.db") == "sqlite:////var/lib/boss.db"


def test_the_default_store_is_a_sqlite_file_in_the_users_data_directory(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_store_url() == f"sqlite:///{tmp_path / 'xdg' / 'boss' / 'boss.db'}"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_store_url() == f"sqlite:///{tmp_path / 'home' / '.local' / 'share' / 'boss' / 'boss.db'}"



def test_a_sqlite_write_transaction_takes_the_write_lock_as_it_begins(tmp_path: Path) -> None:
    path = tmp_path / "boss.db"
    with open_store(f"sqlite:///{path}") as store, store.transaction():
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("SELECT count(*) FROM boss_processes").fetchone()  # readers are never blocked
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()
