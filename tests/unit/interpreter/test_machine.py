"""The interpreter as a pure function: replies, heartbeats, stale input, commands and their refusals."""

from __future__ import annotations

from engine.interpreter import ProcessState, advance
from engine.interpreter.events import Answer, Cancel, Launch, Pause, Resume, Retry, Skip
from tests.unit.interpreter.helpers import T0, Driver

ONE_STEP = """\
    name: one
    steps:
      - name: build
        jenkins: {job: "${job}"}
    """


def test_a_participant_step_dispatches_a_workitem_with_templated_params_and_fields() -> None:
    driver = Driver(ONE_STEP.replace("    steps:", "    fields:\n      job: {default: load}\n    steps:"))
    (dispatch,) = driver.dispatches()
    wi = dispatch.workitem
    assert (wi.participant, wi.params, wi.attempt, wi.step) == ("jenkins", {"job": "load"}, 1, "build")
    assert wi.fields == {"job": "load"}
    assert wi.idempotency_key == wi.id and wi.id.startswith("p1/")
    assert driver.state.status == "running"


def test_advance_never_changes_the_state_it_is_given() -> None:
    driver = Driver(ONE_STEP, {"job": "x"})
    before = driver.state.model_dump_json()
    original = driver.state
    (dispatch,) = driver.dispatches()
    driver.reply(dispatch, result={"ok": True})
    assert original.model_dump_json() == before
    assert driver.state.status == "done" and driver.state.fields["build"] == {"ok": True}


def test_a_stale_or_duplicate_reply_is_ignored() -> None:
    driver = Driver("name: p\nsteps:\n  - flaky: {}\n    retry: {max: 1}\n  - after: {}\n")
    (first,) = driver.dispatches()
    driver.fail(first, "busy", retryable=True)
    (second,) = driver.dispatches()
    assert second.workitem.attempt == 2 and second.workitem.id == first.workitem.id
    driver.reply(first, result="late answer to attempt 1")
    assert driver.records() == ["reply.ignored"]
    assert "flaky" not in driver.state.fields
    driver.reply(second, result="ok")
    driver.reply(second, result="duplicate")
    assert driver.records() == ["reply.ignored"]
    assert driver.state.fields["flaky"] == "ok"


def test_a_silent_participant_is_declared_lost_and_the_step_redispatched() -> None:
    driver = Driver(ONE_STEP, {"job": "x"}, heartbeat_timeout=60)
    (dispatch,) = driver.dispatches()
    driver.later(seconds=1)
    driver.reply(dispatch, "accepted")
    (lease,) = driver.timers()
    driver.later(seconds=30)
    driver.reply(dispatch, "progress", progress={"build_url": "http://ci/1"})
    assert driver.records() == ["step.progress"]
    driver.fire(lease)  # heard from 30s ago: the lease is renewed, nothing is lost
    (renewed,) = driver.timers()
    assert renewed.due == driver.now + __import__("datetime").timedelta(seconds=30)
    assert driver.dispatches() == []
    driver.fire(renewed)
    (cancel,) = driver.cancels()
    assert cancel.instance == "i1"
    (again,) = driver.dispatches()
    assert again.workitem.attempt == 2
    driver.reply(again, result="done at last")
    assert driver.state.status == "done"


def test_lost_work_is_retried_only_a_few_times_before_the_process_waits_in_error() -> None:
    driver = Driver(ONE_STEP, {"job": "x"}, heartbeat_timeout=10, lost_retries=1)
    for _ in range(2):
        (dispatch,) = driver.dispatches()
        driver.reply(dispatch, "accepted")
        (lease,) = driver.timers()
        driver.fire(lease)
    assert driver.state.status == "error"
    (failed,) = driver.state.failed_nodes()
    assert failed.error is not None and failed.error.type == "lost"


def test_operator_retry_applies_corrected_fields_and_redispatches() -> None:
    driver = Driver(ONE_STEP, {"job": "wrong"})
    (dispatch,) = driver.dispatches()
    driver.fail(dispatch, "no such job")
    assert driver.state.status == "error"
    transition = driver.apply(Retry(at=driver.now, by="ops", fields={"job": "right"}))
    assert transition.rejected is None
    (again,) = driver.dispatches()
    assert again.workitem.params == {"job": "right"} and again.workitem.attempt == 2
    assert driver.state.status == "running"


def test_commands_that_do_not_apply_are_rejected_and_change_nothing() -> None:
    driver = Driver(ONE_STEP, {"job": "x"})
    state = driver.state
    assert "no failed step" in (driver.apply(Retry(at=T0)).rejected or "")
    assert "no failed step" in (driver.apply(Skip(at=T0, step="build")).rejected or "")
    assert "no approval waiting" in (driver.apply(Answer(at=T0, approved=True, by="a")).rejected or "")
    assert "not paused" in (driver.apply(Resume(at=T0)).rejected or "")
    assert driver.state is state
    driver.apply(Pause(at=T0))
    assert driver.state.status == "paused"
    assert "already paused" in (driver.apply(Pause(at=T0)).rejected or "")
    assert "already launched" in (advance(driver.program, driver.state,
                                          Launch(at=T0, process_id="p1")).rejected or "")


def test_a_finished_process_ignores_late_events_and_refuses_commands() -> None:
    driver = Driver(ONE_STEP, {"job": "x"})
    (dispatch,) = driver.dispatches()
    driver.apply(Cancel(at=T0, by="ops"))
    assert driver.state.status == "cancelled"
    assert driver.cancels()[0].workitem == dispatch.workitem.id
    assert driver.reply(dispatch).effects == ()
    assert "is cancelled" in (driver.apply(Cancel(at=T0)).rejected or "")


def test_retry_and_skip_name_the_step_when_several_failed() -> None:
    driver = Driver("""\
        name: p
        steps:
          - parallel:
              - name: a
                x: {}
              - name: b
                x: {}
        """)
    first, second = driver.dispatches()
    driver.fail(first, "a broke")
    driver.fail(second, "b broke")
    assert "several steps match (a at steps[0].parallel[0], b at steps[0].parallel[1])" in (
        driver.apply(Skip(at=T0)).rejected or "")
    assert driver.apply(Skip(at=T0, step="a")).rejected is None
    assert driver.state.status == "error"
    assert driver.apply(Skip(at=T0, step="b")).rejected is None
    assert driver.state.status == "done"


def test_state_survives_a_json_round_trip_mid_process() -> None:
    driver = Driver("""\
        name: p
        steps:
          - foreach: [1, 2, 3]
            concurrency: 2
            do:
              - x: {n: "${item}"}
          - wait: 1h
        """)
    text = driver.state.encode()
    assert ProcessState.decode(text) == driver.state
    for dispatch in driver.dispatches():
        driver.reply(dispatch)
    assert ProcessState.decode(driver.state.encode()) == driver.state


def test_a_retry_waits_at_least_as_long_as_the_service_asked_but_not_longer_when_the_policy_says_more() -> None:
    from datetime import timedelta

    from engine.interpreter.events import ReplyError

    driver = Driver("name: p\nsteps:\n  - flaky: {}\n    retry: {max: 3, delay: 5s}\n")
    (first,) = driver.dispatches()
    driver.reply(first, "error", error=ReplyError(message="429", retryable=True, retry_after=90))
    (asked,) = driver.timers()
    assert asked.due - driver.now == timedelta(seconds=90)

    driver.fire(asked)
    (second,) = driver.dispatches()
    driver.reply(second, "error", error=ReplyError(message="429", retryable=True, retry_after=1))
    (policy,) = driver.timers()
    assert policy.due - driver.now == timedelta(seconds=5)
