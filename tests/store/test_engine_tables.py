"""The engine's plumbing tables: timers, outbox, request answers, participant instances, programs."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from engine.errors import StoreError
from engine.interpreter.effects import Record, StartTimer, StopTimer
from engine.store import InstanceRow, Outgoing, RegistrationRow, Store
from tests.store.conftest import T0, add_process, make_state

pytestmark = pytest.mark.integration


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_timers_are_upserted_by_id_stopped_and_claimed_oldest_first(store: Store) -> None:
    add_process(store, make_state("p1"))
    add_process(store, make_state("p2"))
    assert store.next_timer_due() is None
    with store.transaction() as tx:
        tx.apply_timers("p1", [StartTimer(timer="t1", due=at(10)), StartTimer(timer="t2", due=at(5)),
                               StartTimer(timer="t3", due=at(1)), StopTimer(timer="t3")])
        tx.apply_timers("p2", [StartTimer(timer="t1", due=at(7))])
    assert store.next_timer_due() == at(5)
    assert store.next_timer_due().tzinfo is UTC  # type: ignore[union-attr]
    with store.transaction() as tx:
        tx.apply_timers("p1", [StartTimer(timer="t2", due=at(20)), StopTimer(timer="unknown")])
    with store.transaction() as tx:
        due = tx.claim_due_timers(at(15))
        assert [(d.process_id, d.timer, d.due) for d in due] == [("p2", "t1", at(7)), ("p1", "t1", at(10))]
        assert [d.timer for d in tx.claim_due_timers(at(15), limit=1)] == ["t1"]
    assert store.next_timer_due() == at(7)  # claimed timers stay until deleted
    with store.transaction() as tx:
        tx.delete_timers([("p2", "t1"), ("p1", "t1")])
        assert [(d.process_id, d.timer) for d in tx.claim_due_timers(at(60))] == [("p1", "t2")]
    assert store.next_timer_due() == at(20)


def test_a_timer_stopped_then_started_again_in_one_batch_is_kept(store: Store) -> None:
    add_process(store, make_state("p1"))
    with store.transaction() as tx:
        tx.apply_timers("p1", [StartTimer(timer="lease", due=at(1)), StopTimer(timer="lease"),
                               StartTimer(timer="lease", due=at(2))])
    assert store.next_timer_due() == at(2)


def test_two_postgresql_engines_claiming_at_once_never_get_the_same_timer(pg_store: Store) -> None:
    add_process(pg_store, make_state("p1"))
    with pg_store.transaction() as tx:
        tx.apply_timers("p1", [StartTimer(timer=f"t{i}", due=at(i)) for i in range(5)])
    with pg_store.transaction() as first:
        taken = first.claim_due_timers(at(60), limit=2)
        with pg_store.transaction() as second:  # another connection, while the first still holds its rows
            other = second.claim_due_timers(at(60))
            assert [t.timer for t in other] == ["t2", "t3", "t4"]
            second.delete_timers([(t.process_id, t.timer) for t in other])
        assert [t.timer for t in taken] == ["t0", "t1"]
        first.delete_timers([(t.process_id, t.timer) for t in taken])
    assert pg_store.next_timer_due() is None


def message(n: int) -> Outgoing:
    return Outgoing(exchange="" if n % 2 else "boss.control", routing_key=f"participant.q{n}",
                    body=f'{{"n": {n}}}'.encode(), headers={"boss-type": "workitem", "n": n},
                    message_id=f"m{n}" if n % 2 else None)


def test_the_outbox_gives_messages_back_oldest_first_until_deleted(store: Store) -> None:
    with store.transaction() as tx:
        tx.add_outbox([message(n) for n in range(3)])
        tx.add_outbox([])
    with store.transaction() as tx:
        tx.add_outbox([message(3)])
    rows = store.pending_outbox()
    assert [r.routing_key for r in rows] == [f"participant.q{n}" for n in range(4)]
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    first = rows[0]
    assert (first.exchange, first.body, first.headers, first.message_id, first.content_type) == \
        ("boss.control", b'{"n": 0}', {"boss-type": "workitem", "n": 0}, None, "application/json")
    assert isinstance(first.body, bytes)
    assert [r.id for r in store.pending_outbox(limit=2)] == [r.id for r in rows[:2]]
    with store.transaction() as tx:
        tx.delete_outbox([rows[0].id, rows[2].id])
        tx.delete_outbox([])
    assert [r.routing_key for r in store.pending_outbox()] == ["participant.q1", "participant.q3"]


def test_outbox_ids_are_never_reused_even_after_the_outbox_was_emptied(store: Store) -> None:
    with store.transaction() as tx:
        tx.add_outbox([message(1), message(2)])
    ids = [r.id for r in store.pending_outbox()]
    with store.transaction() as tx:
        tx.delete_outbox(ids)
    with store.transaction() as tx:
        tx.add_outbox([message(3)])
    (row,) = store.pending_outbox()
    assert row.id > max(ids)


def test_adding_to_the_outbox_returns_the_rows_with_their_ids_in_order(store: Store) -> None:
    with store.transaction() as tx:
        added = tx.add_outbox([message(n) for n in range(5)])
        assert tx.add_outbox([]) == []

    assert added == store.pending_outbox()
    assert [r.routing_key for r in added] == [f"participant.q{n}" for n in range(5)]


def test_the_outbox_sweep_sees_only_rows_older_than_asked(store: Store) -> None:
    with store.transaction() as tx:
        tx.add_outbox([message(1)])
    written = datetime.now(UTC)

    assert store.pending_outbox(before=written - timedelta(seconds=10)) == []
    assert [r.routing_key for r in store.pending_outbox(before=written + timedelta(seconds=1))] == ["participant.q1"]


def test_a_request_keeps_its_first_answer(store: Store) -> None:
    with store.transaction() as tx:
        assert tx.find_response("r1") is None
        tx.save_response("r1", '{"ok": true}')
        tx.save_response("r1", '{"ok": false}')
        assert tx.find_response("r1") == '{"ok": true}'
    with store.transaction() as tx:
        assert tx.find_response("r1") == '{"ok": true}'
        assert tx.find_response("r2") is None


def instance(name: str, participant: str, host: str = "h1", handled: int = 0, pool: str = "default") -> InstanceRow:
    return InstanceRow(instance=name, participant=participant, host=host, pool=pool, pid=123,
                       version="1.0", description="does things", queue=f"participant.{participant}",
                       params_schema={"type": "object"}, config_keys=["token"], started_at=T0,
                       last_seen=T0 + timedelta(seconds=handled), current=None, handled=handled)


def test_instances_are_upserted_listed_by_participant_then_host_and_removed(store: Store) -> None:
    with store.transaction() as tx:
        tx.upsert_instance(instance("i3", "mail", "b"))
        tx.upsert_instance(instance("i1", "jenkins", "b"))
        tx.upsert_instance(instance("i2", "jenkins", "a"))
    assert [r.instance for r in store.instances()] == ["i2", "i1", "i3"]
    busy = instance("i1", "jenkins", "b", handled=7)
    busy = InstanceRow(**{**vars(busy), "current": {"workitem": "p1/n3", "step": "build"}, "params_schema": None})
    with store.transaction() as tx:
        tx.upsert_instance(busy)
    assert [r for r in store.instances() if r.instance == "i1"] == [busy]
    with store.transaction() as tx:
        tx.remove_instance("i3")
        tx.remove_instance("never-seen")
    assert [r.instance for r in store.instances()] == ["i2", "i1"]
    with store.transaction() as tx:
        tx.remove_participant("jenkins")
    assert store.instances() == []


def test_saving_a_program_twice_keeps_the_first_and_unknown_digests_are_errors(store: Store) -> None:
    with store.transaction() as tx:
        tx.save_program("abc", "release", {"release": "name: release\n", "build": "name: build\n"})
        tx.save_program("abc", "other", {"other": "x"})
        assert tx.load_program("abc") == ("release", {"release": "name: release\n", "build": "name: build\n"})
    assert store.load_program("abc")[0] == "release"
    with pytest.raises(StoreError, match=r"^no program 'zzz' in the store"):
        store.load_program("zzz")


def test_a_batch_of_a_thousand_steps_is_written_in_one_quick_transaction(store: Store) -> None:
    """Not a benchmark: a guard against per-row round trips creeping in (the bound is generous)."""
    with store.transaction() as tx:
        tx.save_program("prog1", "release", {"release": "x"})
        for p in range(100):
            tx.insert_process(make_state(f"p{p}"), "prog1")
    started = time.perf_counter()
    with store.transaction() as tx:
        for p in range(100):
            records = []
            for s in range(10):
                node, when = f"n{s}", T0 + timedelta(seconds=s)
                records += [Record(kind="step.started", at=when, node=node, step=f"s{s}", path=f"steps[{s}]",
                                   data={"step_kind": "participant", "attempt": 1}),
                            Record(kind="step.dispatched", at=when, node=node, step=f"s{s}", path=f"steps[{s}]",
                                   data={"participant": "jenkins", "workitem": f"p{p}/{node}", "attempt": 1}),
                            Record(kind="step.done", at=when, node=node, step=f"s{s}", path=f"steps[{s}]",
                                   data={"result": {"ok": True}})]
            tx.update_process(make_state(f"p{p}"))
            tx.append_records(f"p{p}", records)
            tx.apply_timers(f"p{p}", [StartTimer(timer="t", due=T0)])
        tx.add_outbox([message(n) for n in range(1000)])
    elapsed = time.perf_counter() - started
    assert len(store.steps("p99")) == 10 and store.steps("p99")[9].status == "done"
    assert elapsed < 10, f"1000 steps took {elapsed:.2f}s"


def registration(participant: str, pool: str) -> RegistrationRow:
    return RegistrationRow(participant=participant, pool=pool, host="h1", queue=f"participant.{participant}",
                           version="1", description="d", params_schema={"type": "object"}, config_keys=["url"],
                           registered_at=T0, registered_by="alice")


def test_registrations_are_kept_per_pool_and_removed_with_that_pools_instances(store: Store) -> None:
    with store.transaction() as tx:
        tx.upsert_registration(registration("jira", "pool-a"))
        tx.upsert_registration(registration("jira", "pool-b"))
        tx.upsert_registration(registration("jira", "pool-a"))  # again: an update, not a second row
        tx.upsert_instance(instance("jira-1", "jira", pool="pool-a"))
        tx.upsert_instance(instance("jira-2", "jira", pool="pool-b"))

    assert [(r.participant, r.pool) for r in store.registrations()] == [("jira", "pool-a"), ("jira", "pool-b")]
    assert store.registrations()[0] == registration("jira", "pool-a")
    with store.transaction() as tx:
        tx.remove_registration("jira", "pool-a")
    assert [r.pool for r in store.registrations()] == ["pool-b"]
    assert [i.instance for i in store.instances()] == ["jira-2"]
