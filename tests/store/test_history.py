"""History numbering and the steps projection, fed by the real interpreter and by hand-made records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.interpreter import Transition
from engine.interpreter.effects import Record
from engine.interpreter.events import Answer, Retry
from engine.store import Store
from tests.store.conftest import T0, add_process, make_state
from tests.unit.interpreter.helpers import Driver

pytestmark = pytest.mark.integration

RELEASE = """\
    name: release
    steps:
      - name: build
        jenkins: {job: "x"}
        retry: {max: 1}
      - name: gate
        approve: "Ship it?"
      - name: publish
        publish: {}
        when: "false"
      - set: {finished: true}
    """


class Recorder:
    """Runs a definition with the interpreter and writes each transition as the engine would."""

    def __init__(self, store: Store, text: str) -> None:
        self.store = store
        self.driver = Driver(text)
        with store.transaction() as tx:
            tx.save_program("prog", self.driver.program.main, self.driver.program.snapshot())
            tx.insert_process(self.driver.state, "prog")
        self.write(self.driver.last)

    def write(self, transition: Transition) -> None:
        records = [e for e in transition.effects if isinstance(e, Record)]
        with self.store.transaction() as tx:
            tx.update_process(transition.state)
            tx.append_records(transition.state.id, records)


def test_a_release_run_numbers_its_history_and_projects_every_step(store: Store) -> None:
    run = Recorder(store, RELEASE)
    driver = run.driver
    (first,) = driver.dispatches()
    driver.later(seconds=1)
    run.write(driver.reply(first, "accepted"))
    driver.later(seconds=1)
    run.write(driver.reply(first, "progress", progress={"url": "http://ci/1"}))
    run.write(driver.reply(first, "progress", progress={"percent": 50}))
    driver.later(seconds=1)
    run.write(driver.fail(first, "flaky", retryable=True))
    (second,) = driver.dispatches()
    driver.later(seconds=10)
    run.write(driver.reply(second, "done", result={"artifact": "a.tgz"}))
    run.write(driver.apply(Answer(at=driver.later(seconds=5), by="carol", approved=True, comment="go")))
    assert driver.state.status == "done"

    rows = store.history("p1")
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].kind == "process.launched" and rows[-1].kind == "process.done"
    assert rows[0].at == T0 and rows[0].at.tzinfo is UTC

    steps = {s.step: s for s in store.steps("p1")}
    assert [s.step for s in store.steps("p1")] == ["build", "gate", "publish", "steps[3]"]
    build = steps["build"]
    assert (build.status, build.kind, build.participant, build.attempt, build.workitem) == \
        ("done", "participant", "jenkins", 2, "p1/n3")
    assert build.result == {"artifact": "a.tgz"} and build.error is None and build.instance == "i1"
    assert build.progress == {}  # the progress of attempt 1 went with it
    assert build.started_at == T0 + timedelta(seconds=3) and build.ended_at == T0 + timedelta(seconds=13)
    gate = steps["gate"]
    assert gate.status == "done" and gate.kind == "approve"
    assert gate.detail["prompt"] == "Ship it?" and gate.detail["answer"]["by"] == "carol"
    assert gate.result["approved"] is True
    publish = steps["publish"]  # guarded: only a step.skipped record, no step.started
    assert (publish.status, publish.path, publish.started_at, publish.ended_at) == \
        ("skipped", "steps[2]", None, T0 + timedelta(seconds=18))
    assert steps["steps[3]"].result == {"finished": True} and steps["steps[3]"].kind == "set"


def test_progress_merges_and_a_failure_that_retries_shows_as_retrying(store: Store) -> None:
    run = Recorder(store, RELEASE)
    driver = run.driver
    (first,) = driver.dispatches()
    run.write(driver.reply(first, "accepted"))
    run.write(driver.reply(first, "progress", progress={"url": "http://ci/1", "percent": 10}))
    run.write(driver.reply(first, "progress", progress={"percent": 50}))
    (build,) = store.steps("p1")
    assert (build.status, build.instance, build.progress) == ("running", "i1", {"url": "http://ci/1", "percent": 50})
    records = [e for e in driver.fail(first, "flaky", retryable=True).effects if isinstance(e, Record)]
    failed_only = [r for r in records if r.kind == "step.failed"]
    with store.transaction() as tx:
        tx.append_records("p1", failed_only)
    (build,) = store.steps("p1")
    assert build.status == "retrying" and build.error is not None and build.error["message"] == "flaky"


def test_a_step_waiting_in_error_shows_failed_and_an_operator_retry_runs_it_again(store: Store) -> None:
    run = Recorder(store, "name: one\nsteps:\n  - name: deploy\n    ansible: {}\n")
    driver = run.driver
    (dispatch,) = driver.dispatches()
    run.write(driver.fail(dispatch, "host unreachable"))
    process = store.get_process("p1")
    assert process is not None
    assert (process.status, process.error_step, process.error_message) == ("error", "deploy", "host unreachable")
    (deploy,) = store.steps("p1")
    assert deploy.status == "failed" and deploy.error is not None
    assert deploy.error["message"] == "host unreachable"
    run.write(driver.apply(Retry(at=driver.later(minutes=1), by="ops")))
    (deploy,) = store.steps("p1")
    assert (deploy.status, deploy.error, deploy.ended_at, deploy.attempt) == ("running", None, None, 2)
    process = store.get_process("p1")
    assert process is not None and (process.status, process.error_step) == ("running", None)


def record(kind: str, seconds: int, node: str = "n5", **data: object) -> Record:
    return Record(kind=kind, at=T0 + timedelta(seconds=seconds), node=node, step="wait-a-bit",
                  path="steps[1]", data=data)


def test_waiting_parked_continued_and_unknown_step_records_update_the_row_as_documented(store: Store) -> None:
    add_process(store, make_state("p1"))
    with store.transaction() as tx:
        tx.append_records("p1", [
            record("step.parked", 1),
            record("step.started", 2, step_kind="wait", attempt=1),
            record("step.waiting", 3, until="2026-01-02T09:00:00+01:00", tz="Europe/Paris"),
        ])
    (row,) = store.steps("p1")
    assert (row.status, row.detail, row.kind) == \
        ("waiting", {"until": "2026-01-02T09:00:00+01:00", "tz": "Europe/Paris"}, "wait")
    with store.transaction() as tx:
        tx.append_records("p1", [record("step.timed_out", 4), record("step.branch", 5, branch="x")])
    (row,) = store.steps("p1")
    assert (row.status, row.updated_at) == ("waiting", T0 + timedelta(seconds=5))
    with store.transaction() as tx:
        tx.append_records("p1", [
            record("step.failed", 6, error={"type": "timeout", "message": "late"}, handling="continue"),
            record("step.continued", 7, error={"type": "timeout", "message": "late"}),
            record("process.error", 8, error={"type": "x", "message": "not a step record"}),
            Record(kind="process.paused", at=T0, data={}),
        ])
    (row,) = store.steps("p1")
    assert (row.status, row.ended_at, row.error) == \
        ("continued", T0 + timedelta(seconds=7), {"type": "timeout", "message": "late"})
    assert [r.seq for r in store.history("p1")] == list(range(1, 10))


def test_history_reads_after_a_number_with_a_limit_and_each_process_counts_from_one(store: Store) -> None:
    add_process(store, make_state("p1"))
    add_process(store, make_state("p2"))
    for batch in range(3):
        with store.transaction() as tx:
            for pid in ("p1", "p2"):
                tx.append_records(pid, [Record(kind="process.note", at=T0 + timedelta(seconds=batch * 10 + i),
                                               data={"i": i, "when": datetime(2026, 5, 1, tzinfo=UTC)})
                                        for i in range(4)])
            tx.append_records("p1", [])
    assert [r.seq for r in store.history("p2")] == list(range(1, 13))
    assert [r.seq for r in store.history("p1", after_seq=5, limit=3)] == [6, 7, 8]
    assert store.history("p1", after_seq=12) == []
    row = store.history("p1", after_seq=4, limit=1)[0]
    assert (row.process_id, row.kind, row.node, row.data) == \
        ("p1", "process.note", None, {"i": 0, "when": "2026-05-01T00:00:00Z"})
    assert row.at == T0 + timedelta(seconds=10)


def test_appends_within_one_transaction_keep_numbering_and_folding_where_the_last_left_off(store: Store) -> None:
    with store.transaction() as tx:
        tx.save_program("prog1", "release", {"release": "x"})
        tx.insert_process(make_state("p1"), "prog1")
        tx.append_records("p1", [record("step.started", 1, step_kind="participant", attempt=1)])
        tx.append_records("p1", [record("step.dispatched", 2, participant="jenkins", workitem="w", attempt=1)])
    with store.transaction() as tx:
        tx.append_records("p1", [record("step.accepted", 3, instance="i7")])
        tx.append_records("p1", [record("step.progress", 4, progress={"a": 1}),
                                 record("step.started", 5, node="n6", step_kind="set", attempt=1)])
        tx.append_records("p1", [record("step.done", 6, result=42)])
    assert [(r.seq, r.kind) for r in store.history("p1")] == [
        (1, "step.started"), (2, "step.dispatched"), (3, "step.accepted"), (4, "step.progress"),
        (5, "step.started"), (6, "step.done")]
    first, second = store.steps("p1")
    assert (first.node, first.status, first.participant, first.instance, first.progress, first.result) == \
        ("n5", "done", "jenkins", "i7", {"a": 1}, 42)
    assert (second.node, second.status, second.kind) == ("n6", "running", "set")
