"""The schedules' progress in the store (migration 3), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.store import Store, open_store
from engine.store.migrations import MIGRATIONS, migrate
from launchers.calendar.state import load_progress, record_covered, record_launch

pytestmark = pytest.mark.integration

T = datetime(2026, 12, 11, 7, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'boss.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    opened = open_store(url)
    yield opened
    opened.close()


def test_a_launch_is_recorded_and_read_back_by_schedule_name(any_store: Store) -> None:
    record_launch(any_store, "monthly", T, "p-1", None)
    record_launch(any_store, "weekly", T - timedelta(days=3), None, "no process definition 'weekly'")

    progress = load_progress(any_store)

    assert (progress["monthly"].covered_until, progress["monthly"].last_process) == (T, "p-1")
    assert progress["weekly"].last_error == "no process definition 'weekly'"


def test_progress_never_moves_backwards(any_store: Store) -> None:
    record_launch(any_store, "monthly", T, "p-2", None)
    record_launch(any_store, "monthly", T - timedelta(days=28), "p-1", None)  # a launcher that lags behind
    record_covered(any_store, None, "monthly", T - timedelta(days=1))

    row = load_progress(any_store)["monthly"]

    assert (row.covered_until, row.last_occurrence, row.last_process) == (T, T, "p-2")


def test_covering_skipped_occurrences_keeps_the_last_launch(any_store: Store) -> None:
    previous = record_launch(any_store, "monthly", T, "p-2", None)
    record_covered(any_store, previous, "monthly", T + timedelta(days=90))

    row = load_progress(any_store)["monthly"]

    assert (row.covered_until, row.last_occurrence, row.last_process) == (T + timedelta(days=90), T, "p-2")


def test_a_version_2_database_gains_the_schedules_table_when_opened(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    assert migrate(engine, MIGRATIONS[:2]) == 2
    assert "boss_schedules" not in sa.inspect(engine).get_table_names()
    engine.dispose()

    with open_store(url) as store:
        assert store.schedules() == []
        assert "boss_schedules" in sa.inspect(store.engine).get_table_names()
