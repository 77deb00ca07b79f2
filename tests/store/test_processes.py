"""Processes: the state round trip, derived columns, listing, prefixes, locks and rollback."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
import sqlalchemy as sa

from engine.errors import StoreError
from engine.interpreter.state import ProcessStatus
from engine.store import Store
from tests.store.conftest import T0, add_process, failed, make_state

pytestmark = pytest.mark.integration


def test_a_process_round_trips_through_insert_update_and_load(store: Store) -> None:
    state = make_state("p1")
    with store.transaction() as tx:
        tx.save_program("prog1", "release", {"release": "name: release\n"})
        tx.insert_process(state, "prog1", request_id="req-1")
    with store.transaction() as tx:
        loaded = tx.load_process("p1", lock=True)
        assert loaded == (state, "prog1")
        later = state.model_copy(update={"fields": {"version": "2026.2"}, "updated_at": T0 + timedelta(minutes=5)})
        tx.update_process(later)
    row = store.get_process("p1")
    assert row is not None
    assert (row.id, row.name, row.version, row.digest, row.program, row.request_id) == \
        ("p1", "release", 3, "d-release", "prog1", "req-1")
    assert (row.status, row.launched_at, row.updated_at, row.finished_at) == \
        ("running", T0, T0 + timedelta(minutes=5), None)
    assert row.state.fields == {"version": "2026.2"}
    assert row.launched_at.tzinfo is UTC


def test_the_error_columns_follow_the_first_failed_node_and_clear_when_it_recovers(store: Store) -> None:
    state = make_state("p1")
    add_process(store, state)
    with store.transaction() as tx:
        tx.update_process(failed(state, "deploy", "host unreachable"))
    row = store.get_process("p1")
    assert row is not None
    assert (row.status, row.error_step, row.error_message) == ("error", "deploy", "host unreachable")
    assert [r.id for r in store.errors()] == ["p1"]
    done = state.model_copy(update={"status": ProcessStatus.DONE, "finished_at": T0 + timedelta(hours=1)})
    with store.transaction() as tx:
        tx.update_process(done)
    row = store.get_process("p1")
    assert row is not None
    assert (row.status, row.error_step, row.error_message, row.finished_at) == \
        ("done", None, None, T0 + timedelta(hours=1))
    assert store.errors() == []


def test_unknown_processes_are_none_and_cannot_be_updated(store: Store) -> None:
    assert store.get_process("nope") is None
    with store.transaction() as tx:
        assert tx.load_process("nope") is None
    with pytest.raises(StoreError, match="cannot update process nope: it is not in the store"), \
            store.transaction() as tx:
        tx.update_process(make_state("nope"))


def test_several_processes_are_updated_at_once_and_an_unknown_one_is_refused(store: Store) -> None:
    add_process(store, make_state("p1"))
    add_process(store, make_state("p2"))
    one = make_state("p1").model_copy(update={"status": ProcessStatus.DONE, "finished_at": T0 + timedelta(hours=1)})
    two = failed(make_state("p2"), "build", "red")

    with store.transaction() as tx:
        tx.update_processes([one, two])
        tx.update_processes([])

    first, second = store.get_process("p1"), store.get_process("p2")
    assert first is not None and (first.status, first.finished_at) == ("done", T0 + timedelta(hours=1))
    assert second is not None and (second.status, second.error_step, second.error_message) == ("error", "build", "red")
    with pytest.raises(StoreError, match="cannot update 1 of 2 processes"), store.transaction() as tx:
        tx.update_processes([one, make_state("nope")])


def test_an_exception_in_a_transaction_rolls_everything_back(store: Store) -> None:
    with pytest.raises(RuntimeError, match="boom"), store.transaction() as tx:
        tx.save_program("prog1", "release", {"release": "x"})
        tx.insert_process(make_state("p1"), "prog1")
        tx.save_response("r1", "{}")
        raise RuntimeError("boom")
    assert store.get_process("p1") is None
    assert store.count_processes() == 0
    with store.transaction() as tx:
        assert tx.find_response("r1") is None
    with pytest.raises(StoreError, match="no program 'prog1'"):
        store.load_program("prog1")


def test_a_database_error_in_a_transaction_is_a_one_line_store_error_and_rolls_back(store: Store) -> None:
    add_process(store, make_state("p1"))
    with pytest.raises(StoreError) as caught, store.transaction() as tx:
        tx.save_response("r1", "{}")
        tx.insert_process(make_state("p1"), "prog1")  # duplicate key
    assert "\n" not in str(caught.value) and str(caught.value).startswith("store ")
    with store.transaction() as tx:
        assert tx.find_response("r1") is None


def test_a_process_needs_its_program_to_be_saved_first(store: Store) -> None:
    with pytest.raises(StoreError), store.transaction() as tx:
        tx.insert_process(make_state("p1"), "never-saved")


def test_list_and_count_filter_by_status_and_name_newest_first_with_pagination(store: Store) -> None:
    specs = [("a1", "release", ProcessStatus.DONE), ("a2", "release", ProcessStatus.RUNNING),
             ("a3", "hotfix", ProcessStatus.RUNNING), ("a4", "release", ProcessStatus.ERROR),
             ("a5", "release", ProcessStatus.RUNNING)]
    with store.transaction() as tx:
        tx.save_program("prog1", "release", {"release": "x"})
        for hours, (pid, name, status) in enumerate(specs):
            tx.insert_process(make_state(pid, name=name, status=status, launched_at=T0 + timedelta(hours=hours)),
                              "prog1")
    assert [r.id for r in store.list_processes()] == ["a5", "a4", "a3", "a2", "a1"]
    assert [r.id for r in store.list_processes(statuses=["running"])] == ["a5", "a3", "a2"]
    assert [r.id for r in store.list_processes(statuses=["running", "error"], name="release")] == ["a5", "a4", "a2"]
    assert [r.id for r in store.list_processes(limit=2)] == ["a5", "a4"]
    assert [r.id for r in store.list_processes(limit=2, offset=2)] == ["a3", "a2"]
    assert [r.id for r in store.list_processes(limit=2, offset=4)] == ["a1"]
    assert store.count_processes() == 5
    assert store.count_processes(statuses=["running"]) == 3
    assert store.count_processes(statuses=["running"], name="release") == 2
    assert store.count_processes(name="nothing") == 0


def test_errors_lists_processes_in_error_most_recent_failure_first(store: Store) -> None:
    with store.transaction() as tx:
        tx.save_program("prog1", "release", {"release": "x"})
        for i, pid in enumerate(["e1", "e2", "ok"]):
            state = make_state(pid, launched_at=T0 + timedelta(hours=i))
            tx.insert_process(failed(state, "s", "m") if pid != "ok" else state, "prog1")
    with store.transaction() as tx:
        e1 = make_state("e1")
        tx.update_process(failed(e1, "s", "again").model_copy(update={"updated_at": T0 + timedelta(days=1)}))
    assert [r.id for r in store.errors()] == ["e1", "e2"]


def test_resolve_id_finds_up_to_ten_ids_by_prefix_and_treats_wildcards_literally(store: Store) -> None:
    ids = [f"261122-ab{i:02d}" for i in range(12)] + ["261123-cd00", "x%y", "x_z"]
    with store.transaction() as tx:
        tx.save_program("prog1", "release", {"release": "x"})
        for pid in ids:
            tx.insert_process(make_state(pid), "prog1")
    assert store.resolve_id("261123") == ["261123-cd00"]
    assert store.resolve_id("261122-ab1") == ["261122-ab10", "261122-ab11"]
    assert store.resolve_id("261122") == ids[:10]
    assert store.resolve_id("261122-ab05") == ["261122-ab05"]
    assert store.resolve_id("x%") == ["x%y"]
    assert store.resolve_id("x_") == ["x_z"]
    assert store.resolve_id("zzz") == []
    assert store.resolve_id("") == []


def test_a_locked_process_makes_another_postgresql_transaction_wait(pg_store: Store) -> None:
    add_process(pg_store, make_state("p1"))
    with pg_store.transaction() as first:
        assert first.load_process("p1", lock=True) is not None
        with pytest.raises(StoreError, match="lock timeout"), pg_store.transaction() as second:
            second.conn.execute(sa.text("SET LOCAL lock_timeout = '200ms'"))
            second.load_process("p1", lock=True)
        with pg_store.transaction() as reader:
            assert reader.load_process("p1") is not None  # a plain read does not wait


def test_a_state_this_boss_cannot_read_is_a_store_error_naming_the_process(store: Store) -> None:
    add_process(store, make_state("p1"))
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE boss_processes SET state = '{\"id\": \"p1\"}'"))
    with pytest.raises(StoreError, match=r"^process p1 has a stored state this boss cannot read \(name: "):
        store.get_process("p1")
    with pytest.raises(StoreError, match=r"^process p1 has a stored state"), store.transaction() as tx:
        tx.load_process("p1")


def test_a_failing_read_is_a_one_line_store_error(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE boss_instances"))
    with pytest.raises(StoreError) as caught:
        store.instances()
    assert "\n" not in str(caught.value) and "boss_instances" in str(caught.value)
